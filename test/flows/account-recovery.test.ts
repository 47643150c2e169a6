// Recovery codes from the account page to the day they are needed: the page makes a set (only
// after a fresh sign-in), shows it once with a text download, and a new set voids the old; then
// someone who lost their inbox follows "Lost access to your email?" from an app's email form,
// types the address and one code, and lands on "change email" with the sign-in fresh, as the
// account's owner, without any email to the lost inbox.
import { describe, expect, it } from 'vitest';
import { codesOn, openAccount } from '../support/account.js';
import { Browser, formOn } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import { fakeClock } from '../support/fake-clock.js';
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
    const codes = await linkid.app.recoveryCodes.generate(user.id);
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
