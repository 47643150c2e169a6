// Recovery codes from the account page to the day they are needed: the page makes a set (only
// after a fresh sign-in), shows it once with a text download, and a new set voids the old; then
// someone who lost their inbox follows "Lost access to your email?" from an app's email form,
// types the address and one code, and lands on "change email" with the sign-in fresh, as the
// account's owner, without any email to the lost inbox.
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/i18n/catalog.js';
import type { OutboxMessage } from '../../src/mail/outbox.js';
import { codesOn, openAccount } from '../support/account.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { createUser, makeRecoveryCodes } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { mailsTo } from '../support/outbox.js';
import { reasonOf } from '../support/sign-in.js';
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

describe('the notice of new recovery codes', () => {
  const suite = useLinkid();

  /** Signs `email` in on the recovery-code page of `browser`, makes a set; the codes and the mails to `email` it added. */
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
      expect(part).toContain('no longer work');
      expect(part).toContain(`${linkid.issuer}/account`);
    }
    expect(notice!.html).toContain(`href="${linkid.issuer}/account"`);
    expect(notice!.text).toContain('make a new set of recovery codes (that voids this one)');
    expectNoCode(notice!, first.codes);

    clock.advance(60_000);
    const second = await makeCodes(linkid, browser, 'ada@example.com');
    expect(second.added).toHaveLength(1);
    expect(second.added[0]!.text).toContain(`on ${catalog.formatDateTime('en', clock.now())}`);
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
