// Recovery codes from the account page to the day they are needed: the page makes a set (only
// after a fresh sign-in), shows it once with a text download, and a new set voids the old; then
// someone who lost their inbox follows "Lost access to your email?" from an app's email form,
// types the address and one code, and lands on "change email" with the sign-in fresh, as the
// account's owner, without any email to the lost inbox. And the owner, told by a notice that
// someone else made a set, voids it on the page at once, whatever the generation limit says.
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/i18n/catalog.js';
import type { OutboxMessage } from '../../src/mail/outbox.js';
import type { Store } from '../../src/store/port.js';
import { codesOn, openAccount, signInOnForm } from '../support/account.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { createUser, makeRecoveryCodes } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { mailsTo, settledOutbox } from '../support/outbox.js';
import { maskedPage, reasonOf } from '../support/sign-in.js';
import { unavailableError } from '../support/store-faults.js';
import { useLinkid } from '../support/use-linkid.js';

describe('recovery codes on the account page', () => {
  const suite = useLinkid();

  it('makes a set after a fresh sign-in, shows it once with a download of the same codes, and a new set voids the old', async () => {
    const { linkid } = await suite.setup();
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes');
    expect(page.url).toBe(`${linkid.issuer}/account/recovery-codes`);
    expect(page.body).toContain('You have 0 unused codes.');

    const made = await browser.submit(page, /\/account\/recovery-codes$/);
    const codes = codesOn(made.body);
    expect(codes).toHaveLength(10);
    const download = decodeURIComponent(/href="data:text\/plain;charset=utf-8,([^"]+)" download=/.exec(made.body)![1]!.replace(/&amp;/g, '&'));
    for (const code of codes) expect(download).toContain(code);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(10);

    const again = await browser.follow(`${linkid.issuer}/account/recovery-codes`);
    expect(again.body).toContain('You have 10 unused codes.');
    for (const code of codes) expect(again.body).not.toContain(code);
    const second = codesOn((await browser.submit(again, /\/account\/recovery-codes$/)).body);
    expect(second.filter((code) => codes.includes(code))).toEqual([]);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(10);
  });

  it('asks a sign-in older than 10 minutes for a fresh link before showing or making codes', async () => {
    const clock = fakeClock();
    const { linkid } = await suite.setup({ clock });
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes');
    clock.advance(11 * 60 * 1000);
    const stale = await browser.request(formOn(page, /\/account\/recovery-codes$/).action, { form: {} });
    expect(stale.status).toBe(303);
    expect(stale.location).toMatch(/\/auth\?.*prompt=login/);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);
  });

  it('gets someone who lost their inbox from an app\'s email form to "change email", signed in as the owner, with no mail to the lost inbox', async () => {
    const { linkid, rp } = await suite.setup();
    const user = await createUser(linkid, 'lost@example.com');
    const codes = await makeRecoveryCodes(linkid, user.id);
    const mailsBefore = (await mailsTo(linkid, 'lost@example.com')).length;
    const browser = new Browser();

    const emailForm = await browser.follow((await rp.authorizationUrl()).url);
    const link = /<a href="([^"]+)">Lost access to your email\?/.exec(emailForm.body)?.[1];
    expect(link).toBe('/account/recover');
    const form = await browser.follow(new URL(link!, linkid.issuer).href);
    expect(form.url).toMatch(/\/interaction\/[^/]+\/recover$/);
    // Its "back" link reaches the email form of the same sign-in.
    const back = await browser.follow(new URL(/<a href="([^"]+\?with=link)">/.exec(form.body)![1]!, linkid.issuer).href);
    expect(back.status).toBe(200);
    expect(back.body).toContain('name="email"');
    expect(back.body).not.toContain('name="code"');
    const wrong = await browser.submit(form, /\/recover$/, { email: 'lost@example.com', code: '2222-2222-2222' });
    expect(reasonOf(wrong), wrong.url + ' ' + formOn(form, /\/recover$/).action).toBe('recovery_invalid');
    const landed = await browser.submit(form, /\/recover$/, { email: 'lost@example.com', code: codes[0]! });

    expect(landed.url, `${landed.status} ${reasonOf(landed)} ${landed.body.slice(0, 3000)}`).toBe(`${linkid.issuer}/account/email`);
    expect(landed.status).toBe(200);
    expect(landed.body).toContain('New email address');
    expect(landed.body).toContain('lost@example.com');
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(9);
    expect((await mailsTo(linkid, 'lost@example.com')).length).toBe(mailsBefore);
  });
});

