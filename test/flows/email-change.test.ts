// Changing an account's address, as its owner does it and as an attacker would try it: a link to
// the new address confirms it in the same browser only, `sub` stays, the old address gets an undo
// link that restores it and throws everyone out, and nothing about another account's address
// leaks to the person asking.
import { describe, expect, it } from 'vitest';
import { addressHash } from '../../src/kernel/email-address.js';
import { openAccount } from '../support/account.js';
import { Browser, type Page } from '../support/browser.js';
import { askToChange, latestChangeMail, pressLink } from '../support/email-change.js';
import { createUser } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { mailsTo } from '../support/outbox.js';
import { oidc } from '../support/relying-party.js';
import { reasonOf, signIn } from '../support/sign-in.js';
import { unavailableError } from '../support/store-faults.js';
import { storedRecords } from '../support/stored-records.js';
import { useLinkid } from '../support/use-linkid.js';

const offline = { scope: 'openid email offline_access', prompt: 'consent' };
const MINUTE = 60_000;

/** What a page says once its address, request id and nonces are masked. */
const masked = (page: Page, address: string) =>
  `${page.status}\n${page.body
    .replaceAll(address, 'ADDRESS')
    .replace(/nonce="[^"]+"/g, 'nonce="N"')
    .replace(/request id <code>[^<]+<\/code>/, 'request id <code>ID</code>')}`;

/** Signs `email` in on the account page of a fresh browser and changes the address to `newEmail`, all the way. */
async function changeAddress(linkid: RunningLinkid, browser: Browser, email: string, newEmail: string): Promise<Page> {
  await openAccount(browser, linkid, email, '/account/email');
  const sent = await askToChange(browser, linkid, newEmail);
  expect(sent.status, sent.body).toBe(200);
  return pressLink(browser, await latestChangeMail(linkid, newEmail, 'confirm'));
}

const emailOf = async (linkid: RunningLinkid, id: string) => (await linkid.store.users.findById(id))?.email;

