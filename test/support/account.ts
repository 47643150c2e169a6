// The account page as a person reaches it: open /account; without a linkid session the page
// sends the browser through the magic-link sign-in of its own client and back.
import { expect } from 'vitest';
import type { Browser, Page } from './browser.js';
import type { RunningLinkid } from './linkid.js';
import { latestSignInMail } from './outbox.js';
import { confirmLink } from './sign-in.js';

/** Opens an account page path; when it asks for a sign-in, signs in as `email` by link and follows back. */
export async function openAccount(browser: Browser, linkid: RunningLinkid, email: string, path = '/account'): Promise<Page> {
  const page = await browser.follow(`${linkid.issuer}${path}`);
  if (!/\/interaction\/[^/]+$/.test(page.url)) return page;
  return signInOnForm(browser, linkid, page, email);
}

/** Submits the email form `form` as `email`, confirms the emailed link and follows to where it leads. */
export async function signInOnForm(browser: Browser, linkid: RunningLinkid, form: Page, email: string): Promise<Page> {
  const checkEmail = await browser.submit(form, /\/login$/, { email });
  expect(checkEmail.status, checkEmail.body).toBe(200);
  const confirmed = await confirmLink(browser, await latestSignInMail(linkid, email));
  expect(confirmed.status, confirmed.body).toBe(303);
  return browser.follow(confirmed.location!);
}

/** The recovery codes a "make new codes" page shows, in order. */
export const codesOn = (body: string): string[] => [...body.matchAll(/<li><code>([0-9a-z-]+)<\/code><\/li>/g)].map((match) => match[1] ?? '');