const CHROME_ON_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const catalog = createCatalog();

/** A browser whose person reads German: it sends Accept-Language with every request. */
class GermanBrowser extends Browser {
  override request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    return super.request(url, { ...init, headers: { 'accept-language': 'de-DE,de;q=0.9', ...init.headers } });
  }
}

/** Every way a code could be written into a mail: as shown, without dashes, in capitals. */
const formsOf = (code: string) => [code, code.replace(/-/g, ''), code.toUpperCase(), code.replace(/-/g, '').toUpperCase()];

/** On the recovery-code page of `browser` (signed in as `email`), makes a set; the codes and the mails to `email` it added. */
async function makeCodes(linkid: RunningLinkid, browser: Browser, email: string, page?: Page) {
  const form = page ?? (await browser.follow(`${linkid.issuer}/account/recovery-codes`));
  // The outbox sorts by time, and a fake clock that stands still gives mails the same one: the new ones are those not there before.
  const before = new Set((await mailsTo(linkid, email)).map((mail) => JSON.stringify(mail)));
  const made = await browser.submit(form, /\/account\/recovery-codes$/);
  expect(made.status, made.body).toBe(200);
  const codes = codesOn(made.body);
  expect(codes).toHaveLength(10);
  return { made, codes, added: (await mailsTo(linkid, email)).filter((mail) => !before.has(JSON.stringify(mail))) };
}

describe('the notice of new recovery codes', () => {
  const suite = useLinkid();

  const expectNoCode = (mail: OutboxMessage, codes: readonly string[]) => {
    const whole = `${mail.subject}\n${mail.text}\n${mail.html}`;
    for (const code of codes) for (const form of formsOf(code)) expect(whole).not.toContain(form);
  };

  it("mails the account's address one notice per new set: when, from which browser, what to do, a link to the account page and no code", async () => {
    const clock = fakeClock();
    const { linkid } = await suite.setup({ clock });
    await createUser(linkid, 'ada@example.com');
    const browser = new Browser(CHROME_ON_MAC);
    const page = await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes');

    const first = await makeCodes(linkid, browser, 'ada@example.com', page);
    expect(first.added).toHaveLength(1);
    const [notice] = first.added;
    expect(notice!.subject).toBe('New recovery codes for your linkid account');
    for (const part of [notice!.text, notice!.html]) {
      expect(part).toContain(`on ${catalog.formatDateTime('en', clock.now())}`);
      expect(part).toContain('Requested from Chrome on macOS');
      // A first set replaced nothing: the words about earlier codes come with the second.
      expect(part).not.toContain('no longer work');
      expect(part).toContain(`${linkid.issuer}/account`);
    }
    expect(notice!.html).toContain(`href="${linkid.issuer}/account"`);
    expect(notice!.text).toContain('choose "Void these codes" under "Recovery codes", then choose "Sign out everywhere"');
    expectNoCode(notice!, first.codes);

    clock.advance(60_000);
    const second = await makeCodes(linkid, browser, 'ada@example.com');
    expect(second.added).toHaveLength(1);
    expect(second.added[0]!.text).toContain(`on ${catalog.formatDateTime('en', clock.now())}`);
    expect(second.added[0]!.text).toContain('The codes the account had before no longer work.');
    for (const mail of [notice!, second.added[0]!]) expectNoCode(mail, [...first.codes, ...second.codes]);

    await linkid.settle();
    const queued = (await linkid.store.audit.search({ email: 'ada@example.com' }, linkid.clock.now())).filter(
      (event) => event.event === 'mail.queued' && event.fields.tag === 'security-notice',
    );
    expect(queued).toHaveLength(2);
  });

  it('speaks the language the account page was in, date included', async () => {
    const clock = fakeClock();
    const { linkid } = await suite.setup({ clock });
    await createUser(linkid, 'lena@example.com');
    const browser = new GermanBrowser(CHROME_ON_MAC);
    const page = await openAccount(browser, linkid, 'lena@example.com', '/account/recovery-codes');
    expect(page.headers.get('content-language')).toBe('de');

    const { added, codes } = await makeCodes(linkid, browser, 'lena@example.com', page);
    expect(added).toHaveLength(1);
    const [notice] = added;
    const de = catalog.translator('de', { product: 'linkid' });
    expect(notice!.subject).toBe(de('account.recoveryCodes.mail.subject'));
    expect(notice!.html).toContain('<html lang="de">');
    for (const part of [notice!.text, notice!.html]) {
      expect(part).toContain(`am ${catalog.formatDateTime('de', clock.now())}`);
      expect(part).toContain('Angefordert von Chrome unter macOS');
    }
    expectNoCode(notice!, codes);
  });
});

