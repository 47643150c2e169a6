// A sign-in that finished but whose browser has not yet gone back to the app keeps its login in
// its oidc-provider interaction. When the owner ends everything (sign out everywhere, an undo, an
// administrator's revoke or disable), such a held sign-in must end too: resuming it afterwards
// signs nobody in and hands the app no code. Probed as an attacker would, at the HTTP level: the
// holder stops at the 303 that would resume the authorization, waits for the owner, then follows it.
import { describe, expect, it } from 'vitest';
import { openAccount } from '../support/account.js';
import { linkidAdmin } from '../support/admin-cli.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { askToChange, latestChangeMail, pressLink } from '../support/email-change.js';
import { createUser, makeRecoveryCodes } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import type { RelyingParty } from '../support/relying-party.js';
import { confirmLink, reasonOf, requestLink } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

/** Signs in as `email` by link up to the 303 that resumes the authorization, and stops there. */
async function holdAtLastRedirect(linkid: RunningLinkid, rp: RelyingParty, email: string): Promise<{ browser: Browser; resume: string }> {
  const browser = new Browser();
  const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), email);
  const confirmed = await confirmLink(browser, mail);
  expect(confirmed.status, confirmed.body).toBe(303);
  expect(confirmed.location).toMatch(/\/auth\/[^/]+$/);
  return { browser, resume: confirmed.location! };
}

/**
 * An intruder with one of the account's recovery codes (made for it here) redeems it from an app's
 * "Lost access to your email?" and stops at the 303 that would resume the authorization.
 */
async function holdRecoverySignIn(linkid: RunningLinkid, rp: RelyingParty, email: string): Promise<{ intruder: Browser; redeemed: Page }> {
  const user = await createUser(linkid, email);
  const [code] = await makeRecoveryCodes(linkid, user.id);
  const intruder = new Browser();
  const emailForm = await intruder.follow((await rp.authorizationUrl()).url);
  const form = await intruder.follow(new URL(/<a href="([^"]+)">Lost access to your email\?/.exec(emailForm.body)![1]!, linkid.issuer).href);
  const { action, hidden } = formOn(form, /\/recover$/);
  const redeemed = await intruder.request(action, { form: { ...hidden, email, code: code! } });
  expect(redeemed.status, redeemed.body).toBe(303);
  return { intruder, redeemed };
}

/** Follows the held redirect: where it leads, stopping before the app's redirect URI. */
const resume = (browser: Browser, rp: RelyingParty, url: string): Promise<Page> => browser.follow(url, rp.redirectUri);

/** The held sign-in reached the app with a code, or did not; and the holder's browser is signed in to the account page, or not. */
async function outcome(linkid: RunningLinkid, rp: RelyingParty, browser: Browser, resumed: Page) {
  const reachedApp = resumed.location?.startsWith(rp.redirectUri) === true && new URL(resumed.location).searchParams.has('code');
  const account = await browser.follow(`${linkid.issuer}/account`);
  return { reachedApp, signedIn: account.url === `${linkid.issuer}/account` && account.status === 200 };
}