describe('changing the address of an account', () => {
  const suite = useLinkid();

  it('changes it by a link to the new address: the app sees the same sub with the new email', async () => {
    const { linkid, rp } = await suite.setup();
    const browser = new Browser();
    const before = await signIn(browser, linkid, rp, 'ada@example.com');
    const sub = before.tokens.claims()!.sub;
    const account = await browser.follow(`${linkid.issuer}/account`);
    expect(account.body).toContain('href="/account/email"');

    const sent = await askToChange(browser, linkid, 'Ada.Lovelace@Example.org');
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('Check your new inbox');
    expect(await emailOf(linkid, sub)).toBe('ada@example.com');
    const mail = await latestChangeMail(linkid, 'ada.lovelace@example.org', 'confirm');
    expect(mail.link.startsWith(`${linkid.issuer}/account/email/confirm?token=`)).toBe(true);
    const confirm = await browser.request(mail.link);
    expect(confirm.body).toContain('<strong>ada.lovelace@example.org</strong>');
    const done = await browser.submit(confirm, /\/account\/email\/confirm$/);

    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain("Your account's address is now <strong>ada.lovelace@example.org</strong>");
    expect(await emailOf(linkid, sub)).toBe('ada.lovelace@example.org');
    const notice = await latestChangeMail(linkid, 'ada@example.com', 'undo');
    expect(notice.message.subject).toBe('The address of your linkid account was changed');
    expect(notice.message.text).toContain('from ada@example.com to ada.lovelace@example.org');
    expect(notice.message.text).toMatch(/works once, for 7 days/);

    const after = await signIn(new Browser(), linkid, rp, 'ada.lovelace@example.org');
    expect(after.tokens.claims()).toMatchObject({ sub, email: 'ada.lovelace@example.org' });
  });

  it('leaves the old address nothing of the account: it gets what an unknown address gets', async () => {
    const { linkid, rp } = await suite.setup();
    const owner = await createUser(linkid, 'old@example.com');
    await changeAddress(linkid, new Browser(), 'old@example.com', 'new@example.com');

    // At the account page (which creates no accounts) the old address gets the refused email, as an unknown one does.
    const mailed: string[] = [];
    for (const address of ['old@example.com', 'unknown@example.com']) {
      const browser = new Browser();
      const check = await browser.submit(await browser.follow(`${linkid.issuer}/account`), /\/login$/, { email: address });
      expect(check.status).toBe(200);
      const mail = (await mailsTo(linkid, address)).at(-1);
      expect(mail?.text).not.toMatch(/\/login\/link\?token=/);
      mailed.push(`${mail?.subject}\n${mail?.text.replace(/https?:\/\/\S+/g, 'URL').replaceAll(address, 'ADDRESS')}`);
    }
    expect(mailed[0]).toBe(mailed[1]);
    // At an app with open sign-up it becomes a new account, not the old one.
    const stranger = await signIn(new Browser(), linkid, rp, 'old@example.com');
    expect(stranger.tokens.claims()!.sub).not.toBe(owner.id);
    expect(await emailOf(linkid, owner.id)).toBe('new@example.com');
  });

  it("lets the old owner undo a hostile change: the old address is back, the hijacker's browser is signed out and its refresh token refused", async () => {
    const { linkid, rp } = await suite.setup();
    const ownerBrowser = new Browser();
    const ownerTokens = (await signIn(ownerBrowser, linkid, rp, 'victim@example.com', offline)).tokens;
    const sub = ownerTokens.claims()!.sub;
    // Someone else got a session of the account (a shared computer, a stolen cookie) and changes its address.
    const hijacker = new Browser();
    const hijackerTokens = (await signIn(hijacker, linkid, rp, 'victim@example.com', offline)).tokens;
    const changed = await changeAddress(linkid, hijacker, 'victim@example.com', 'thief@example.net');
    expect(changed.status).toBe(200);
    expect(await emailOf(linkid, sub)).toBe('thief@example.net');
    // Confirming signed every browser out, this one too: the thief signs in again with the new
    // address, asks for a second change and keeps its link.
    expect((await hijacker.follow(`${linkid.issuer}/account`)).url).toMatch(/\/interaction\/[^/]+$/);
    await openAccount(hijacker, linkid, 'thief@example.net', '/account/email');
    await askToChange(hijacker, linkid, 'thief2@example.net');
    const pending = await latestChangeMail(linkid, 'thief2@example.net', 'confirm');

    const undo = await latestChangeMail(linkid, 'victim@example.com', 'undo');
    const fromAnywhere = new Browser();
    const page = await fromAnywhere.request(undo.link);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<strong>victim@example.com</strong>');
    expect((await fromAnywhere.request(undo.link, { method: 'HEAD' })).status).toBe(200);
    expect(await emailOf(linkid, sub)).toBe('thief@example.net');
    const undone = await fromAnywhere.submit(page, /\/account\/email\/undo$/);

    expect(undone.status, undone.body).toBe(200);
    expect(undone.body).toContain('<strong>victim@example.com</strong> again');
    expect(await emailOf(linkid, sub)).toBe('victim@example.com');
    expect((await hijacker.follow(`${linkid.issuer}/account`)).url).toMatch(/\/interaction\/[^/]+$/);
    for (const tokens of [hijackerTokens, ownerTokens]) {
      await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    }
    // The thief's pending change died with the undo, even in the browser that asked for it.
    const late = await hijacker.request(pending.link);
    expect(reasonOf(late)).toBe('change_link_used');
    expect(await linkid.store.users.findByEmail('thief2@example.net')).toBeUndefined();
    // The undo works once.
    const again = await fromAnywhere.request(`${linkid.issuer}/account/email/undo`, { form: { token: undo.token } });
    expect(again.status).toBe(410);
    expect(reasonOf(again)).toBe('change_link_used');
    // The owner signs in again with the old address, to the same account.
    expect((await signIn(new Browser(), linkid, rp, 'victim@example.com')).tokens.claims()!.sub).toBe(sub);
    await linkid.settle();
    const events = await linkid.store.audit.search({ accountId: sub }, linkid.clock.now());
    expect(events.map((event) => event.event)).toEqual(expect.arrayContaining(['account.email_changed', 'account.email_change_undone']));
  });

  it('does not let the undo of a later change take away the undo of the first', async () => {
    const clock = fakeClock();
    const { linkid } = await suite.setup({ clock });
    const owner = await createUser(linkid, 'first@example.com');
    const browser = new Browser();
    await changeAddress(linkid, browser, 'first@example.com', 'second@example.com');
    const firstUndo = await latestChangeMail(linkid, 'first@example.com', 'undo');
    clock.advance(MINUTE);
    // Confirming signed the browser out: it signs in again with the address it now has.
    await changeAddress(linkid, browser, 'second@example.com', 'third@example.com');
    const secondUndo = await latestChangeMail(linkid, 'second@example.com', 'undo');
    clock.advance(MINUTE);

    expect((await pressLink(new Browser(), secondUndo)).status).toBe(200);
    expect(await emailOf(linkid, owner.id)).toBe('second@example.com');
    expect((await pressLink(new Browser(), firstUndo)).status).toBe(200);
    expect(await emailOf(linkid, owner.id)).toBe('first@example.com');
  });

  it('confirms only in the browser that asked: another browser (or a scanner) changes nothing and spends nothing', async () => {
    const { linkid } = await suite.setup();
    const owner = await createUser(linkid, 'grace@example.com');
    const browser = new Browser();
    await openAccount(browser, linkid, 'grace@example.com', '/account/email');
    await askToChange(browser, linkid, 'grace@example.org');
    const mail = await latestChangeMail(linkid, 'grace@example.org', 'confirm');

    const elsewhere = new Browser();
    const opened = await elsewhere.request(mail.link);
    expect(opened.status).toBe(403);
    expect(reasonOf(opened)).toBe('change_browser_mismatch');
    const pressed = await elsewhere.request(`${linkid.issuer}/account/email/confirm`, { form: { token: mail.token } });
    expect(pressed.status).toBe(403);
    expect(reasonOf(pressed)).toBe('change_browser_mismatch');
    // Even with a binding cookie of its own (it signed in to something there once).
    await openAccount(elsewhere, linkid, 'grace@example.com');
    const bound = await elsewhere.request(`${linkid.issuer}/account/email/confirm`, { form: { token: mail.token } });
    expect(reasonOf(bound)).toBe('change_browser_mismatch');
    expect(await emailOf(linkid, owner.id)).toBe('grace@example.com');

    const done = await pressLink(browser, mail);
    expect(done.status, done.body).toBe(200);
    expect(await emailOf(linkid, owner.id)).toBe('grace@example.org');
  });

  it('refuses a link used twice, a made-up one, an undo value used as a confirm, and a cross-site press', async () => {
    const { linkid } = await suite.setup();
    const owner = await createUser(linkid, 'lin@example.com');
    const browser = new Browser();
    await openAccount(browser, linkid, 'lin@example.com', '/account/email');
    await askToChange(browser, linkid, 'lin@example.org');
    const mail = await latestChangeMail(linkid, 'lin@example.org', 'confirm');

    const crossSite = await browser.request(`${linkid.issuer}/account/email/confirm`, {
      form: { token: mail.token },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(reasonOf(crossSite)).toBe('origin_mismatch');
    expect(await emailOf(linkid, owner.id)).toBe('lin@example.com');

    expect((await pressLink(browser, mail)).status).toBe(200);
    const twice = await browser.request(`${linkid.issuer}/account/email/confirm`, { form: { token: mail.token } });
    expect(twice.status).toBe(410);
    expect(reasonOf(twice)).toBe('change_link_used');
    const undo = await latestChangeMail(linkid, 'lin@example.com', 'undo');
    for (const token of ['x'.repeat(43), undo.token, '<script>', '']) {
      const page = await browser.request(`${linkid.issuer}/account/email/confirm`, { form: { token } });
      expect(page.status, token).toBe(404);
      expect(reasonOf(page)).toBe('change_link_unknown');
    }
    const wrongKind = await browser.request(`${linkid.issuer}/account/email/undo?token=${mail.token}`);
    expect(reasonOf(wrongKind)).toBe('change_link_unknown');
    expect(await emailOf(linkid, owner.id)).toBe('lin@example.org');
  });

  it('lets a link expire after 10 minutes', async () => {
    const clock = fakeClock();
    const { linkid } = await suite.setup({ clock });
    const owner = await createUser(linkid, 'ida@example.com');
    const browser = new Browser();
    await openAccount(browser, linkid, 'ida@example.com', '/account/email');
    await askToChange(browser, linkid, 'ida@example.org');
    const mail = await latestChangeMail(linkid, 'ida@example.org', 'confirm');
    const confirm = await browser.request(mail.link);
    clock.advance(10 * MINUTE);

    expect(reasonOf(await browser.request(mail.link))).toBe('change_link_expired');
    const late = await browser.submit(confirm, /\/account\/email\/confirm$/);
    expect(late.status).toBe(410);
    expect(reasonOf(late)).toBe('change_link_expired');
    expect(await emailOf(linkid, owner.id)).toBe('ida@example.com');
  });

  it('answers an address in use exactly as a free one, tells its owner instead, and changes nothing', async () => {
    const { linkid } = await suite.setup();
    const asker = await createUser(linkid, 'ann@example.com');
    const holder = await createUser(linkid, 'taken@example.com');
    const browser = new Browser();
    await openAccount(browser, linkid, 'ann@example.com', '/account/email');

    const toTaken = await askToChange(browser, linkid, 'taken@example.com');
    const toFree = await askToChange(browser, linkid, 'free@example.com');

    expect(masked(toTaken, 'taken@example.com')).toBe(masked(toFree, 'free@example.com'));
    expect([...toTaken.headers.keys()].sort()).toEqual([...toFree.headers.keys()].sort());
    const [notice, ...more] = await mailsTo(linkid, 'taken@example.com');
    expect(more).toEqual([]);
    expect(notice?.subject).toBe('Someone tried to use your address at linkid');
    expect(notice?.text).toContain('Nothing changed');
    expect(notice?.text).not.toContain('/account/email/');
    await latestChangeMail(linkid, 'free@example.com', 'confirm');
    expect(await emailOf(linkid, asker.id)).toBe('ann@example.com');
    expect(await emailOf(linkid, holder.id)).toBe('taken@example.com');
    const changeLinks = (await storedRecords(linkid)).email_change_tokens ?? [];
    expect(changeLinks.filter((link) => link.kind === 'confirm').map((link) => link.email)).toEqual(['free@example.com']);
  });

  it('refuses to confirm an address another account took after the link was sent', async () => {
    const { linkid } = await suite.setup();
    const owner = await createUser(linkid, 'eve@example.com');
    const browser = new Browser();
    await openAccount(browser, linkid, 'eve@example.com', '/account/email');
    await askToChange(browser, linkid, 'contested@example.com');
    const mail = await latestChangeMail(linkid, 'contested@example.com', 'confirm');
    await createUser(linkid, 'contested@example.com');

    const page = await browser.request(mail.link);
    expect(page.status).toBe(409);
    expect(reasonOf(page)).toBe('email_taken');
    expect(reasonOf(await browser.request(`${linkid.issuer}/account/email/confirm`, { form: { token: mail.token } }))).toBe('email_taken');
    expect(await emailOf(linkid, owner.id)).toBe('eve@example.com');
  });

  it('sends a sign-in older than 10 minutes to a fresh link, before the form and on the post', async () => {
    const clock = fakeClock();
    const { linkid } = await suite.setup({ clock });
    await createUser(linkid, 'kay@example.com');
    const browser = new Browser();
    const form = await openAccount(browser, linkid, 'kay@example.com', '/account/email');
    expect(form.status).toBe(200);
    clock.advance(11 * MINUTE);

    const stale = await browser.request(`${linkid.issuer}/account/email`);
    expect(stale.status).toBe(303);
    expect(stale.location).toMatch(/\/auth\?.*prompt=login/);
    expect(new URL(stale.location!).searchParams.get('login_hint')).toBe('kay@example.com');
    const post = await browser.request(`${linkid.issuer}/account/email`, { form: { email: 'kay@example.org' } });
    expect(post.status).toBe(303);
    expect(post.location).toMatch(/\/auth\?/);
    expect(await mailsTo(linkid, 'kay@example.org')).toEqual([]);

    // Followed, the post lands on the sign-in form with the address filled in. (oidc-provider stamps
    // a login with the real clock, so a fresh sign-in cannot be finished under this fake one.)
    const signInForm = await browser.follow(post.location!);
    expect(signInForm.url).toMatch(/\/interaction\/[^/]+$/);
    expect(signInForm.body).toContain('value="kay@example.com"');
  });

  it('refuses a malformed address and its own address on the form, with the form again', async () => {
    const { linkid } = await suite.setup();
    await createUser(linkid, 'max@example.com');
    const browser = new Browser();
    await openAccount(browser, linkid, 'max@example.com', '/account/email');
    const bad = await askToChange(browser, linkid, 'not an address');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('aria-invalid="true"');
    const same = await askToChange(browser, linkid, 'MAX@example.com');
    expect(same.status).toBe(400);
    expect(same.body).toContain('That is already the address of your account.');
    const junk = await browser.request(`${linkid.issuer}/account/email`, { form: { email: 'a'.repeat(5000) } });
    expect(junk.status).toBe(400);
  });

  it('limits changes per account and mails per new address, and a refused request spends nothing', async () => {
    const { linkid } = await suite.setup({ env: { RATE_LIMIT_EMAIL_CHANGE_PER_ACCOUNT: '2/1h', RATE_LIMIT_SEND_PER_EMAIL: '1/1h' } });
    await createUser(linkid, 'ola@example.com');
    await createUser(linkid, 'per@example.com');
    const ola = new Browser();
    await openAccount(ola, linkid, 'ola@example.com', '/account/email');

    expect((await askToChange(ola, linkid, 'one@example.com')).status).toBe(200);
    const sameAddress = await askToChange(ola, linkid, 'one@example.com');
    expect(sameAddress.status).toBe(429);
    expect(reasonOf(sameAddress)).toBe('rate_limited');
    expect((await askToChange(ola, linkid, 'two@example.com')).status).toBe(200);
    const third = await askToChange(ola, linkid, 'three@example.com');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBeTruthy();
    expect(await mailsTo(linkid, 'three@example.com')).toEqual([]);

    // The refused requests took nothing from three@'s budget: another account may still mail it.
    const per = new Browser();
    await openAccount(per, linkid, 'per@example.com', '/account/email');
    expect((await askToChange(per, linkid, 'three@example.com')).status).toBe(200);
    expect(await mailsTo(linkid, 'one@example.com')).toHaveLength(1);
  });

  it('keeps no raw confirm or undo token in the database, the logs or the audit trail', async () => {
    const { linkid } = await suite.setup();
    await createUser(linkid, 'zoe@example.com');
    const browser = new Browser();
    await openAccount(browser, linkid, 'zoe@example.com', '/account/email');
    await askToChange(browser, linkid, 'zoe@example.org');
    const confirm = await latestChangeMail(linkid, 'zoe@example.org', 'confirm');
    await pressLink(browser, confirm);
    const undo = await latestChangeMail(linkid, 'zoe@example.com', 'undo');
    await pressLink(new Browser(), undo);
    await linkid.settle();

    const stored = await storedRecords(linkid);
    const dump = JSON.stringify(stored);
    expect(dump).toContain('email_change');
    expect(Object.keys(stored)).toContain('email_change_tokens');
    for (const token of [confirm.token, undo.token]) {
      expect(dump).not.toContain(token);
      expect(linkid.logs.join('')).not.toContain(token);
    }
  });
  it('leaves no hash of any address the account had in the audit trail once it is deleted, only the one user.deleted keeps', async () => {
    const { linkid } = await suite.setup();
    const user = await createUser(linkid, 'first@example.com');
    const browser = new Browser();
    await changeAddress(linkid, browser, 'first@example.com', 'second@example.com');
    await changeAddress(linkid, browser, 'second@example.com', 'third@example.com');
    await pressLink(new Browser(), await latestChangeMail(linkid, 'second@example.com', 'undo'));
    expect(await emailOf(linkid, user.id)).toBe('second@example.com');
    // Another account asks for the first address, now free: its event names that address by its hash.
    const other = new Browser();
    const otherUser = await createUser(linkid, 'other@example.com');
    await openAccount(other, linkid, 'other@example.com', '/account/email');
    await askToChange(other, linkid, 'first@example.com');
    await linkid.settle();
    const hashes = ['first@example.com', 'second@example.com', 'third@example.com'].map(addressHash);
    const before = JSON.stringify(await linkid.store.audit.search({}, linkid.clock.now()));
    for (const hash of hashes) expect(before).toContain(hash);

    const page = await openAccount(browser, linkid, 'second@example.com', '/account/delete');
    const done = await browser.submit(page, /\/account\/delete$/, { email: 'second@example.com' });
    expect(done.status, done.body).toBe(200);
    await linkid.settle();

    const events = await linkid.store.audit.search({}, linkid.clock.now());
    const deleted = events.filter((event) => event.event === 'user.deleted');
    expect(deleted.map((event) => event.fields.emailHash)).toEqual([addressHash('second@example.com')]);
    const rest = JSON.stringify(events.filter((event) => event.event !== 'user.deleted'));
    for (const hash of hashes) expect(rest).not.toContain(hash);
    const asked = events.find((event) => event.event === 'account.email_change_requested' && event.accountId === otherUser.id);
    expect(asked?.fields).toEqual({});
  });

  it('leaves no address the deleted account held in clear in the audit trail, and every address it or another account only asked for where it was', async () => {
    const { linkid, rp } = await suite.setup();
    const [first, second] = ['first.held@example.com', 'second.held@example.com'];
    // A third person holds an address the account will ask for.
    await signIn(new Browser(), linkid, rp, 'taken@example.com');
    const browser = new Browser();
    const sub = (await signIn(browser, linkid, rp, first)).tokens.claims()!.sub;
    await openAccount(browser, linkid, first, '/account/email');
    await askToChange(browser, linkid, 'taken@example.com');
    await askToChange(browser, linkid, 'unconfirmed@example.com');
    await askToChange(browser, linkid, second);
    expect((await pressLink(browser, await latestChangeMail(linkid, second, 'confirm'))).status).toBe(200);
    const again = new Browser();
    expect((await signIn(again, linkid, rp, second)).tokens.claims()!.sub).toBe(sub);
    // Someone signs up later with the address the account asked for and never confirmed; another account asks for one it never gets.
    await signIn(new Browser(), linkid, rp, 'unconfirmed@example.com');
    const other = new Browser();
    await createUser(linkid, 'other@example.com');
    await openAccount(other, linkid, 'other@example.com', '/account/email');
    await askToChange(other, linkid, 'wished@example.com');
    await linkid.settle();
    const before = await linkid.store.audit.search({}, linkid.clock.now());
    expect(before.find((event) => event.event === 'account.email_changed')?.email).toBe(second);
    for (const address of [first, second]) expect(JSON.stringify(before)).toContain(address);
    // Every event of another account or naming, in clear or by hash, an address the deleted account never held.
    const notHeld = ['taken@example.com', 'unconfirmed@example.com', 'other@example.com', 'wished@example.com'].flatMap((address) => [
      address,
      addressHash(address),
    ]);
    const othersEvents = (events: typeof before) =>
      events.filter((event) => event.accountId !== sub && (event.accountId !== null || notHeld.some((name) => JSON.stringify(event).includes(name))));
    expect(othersEvents(before).map((event) => event.event)).toEqual(
      expect.arrayContaining(['login.completed', 'account.created', 'account.email_change_requested', 'mail.queued', 'mail.sent']),
    );

    const page = await openAccount(again, linkid, second, '/account/delete');
    const done = await again.submit(page, /\/account\/delete$/, { email: second });
    expect(done.status, done.body).toBe(200);
    await linkid.settle();

    const after = await linkid.store.audit.search({}, linkid.clock.now());
    // The trail as stored, every field of it; its change-email links name two of its addresses
    // each, while another account's stay.
    const stored = await storedRecords(linkid);
    const dump = JSON.stringify(stored.audit_events);
    const changeLinks = JSON.stringify(stored.email_change_tokens);
    expect(changeLinks).toContain('wished@example.com');
    for (const address of [first, second]) {
      expect(changeLinks, `${address} is in a change-email link`).not.toContain(address);
      expect(dump, `${address} is in the audit trail`).not.toContain(address);
      expect(await linkid.store.audit.search({ email: address }, linkid.clock.now())).toEqual([]);
    }
    expect(after.filter((event) => event.accountId === sub).length).toBeGreaterThan(5);
    expect(othersEvents(after)).toEqual(othersEvents(before));
  });

  it('records a change whose undo the store then fails to take, so a deletion still forgets the address it replaced', async () => {
    let failUndo = false;
    const { linkid, rp } = await suite.setup({
      wrapStore: (store) => ({
        ...store,
        emailChanges: {
          ...store.emailChanges,
          insert: async (token) => {
            if (failUndo && token.kind === 'undo') throw unavailableError(store);
            return store.emailChanges.insert(token);
          },
        },
      }),
    });
    const [before, after] = ['before.fault@example.com', 'after.fault@example.com'];
    const browser = new Browser();
    const sub = (await signIn(browser, linkid, rp, before)).tokens.claims()!.sub;
    await openAccount(browser, linkid, before, '/account/email');
    expect((await askToChange(browser, linkid, after)).status).toBe(200);
    failUndo = true;
    const confirmed = await pressLink(browser, await latestChangeMail(linkid, after, 'confirm'));
    failUndo = false;
    expect(confirmed.status).toBe(503);
    expect(reasonOf(confirmed)).toBe('store_unavailable');
    expect(await emailOf(linkid, sub)).toBe(after);
    await linkid.settle();
    const changed = (await linkid.store.audit.search({ accountId: sub }, linkid.clock.now())).filter((event) => event.event === 'account.email_changed');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ email: after, fields: { previousEmailHash: addressHash(before) } });

    const again = new Browser();
    await signIn(again, linkid, rp, after);
    const page = await openAccount(again, linkid, after, '/account/delete');
    expect((await again.submit(page, /\/account\/delete$/, { email: after })).status).toBe(200);
    await linkid.settle();
    expect(await linkid.store.audit.search({ email: before }, linkid.clock.now())).toEqual([]);
  });
});