const MAKE = /\/account\/recovery-codes$/;
const NOTICE_SUBJECT = 'New recovery codes for your linkid account';

/** The notices of new sets mailed to `email` so far. */
const noticesTo = async (linkid: RunningLinkid, email: string) => (await mailsTo(linkid, email)).filter((mail) => mail.subject === NOTICE_SUBJECT);

/** What the account page's recovery form answers `email` and `code`, typed in a browser of its own. */
async function recoveryAnswer(linkid: RunningLinkid, email: string, code: string): Promise<Page> {
  const browser = new Browser();
  return browser.submit(await browser.follow(`${linkid.issuer}/account/recover`), /\/recover$/, { email, code });
}

/** Whether `code` signs `email` in on the account page's recovery form, in a browser of its own. */
async function codeWorks(linkid: RunningLinkid, email: string, code: string): Promise<boolean> {
  const landed = await recoveryAnswer(linkid, email, code);
  if (landed.url === `${linkid.issuer}/account/email`) return true;
  expect(reasonOf(landed), landed.body).toBe('recovery_invalid');
  return false;
}

/** A "make new codes" POST that was refused: the rate_limited page with when to retry and the way back, and no code. */
function expectRateLimited(page: Page) {
  expect(page.status, page.body).toBe(429);
  expect(reasonOf(page)).toBe('rate_limited');
  expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(page.body).toContain('href="/account"');
  expect(codesOn(page.body)).toEqual([]);
}