describe('a sign-in held at its last redirect', () => {
  const suite = useLinkid();

  it('resumes into the app when nothing ended it (the baseline the other cases differ from)', async () => {
    const { linkid, rp } = await suite.setup();
    await createUser(linkid, 'ada@example.com');
    const held = await holdAtLastRedirect(linkid, rp, 'ada@example.com');
    expect(await outcome(linkid, rp, held.browser, await resume(held.browser, rp, held.resume))).toEqual({ reachedApp: true, signedIn: true });
  });

  it('ends with "Sign out everywhere" on the account page: resuming it signs nobody in', async () => {
    const { linkid, rp } = await suite.setup();
    await createUser(linkid, 'ada@example.com');
    const held = await holdAtLastRedirect(linkid, rp, 'ada@example.com');

    const owner = new Browser();
    const account = await openAccount(owner, linkid, 'ada@example.com');
    const signedOut = await owner.submit(account, /\/account\/sign-out-everywhere$/);
    expect(signedOut.status, signedOut.body).toBeLessThan(500);

    expect(await outcome(linkid, rp, held.browser, await resume(held.browser, rp, held.resume))).toEqual({ reachedApp: false, signedIn: false });
  });

  it('ends for an intruder holding a recovery-code sign-in when the owner voids the codes and signs out everywhere', async () => {
    const { linkid, rp } = await suite.setup();
    const { intruder, redeemed } = await holdRecoverySignIn(linkid, rp, 'ada@example.com');

    const owner = new Browser();
    const page = await openAccount(owner, linkid, 'ada@example.com', '/account/recovery-codes');
    await owner.submit(page, /\/account\/recovery-codes\/void$/);
    // Voiding signed the owner out too: signed in again, they sign out everywhere as well.
    await owner.submit(await openAccount(owner, linkid, 'ada@example.com'), /\/account\/sign-out-everywhere$/);

    // Resumed from the recovery form's 303, and from the authorization it leads to.
    const resumed = await resume(intruder, rp, redeemed.location!);
    expect(await outcome(linkid, rp, intruder, resumed)).toEqual({ reachedApp: false, signedIn: false });
  });

  it("ends when the owner undoes a hijacker's change of address: the hijacker's held sign-in opens nothing", async () => {
    const { linkid, rp } = await suite.setup();
    await createUser(linkid, 'victim@example.com');
    const hijacker = new Browser();
    await openAccount(hijacker, linkid, 'victim@example.com', '/account/email');
    expect((await askToChange(hijacker, linkid, 'evil@example.com')).status).toBe(200);
    expect((await pressLink(hijacker, await latestChangeMail(linkid, 'evil@example.com', 'confirm'))).status).toBe(200);
    const held = await holdAtLastRedirect(linkid, rp, 'evil@example.com');

    const undo = await pressLink(new Browser(), await latestChangeMail(linkid, 'victim@example.com', 'undo'));
    expect(undo.status, undo.body).toBe(200);

    expect(await outcome(linkid, rp, held.browser, await resume(held.browser, rp, held.resume))).toEqual({ reachedApp: false, signedIn: false });
    // And the account page's own fresh-sign-in check does not count it either.
    expect((await held.browser.follow(`${linkid.issuer}/account/delete`)).url).not.toBe(`${linkid.issuer}/account/delete`);
  });

  it('ends with "Void these codes" alone: the intruder who redeemed one of them and held the redirect gets nothing', async () => {
    const { linkid, rp } = await suite.setup();
    const { intruder, redeemed } = await holdRecoverySignIn(linkid, rp, 'ada@example.com');

    const owner = new Browser();
    await owner.submit(await openAccount(owner, linkid, 'ada@example.com', '/account/recovery-codes'), /\/account\/recovery-codes\/void$/);
    expect(await outcome(linkid, rp, intruder, await resume(intruder, rp, redeemed.location!))).toEqual({ reachedApp: false, signedIn: false });
  });

  it('ends with a confirmed change of address, and no link mailed to the old address before it signs in', async () => {
    const { linkid, rp } = await suite.setup();
    const user = await createUser(linkid, 'old@example.com');
    const held = await holdAtLastRedirect(linkid, rp, 'old@example.com');
    const waiting = await requestLink(new Browser(), linkid, await rp.authorizationUrl(), 'old@example.com');

    const owner = new Browser();
    await openAccount(owner, linkid, 'old@example.com', '/account/email');
    expect((await askToChange(owner, linkid, 'new@example.com')).status).toBe(200);
    expect((await pressLink(owner, await latestChangeMail(linkid, 'new@example.com', 'confirm'))).status).toBe(200);

    expect(await outcome(linkid, rp, held.browser, await resume(held.browser, rp, held.resume))).toEqual({ reachedApp: false, signedIn: false });
    // The owner's own browser was signed out too, and the link mailed before the change is gone.
    expect((await owner.follow(`${linkid.issuer}/account`)).url).toMatch(/\/interaction\/[^/]+$/);
    expect((await new Browser().request(waiting.mail.link)).status).toBe(404);
    expect((await linkid.store.users.findById(user.id))?.email).toBe('new@example.com');
  });

  it('refuses a link or code mailed before "Sign out everywhere", pressed or typed after it (token_expired)', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await suite.setup({ clock, env: { RATE_LIMIT_SEND_PER_IP_EMAIL: '20/10m', RATE_LIMIT_SEND_PER_EMAIL: '20/1h' } });
    await createUser(linkid, 'ada@example.com');
    const byLink = new Browser();
    const linkMail = (await requestLink(byLink, linkid, await rp.authorizationUrl(), 'ada@example.com')).mail;
    // The outbox tells the newest mail by its time: the second one must not share the first's.
    clock.advance(1_000);
    const byCode = new Browser();
    const { page: codeForm, mail: codeMail } = await requestLink(byCode, linkid, await rp.authorizationUrl(), 'ada@example.com');
    clock.advance(1_000);

    const owner = new Browser();
    await owner.submit(await openAccount(owner, linkid, 'ada@example.com'), /\/account\/sign-out-everywhere$/);
    clock.advance(1_000);

    const confirmed = await confirmLink(byLink, linkMail);
    expect(confirmed.status).toBe(410);
    expect(reasonOf(confirmed)).toBe('token_expired');
    const typed = await byCode.submit(codeForm, /\/code$/, { code: codeMail.code }, 'http');
    expect(reasonOf(typed)).toBe('token_expired');
    for (const browser of [byLink, byCode]) expect((await browser.follow(`${linkid.issuer}/account`)).url).toMatch(/\/interaction\/[^/]+$/);
    // A link asked for after the end signs in as usual.
    const fresh = await holdAtLastRedirect(linkid, rp, 'ada@example.com');
    expect(await outcome(linkid, rp, fresh.browser, await resume(fresh.browser, rp, fresh.resume))).toEqual({ reachedApp: true, signedIn: true });
  });

  it('voids the recovery codes with user disable, so enable does not hand an intruder holding one the account back', async () => {
    const { linkid } = await suite.setup();
    const user = await createUser(linkid, 'ada@example.com');
    const codes = await makeRecoveryCodes(linkid, user.id);
    await linkid.services.admin.users.disable('ada@example.com');
    await linkid.services.admin.users.enable('ada@example.com');
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);
    const intruder = new Browser();
    const form = await intruder.follow(`${linkid.issuer}/account/recover`);
    const { action, hidden } = formOn(form, /\/recover$/);
    const refused = await intruder.request(action, { form: { ...hidden, email: 'ada@example.com', code: codes[0]! } });
    expect(reasonOf(refused)).toBe('recovery_invalid');
  });

  it('ends with linkid-admin user revoke-sessions', async () => {
    const { linkid, rp } = await suite.setup();
    await createUser(linkid, 'ada@example.com');
    const held = await holdAtLastRedirect(linkid, rp, 'ada@example.com');
    await linkidAdmin(linkid, ['user', 'revoke-sessions', 'ada@example.com']);
    expect(await outcome(linkid, rp, held.browser, await resume(held.browser, rp, held.resume))).toEqual({ reachedApp: false, signedIn: false });
  });

  it('ends with user disable, and stays ended after user enable', async () => {
    const { linkid, rp } = await suite.setup();
    await createUser(linkid, 'ada@example.com');
    const held = await holdAtLastRedirect(linkid, rp, 'ada@example.com');
    await linkid.services.admin.users.disable('ada@example.com');
    await linkid.services.admin.users.enable('ada@example.com');
    expect(await outcome(linkid, rp, held.browser, await resume(held.browser, rp, held.resume))).toEqual({ reachedApp: false, signedIn: false });
  });

  it('is refused by the ended-at mark alone, when its interaction escaped the sweep (a sign-in finishing while everything was ended)', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await suite.setup({ clock });
    const user = await createUser(linkid, 'ada@example.com');
    const held = await holdAtLastRedirect(linkid, rp, 'ada@example.com');
    clock.advance(2_000);
    // Only the mark: the interaction holding the login is left in place.
    await linkid.store.users.endSignIns(user.id, clock.now());
    expect(await outcome(linkid, rp, held.browser, await resume(held.browser, rp, held.resume))).toEqual({ reachedApp: false, signedIn: false });

    // A sign-in made after the mark is a session like any other.
    clock.advance(2_000);
    const again = await holdAtLastRedirect(linkid, rp, 'ada@example.com');
    expect(await outcome(linkid, rp, again.browser, await resume(again.browser, rp, again.resume))).toEqual({ reachedApp: true, signedIn: true });
  });
});
