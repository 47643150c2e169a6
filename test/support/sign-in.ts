// The magic-link sign-in as a person does it: start at the app, type the address, open the link
// from the email, press the button, allow the app.
import { expect } from 'vitest';
import { Browser, formOn, type Page } from './browser.js';
import type { RunningLinkid } from './linkid.js';
import { latestSignInMail, type SignInMail } from './outbox.js';
import type { AuthorizationAttempt, RelyingParty } from './relying-party.js';
import type { DPoPOptions } from 'openid-client';

/** From the app's authorization URL to "check your email"; returns that page and the mail. */
export async function requestLink(
  browser: Browser,
  linkid: RunningLinkid,
  attempt: AuthorizationAttempt,
  email: string,
): Promise<{ page: Page; mail: SignInMail }> {
  const form = await browser.follow(attempt.url);
  expect(form.status, form.body).toBe(200);
  expect(form.url).toMatch(/\/interaction\/[^/]+$/);
  const page = await browser.submit(form, /\/login$/, { email });
  expect(page.status, page.body).toBe(200);
  expect(page.body).toContain('Check your email');
  return { page, mail: await latestSignInMail(linkid, email) };
}

/** Opens the link and presses the confirm button; returns the confirm POST's own response. */
export async function confirmLink(browser: Browser, mail: SignInMail): Promise<Page> {
  const confirm = await browser.request(mail.link);
  expect(confirm.status, confirm.body).toBe(200);
  return browser.submit(confirm, /\/verify$/, {}, 'http');
}

/** Follows the 303 after a confirm through consent (allowing it) to the app's redirect URI. */
export async function finishAtApp(browser: Browser, rp: RelyingParty, from: Page): Promise<string> {
  expect(from.status, from.body).toBe(303);
  let page = await browser.follow(from.location!, rp.redirectUri);
  if (page.status === 200 && page.body.includes('name="decision"')) {
    page = await browser.submit(page, /\/consent$/, { decision: 'allow' }, rp.redirectUri);
  }
  expect(page.location, page.body).toBeDefined();
  expect(page.location!.startsWith(rp.redirectUri), page.location).toBe(true);
  return page.location!;
}

export async function signIn(browser: Browser, linkid: RunningLinkid, rp: RelyingParty, email: string, params: Record<string, string> = {}) {
  return signInWith(browser, linkid, rp, await rp.authorizationUrl(params), email);
}

/** The whole sign-in for an authorization the test built itself (pushed, signed, ...); `options` go with the code's redemption (DPoP). */
export async function signInWith(
  browser: Browser,
  linkid: RunningLinkid,
  rp: RelyingParty,
  attempt: AuthorizationAttempt,
  email: string,
  options: DPoPOptions = {},
) {
  const { mail } = await requestLink(browser, linkid, attempt, email);
  const confirmed = await confirmLink(browser, mail);
  const callback = await finishAtApp(browser, rp, confirmed);
  return { attempt, mail, callback, tokens: await rp.redeem(callback, attempt, options) };
}

/** The reason code on a refusal page (or in its body, for responses read with fetch). */
export const reasonOf = (page: Page | string) => /<p class="support">[^<]*<code>([a-z_]+)<\/code>/.exec(typeof page === 'string' ? page : page.body)?.[1];

/** A page with what differs per request (nonces, request id, interaction) masked, to compare two answers byte for byte. */
export const maskedPage = (page: Page) =>
  `${page.status} ${reasonOf(page) ?? ''} ${page.body
    .replace(/nonce="[^"]+"/g, 'nonce="N"')
    .replace(/request id <code>[^<]+<\/code>/, 'request id')
    .replace(/\/(interaction|auth)\/[^/"]+/g, '/$1/UID')}`;

/** A sign-in waiting at "check your email" in a fresh browser: that browser and the mail it asked for. */
export async function pendingLink(linkid: RunningLinkid, rp: RelyingParty, email: string): Promise<{ browser: Browser; mail: SignInMail }> {
  const browser = new Browser();
  const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), email);
  return { browser, mail };
}

/** Opens the app's login page in `browser` and submits `email`; returns the raw response. */
export async function submitEmail(browser: Browser, rp: RelyingParty, email: string, headers: Record<string, string> = {}): Promise<Page> {
  const form = await browser.follow((await rp.authorizationUrl()).url);
  const { action } = formOn(form, /\/login$/);
  return browser.request(action, { form: { email }, headers });
}