describe('new sets of recovery codes are limited per account', () => {
  const suite = useLinkid();

  it('makes RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT sets; past it a 429 rate_limited page makes no set, mails nothing, keeps the last set working and spends nothing', async () => {
    const { linkid } = await suite.setup({ env: { RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT: '2/1h' } });
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes');
    const first = await makeCodes(linkid, browser, 'ada@example.com', page);
    const second = await makeCodes(linkid, browser, 'ada@example.com');
    expect([...first.added, ...second.added].map((mail) => mail.subject)).toEqual([NOTICE_SUBJECT, NOTICE_SUBJECT]);

    for (let i = 0; i < 3; i += 1) expectRateLimited(await browser.submit(await browser.follow(`${linkid.issuer}/account/recovery-codes`), MAKE));
    expect(await noticesTo(linkid, 'ada@example.com')).toHaveLength(2);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(10);
    expect(await codeWorks(linkid, 'ada@example.com', first.codes[0]!)).toBe(false);
    expect(await codeWorks(linkid, 'ada@example.com', second.codes[0]!)).toBe(true);

    await linkid.settle();
    const events = await linkid.store.audit.search({ accountId: user.id }, linkid.clock.now());
    expect(events.filter((event) => event.event === 'recovery.codes_generated')).toHaveLength(2);
    const refused = events.filter((event) => event.event === 'login.refused' && event.fields.step === 'recovery-codes');
    expect(refused).toHaveLength(3);
    for (const event of refused) {
      expect(event).toMatchObject({ reason: 'rate_limited', accountId: user.id, fields: { limit: 'RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT' } });
      expect(event.requestId).toBeTruthy();
    }
    const trail = JSON.stringify(events);
    for (const code of [...first.codes, ...second.codes]) for (const form of formsOf(code)) expect(trail).not.toContain(form);

    // The three refusals gave their points back: one point returned to the counter the limit
    // keeps in the store (rl_<variable>, src/login/rate-limits.ts) makes room for one set, not none.
    const counter = linkid.store.createRateLimiter({ keyPrefix: 'rl_rate_limit_recovery_codes_per_account', points: 2, durationSeconds: 3600 });
    await counter.reward(user.id);
    const third = await makeCodes(linkid, browser, 'ada@example.com');
    expect(third.added.map((mail) => mail.subject)).toEqual([NOTICE_SUBJECT]);
    expectRateLimited(await browser.submit(await browser.follow(`${linkid.issuer}/account/recovery-codes`), MAKE));
  });

  it('makes a set again once the window has passed', async () => {
    // Rate-limit windows run on wall-clock time in both stores (src/store/sqlite/rate-limiter.ts,
    // rate-limiter-flexible on MongoDB), not on the injected clock: this waits out a 3-second one.
    const { linkid } = await suite.setup({ env: { RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT: '1/3s' } });
    const user = await createUser(linkid, 'bo@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'bo@example.com', '/account/recovery-codes');
    const first = await browser.submit(page, MAKE);
    const refused = await browser.submit(page, MAKE);
    expect(first.status, first.body).toBe(200);
    expectRateLimited(refused);
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeLessThanOrEqual(3);
    expect(await noticesTo(linkid, 'bo@example.com')).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 50));
    const again = await makeCodes(linkid, browser, 'bo@example.com');
    expect(again.added.map((mail) => mail.subject)).toEqual([NOTICE_SUBJECT]);
    expect(await noticesTo(linkid, 'bo@example.com')).toHaveLength(2);
    expect(await codeWorks(linkid, 'bo@example.com', codesOn(first.body)[0]!)).toBe(false);
    expect(await codeWorks(linkid, 'bo@example.com', again.codes[0]!)).toBe(true);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(9);
  });

  it('lets exactly 3 of 12 concurrent POSTs make a set with a limit of 3: 3 notices, one set, the others refused', async () => {
    const { linkid } = await suite.setup({ env: { RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT: '3/1h' } });
    const user = await createUser(linkid, 'cy@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'cy@example.com', '/account/recovery-codes');
    const pages = await Promise.all(Array.from({ length: 12 }, () => browser.submit(page, MAKE)));
    const made = pages.filter((answer) => answer.status === 200);
    expect(made).toHaveLength(3);
    for (const answer of pages.filter((other) => other.status !== 200)) expectRateLimited(answer);
    expect(await noticesTo(linkid, 'cy@example.com')).toHaveLength(3);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(10);
    await linkid.settle();
    const events = await linkid.store.audit.search({ accountId: user.id }, linkid.clock.now());
    expect(events.filter((event) => event.event === 'recovery.codes_generated')).toHaveLength(3);
    // Of the sets shown, only the one stored last is the account's.
    const works: boolean[] = [];
    for (const answer of made) works.push(await codeWorks(linkid, 'cy@example.com', codesOn(answer.body)[0]!));
    expect(works.filter(Boolean)).toHaveLength(1);
  });
});

const VOID = /\/account\/recovery-codes\/void$/;
const GENEROUS = { RATE_LIMIT_RECOVERY_PER_EMAIL: '1000/1h', RATE_LIMIT_RECOVERY_PER_IP: '1000/1h' };

/** Whether the page offers "Void these codes". */
const offersVoid = (page: Page) => /<form method="post" action="\/account\/recovery-codes\/void">/.test(page.body);

/** The answer to a void: the page says the codes are void, offers a new set and no void, and is never cached. */
function expectVoided(page: Page) {
  expect(page.status, page.body).toBe(200);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.body).toContain('<p role="status">Your recovery codes are void: none of them signs in any more.');
  expect(page.body).toContain('You have 0 unused codes.');
  expect(page.body).toContain('Make 10 new codes');
  expect(formOn(page, MAKE).action).toBe(`${page.url.replace(/\/void$/, '')}`);
  expect(offersVoid(page)).toBe(false);
}

/** The account's recovery.codes_voided events so far. */
async function voidEvents(linkid: RunningLinkid, accountId: string) {
  await linkid.settle();
  return (await linkid.store.audit.search({ accountId }, linkid.clock.now())).filter((event) => event.event === 'recovery.codes_voided');
}

describe('voiding recovery codes on the account page', () => {
  const suite = useLinkid();

  it('offers "Void these codes" only while a set has unused codes; voiding kills every code of the set at once (recovery_invalid, the page an unknown pair gets), mails nothing and is audited as recovery.codes_voided without a code', async () => {
    const { linkid } = await suite.setup({ env: GENEROUS });
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes');
    expect(offersVoid(page)).toBe(false);
    const { codes } = await makeCodes(linkid, browser, 'ada@example.com', page);
    const listed = await browser.follow(`${linkid.issuer}/account/recovery-codes`);
    expect(listed.body).toContain('You have 10 unused codes.');
    expect(offersVoid(listed)).toBe(true);
    expect(listed.body).toContain('<button type="submit" class="secondary" aria-describedby="void-hint">Void these codes</button>');

    const mailsBefore = (await settledOutbox(linkid)).length;
    const voided = await browser.submit(listed, VOID);
    expectVoided(voided);
    expect(voided.url).toBe(`${linkid.issuer}/account/recovery-codes/void`);
    expect((await settledOutbox(linkid)).length).toBe(mailsBefore);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);
    expect(offersVoid(await browser.follow(`${linkid.issuer}/account/recovery-codes`))).toBe(false);

    const dead = await recoveryAnswer(linkid, 'ada@example.com', codes[0]!);
    expect(dead.status).toBe(400);
    expect(reasonOf(dead)).toBe('recovery_invalid');
    expect(maskedPage(dead)).toBe(maskedPage(await recoveryAnswer(linkid, 'nobody@example.com', codes[0]!)));
    for (const code of codes.slice(1)) expect(await codeWorks(linkid, 'ada@example.com', code)).toBe(false);

    const [event, ...more] = await voidEvents(linkid, user.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ accountId: user.id, fields: { voided: 10 } });
    // The void's request did that and nothing else: no mail queued, no limit refused.
    const byRequest = await linkid.store.audit.search({ requestId: event!.requestId! }, linkid.clock.now());
    expect(byRequest.map((record) => record.event)).toEqual(['recovery.codes_voided']);
    const trail = JSON.stringify(await linkid.store.audit.search({}, linkid.clock.now()));
    for (const code of codes) for (const form of formsOf(code)) expect(trail).not.toContain(form);
  });

  it("voids the intruder's codes at once after they spent the generation limit, signs the intruder out, and leaves that limit spent: the owner's lock-out ends", async () => {
    const { linkid } = await suite.setup({ env: { ...GENEROUS, RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT: '2/1h' } });
    const user = await createUser(linkid, 'ada@example.com');
    // Someone at a browser left signed in makes the sets the limit allows, and then some.
    const intruder = new Browser();
    const theirPage = await openAccount(intruder, linkid, 'ada@example.com', '/account/recovery-codes');
    await makeCodes(linkid, intruder, 'ada@example.com', theirPage);
    const { codes: theirs } = await makeCodes(linkid, intruder, 'ada@example.com');
    expectRateLimited(await intruder.submit(await intruder.follow(`${linkid.issuer}/account/recovery-codes`), MAKE));
    expect(await noticesTo(linkid, 'ada@example.com')).toHaveLength(2);

    // The owner, warned by the notices, signs in with a fresh link: a new set is refused, the void is not.
    const owner = new Browser();
    const ownPage = await openAccount(owner, linkid, 'ada@example.com', '/account/recovery-codes');
    expect(ownPage.body).toContain('You have 10 unused codes.');
    expectRateLimited(await owner.submit(ownPage, MAKE));
    expectVoided(await owner.submit(ownPage, VOID));
    expect(await codeWorks(linkid, 'ada@example.com', theirs[0]!)).toBe(false);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);

    // The void signed every browser out: the intruder's session is gone, and so is the owner's.
    const gone = await intruder.request(formOn(theirPage, MAKE).action, { form: {} });
    expect(gone.status).toBe(303);
    expect(gone.location).toMatch(/\/auth\?/);
    // The void gave no point back: the owner, signed in again, cannot make a set in the window.
    expectRateLimited(await owner.submit(await openAccount(owner, linkid, 'ada@example.com', '/account/recovery-codes'), MAKE));
    expect(await noticesTo(linkid, 'ada@example.com')).toHaveLength(2);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);
  });

  it('spends no point of the generation limit: voids with no set, then, signed in again, as many sets as the limit allows', async () => {
    const { linkid } = await suite.setup({ env: { RATE_LIMIT_RECOVERY_CODES_PER_ACCOUNT: '1/1h' } });
    const user = await createUser(linkid, 'bo@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'bo@example.com', '/account/recovery-codes');
    const voidUrl = `${linkid.issuer}/account/recovery-codes/void`;
    expectVoided(await browser.request(voidUrl, { form: {} }));
    expect(page.url).toBe(`${linkid.issuer}/account/recovery-codes`);
    // The void signed this browser out too; signed in again, it makes the one set the limit allows.
    const { codes } = await makeCodes(linkid, browser, 'bo@example.com', await openAccount(browser, linkid, 'bo@example.com', '/account/recovery-codes'));
    expect(await codeWorks(linkid, 'bo@example.com', codes[0]!)).toBe(true);
    expect((await voidEvents(linkid, user.id)).map((event) => event.fields.voided)).toEqual([0]);
  });

  it('asks a sign-in older than 10 minutes for a fresh link before voiding, voids nothing until then, and comes back to the page', async () => {
    const clock = fakeClock();
    const { linkid } = await suite.setup({ clock });
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes');
    const { codes } = await makeCodes(linkid, browser, 'ada@example.com', page);
    const listed = await browser.follow(`${linkid.issuer}/account/recovery-codes`);
    clock.advance(11 * 60 * 1000);

    const stale = await browser.request(formOn(listed, VOID).action, { form: {} });
    expect(stale.status).toBe(303);
    expect(stale.location).toMatch(/\/auth\?.*prompt=login/);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(10);
    expect(await voidEvents(linkid, user.id)).toEqual([]);

    const back = await signInOnForm(browser, linkid, await browser.follow(stale.location!), 'ada@example.com');
    expect(back.url).toBe(`${linkid.issuer}/account/recovery-codes`);
    expect(back.body).toContain('You have 10 unused codes.');
    expectVoided(await browser.submit(back, VOID));
    expect(await codeWorks(linkid, 'ada@example.com', codes[0]!)).toBe(false);
  });

  it('refuses a void posted from another site (origin_mismatch) or by a browser without a session, and voids nothing', async () => {
    const { linkid } = await suite.setup();
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    await makeCodes(linkid, browser, 'ada@example.com', await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes'));
    const voidUrl = `${linkid.issuer}/account/recovery-codes/void`;
    for (const headers of [
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { origin: 'null', 'sec-fetch-site': 'none' },
    ]) {
      const refused = await browser.request(voidUrl, { form: {}, headers });
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(reasonOf(refused)).toBe('origin_mismatch');
    }
    // Same origin, no linkid session: the sign-in comes first.
    const stranger = await new Browser().request(voidUrl, { form: {} });
    expect(stranger.status).toBe(303);
    expect(stranger.location).toMatch(/\/auth\?/);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(10);
    expect(await voidEvents(linkid, user.id)).toEqual([]);
  });

  it('answers 10 voids at once with the voided page or a sign-in, never a 500, and a void after them with a sign-in; the set goes once', async () => {
    const { linkid } = await suite.setup();
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    await makeCodes(linkid, browser, 'ada@example.com', await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes'));
    const listed = await browser.follow(`${linkid.issuer}/account/recovery-codes`);
    const { action, hidden } = formOn(listed, VOID);
    const answers = await Promise.all(Array.from({ length: 10 }, () => browser.request(action, { form: hidden })));
    // Each void either voided (the same page) or, arriving after another had signed the browser
    // out, asks for a sign-in first; none fails.
    const voidedPages = answers.filter((answer) => answer.status === 200);
    expect(voidedPages.length).toBeGreaterThanOrEqual(1);
    for (const answer of voidedPages) {
      expectVoided(answer);
      expect(maskedPage(answer)).toBe(maskedPage(voidedPages[0]!));
    }
    for (const answer of answers.filter((candidate) => candidate.status !== 200)) {
      expect(answer.status).toBe(303);
      expect(answer.location).toMatch(/\/auth\?/);
    }
    const again = await browser.request(action, { form: hidden });
    expect(again.status).toBe(303);
    expect(again.location).toMatch(/\/auth\?/);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);
    const voided = (await voidEvents(linkid, user.id)).map((event) => event.fields.voided);
    expect(voided).toHaveLength(voidedPages.length);
    expect(voided.filter((count) => count !== 0)).toEqual([10]);
  });

  /** A store whose mail queue runs `around` for every security notice it is handed. */
  const aroundNotices =
    (around: (enqueue: () => Promise<void>, store: Store) => Promise<void>) =>
    (store: Store): Store => ({
      ...store,
      mailQueue: {
        ...store.mailQueue,
        enqueue: (mail) =>
          mail.tag === 'security-notice'
            ? around(async () => void (await store.mailQueue.enqueue(mail)), store).then(() => true)
            : store.mailQueue.enqueue(mail),
      },
    });

  it('leaves no working set behind a void that lands while a set is being made: the set made is the one voided', async () => {
    let held: (() => void) | undefined;
    let reachedQueue: (() => void) | undefined;
    const queued = new Promise<void>((resolve) => (reachedQueue = resolve));
    const { linkid } = await suite.setup({
      env: GENEROUS,
      wrapStore: aroundNotices(async (enqueue) => {
        await enqueue();
        if (held) return;
        const gate = new Promise<void>((resolve) => (held = resolve));
        reachedQueue?.();
        await gate;
      }),
    });
    const user = await createUser(linkid, 'ada@example.com');
    const intruder = new Browser();
    const theirPage = await openAccount(intruder, linkid, 'ada@example.com', '/account/recovery-codes');
    const owner = new Browser();
    await openAccount(owner, linkid, 'ada@example.com', '/account/recovery-codes');
    const making = intruder.submit(theirPage, MAKE);
    // The intruder's notice is in the queue; the owner, told, voids before the making ends.
    await queued;
    expectVoided(await owner.submit(await owner.follow(`${linkid.issuer}/account/recovery-codes`), VOID));
    held?.();
    const made = await making;
    expect(made.status).toBe(200);
    const theirs = codesOn(made.body);
    expect(theirs).toHaveLength(10);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);
    for (const code of theirs) expect(await codeWorks(linkid, 'ada@example.com', code)).toBe(false);
  });

  it('shows no code and keeps no set nobody was told of when the notice cannot be queued (the old set, already replaced, is gone too)', async () => {
    let failing = false;
    const { linkid } = await suite.setup({
      env: GENEROUS,
      wrapStore: aroundNotices(async (enqueue, store) => {
        if (failing) throw unavailableError(store);
        await enqueue();
      }),
    });
    const user = await createUser(linkid, 'ada@example.com');
    const browser = new Browser();
    const page = await openAccount(browser, linkid, 'ada@example.com', '/account/recovery-codes');
    await makeCodes(linkid, browser, 'ada@example.com', page);
    const notices = (await settledOutbox(linkid)).filter((mail) => mail.to === 'ada@example.com').length;
    failing = true;
    const refused = await browser.submit(await browser.follow(`${linkid.issuer}/account/recovery-codes`), MAKE);
    failing = false;
    expect(refused.status).toBe(503);
    expect(reasonOf(refused)).toBe('store_unavailable');
    expect(codesOn(refused.body)).toEqual([]);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(0);
    expect((await settledOutbox(linkid)).filter((mail) => mail.to === 'ada@example.com').length).toBe(notices);
  });
});
