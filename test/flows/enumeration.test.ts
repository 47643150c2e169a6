// No account enumeration after the form either: under SIGNUP=closed an address with an account
// and one without walk the same script step by step (the form, the delivery status while queued
// and once sent, the resend button, wrong codes up to the lock, an unknown link, the cancel link in
// their email), and every step must answer the same. Also: the form answers before any of the
// address-dependent work runs.
import { afterEach, describe, expect, it } from 'vitest';
import { newSubjectId } from '../../src/login/steps/complete-sign-in.js';
import type { Store } from '../../src/store/port.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { startLinkid, type RunningLinkid, type StartOptions } from '../support/linkid.js';
import { readOutbox } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';
import { reasonOf, submitEmail } from '../support/sign-in.js';

const running: RunningLinkid[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((linkid) => linkid.close()));
});

async function setup(options: StartOptions = {}) {
  const linkid = await startLinkid(options);
  running.push(linkid);
  const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', firstParty: true }));
  return { linkid, rp };
}

/** A page with everything that differs by address, interaction or response removed. */
const normalize = (page: Page, email: string) =>
  `${page.status} ${reasonOf(page) ?? ''} ${page.body
    .replaceAll(email, 'EMAIL')
    .replace(/nonce="[^"]+"/g, 'nonce="N"')
    .replace(/request id <code>[^<]+<\/code>/, 'request id')
    .replace(/\/(interaction|auth)\/[^/"]+/g, '/$1/UID')}`;

const mailsTo = (linkid: RunningLinkid, to: string) => readOutbox(linkid.dataDir).filter((mail) => mail.to === to);

/** What the browser that asked sees of its email's delivery, as the check-your-email page polls it. */
async function deliveryStatus(browser: Browser, page: Page): Promise<unknown> {
  const url = /data-url="([^"]+)"/.exec(page.body)?.[1];
  if (!url) throw new Error('no delivery status URL on the page');
  const response = await fetch(new URL(url, page.url), { headers: { accept: 'application/json', cookie: await browser.jar.getCookieString(new URL(url, page.url).href) } });
  return { status: response.status, body: await response.json() };
}

/** Everything an attacker can do with an address they typed, step by step, as comparable text. */
async function walk(linkid: RunningLinkid, rp: RelyingParty, email: string): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  const browser = new Browser();
  const form = await browser.follow((await rp.authorizationUrl()).url);
  const check = await browser.submit(form, /\/login$/, { email });
  seen.form = normalize(check, email);
  await linkid.app.idle();
  seen.whileQueued = await deliveryStatus(browser, check);
  await linkid.app.sendQueue.drain();
  seen.onceSent = await deliveryStatus(browser, check);
  seen.resendAtOnce = normalize(await browser.submit(check, /\/login$/), email);

  // A wrong code, however the real one (if any) reads, until the code dies.
  const real = /where you started: (\d{6})/.exec(mailsTo(linkid, email).at(-1)?.text ?? '')?.[1];
  const wrong = real === '000000' ? '000001' : '000000';
  seen.wrongCodes = [];
  for (let attempt = 0; attempt < 6; attempt += 1) {
    (seen.wrongCodes as string[]).push(normalize(await browser.submit(check, /\/code$/, { code: wrong }), email));
  }
  seen.unknownLink = normalize(await browser.request(`${linkid.issuer}/login/link?token=${'A'.repeat(43)}`), email);

  // The owner of the mailbox cancels from the email; both kinds of email carry the cancel link.
  const cancelLink = /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mailsTo(linkid, email).at(-1)?.text ?? '')?.[1];
  seen.hasCancelLink = Boolean(cancelLink);
  if (cancelLink) {
    const owner = new Browser('mail app');
    seen.cancel = normalize(await owner.submit(await owner.request(cancelLink), /\/login\/cancel$/), email);
    seen.afterCancel = normalize(await browser.submit(check, /\/code$/, { code: wrong }), email);
  }
  seen.mails = mailsTo(linkid, email).length;
  return seen;
}

describe('no enumeration after the form', () => {
  it('an address with an account and one that may not sign up see the same at every step', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'closed' }, startWorker: false });
    await linkid.store.users.findOrCreate('member@example.com', newSubjectId(), Date.now());

    const member = await walk(linkid, rp, 'member@example.com');
    const stranger = await walk(linkid, rp, 'stranger@example.com');

    expect(member.whileQueued).toEqual({ status: 200, body: expect.objectContaining({ status: 'queued' }) });
    expect(member.onceSent).toEqual({ status: 200, body: expect.objectContaining({ status: 'sent' }) });
    expect(member.wrongCodes).toHaveLength(6);
    expect((member.wrongCodes as string[])[0]).toMatch(/^400 [\s\S]*That code is not right/);
    expect((member.wrongCodes as string[])[5]).toMatch(/^429 [\s\S]*Too many wrong codes/);
    expect(member.afterCancel).toMatch(/^410 sign_in_cancelled/);
    expect(member.mails).toBe(1);
    for (const step of Object.keys(member)) expect({ step, seen: stranger[step] }).toEqual({ step, seen: member[step] });

    // Only the mailbox's owner can tell: the member's email signs in, the stranger's says it cannot.
    expect(mailsTo(linkid, 'member@example.com')[0]!.text).toContain('/login/link?token=');
    expect(mailsTo(linkid, 'stranger@example.com')[0]!.text).not.toContain('/login/link?token=');
    expect(mailsTo(linkid, 'stranger@example.com')[0]!.text).toContain('cannot sign in to Notes');
  });

  it('under an allowlist, an outside address walks the same states as an allowed new one', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'example.com' }, startWorker: false });
    const allowed = await walk(linkid, rp, 'newcomer@example.com');
    const outside = await walk(linkid, rp, 'newcomer@example.org');
    for (const step of Object.keys(allowed)) expect({ step, seen: outside[step] }).toEqual({ step, seen: allowed[step] });
  });

  it('answers the form before anything that depends on the address runs', async () => {
    const order: string[] = [];
    const watch = (store: Store): Store => ({
      ...store,
      users: {
        ...store.users,
        findByEmail: (email) => {
          order.push('account lookup');
          return store.users.findByEmail(email);
        },
      },
    });
    const { linkid, rp } = await setup({ env: { SIGNUP: 'closed' }, wrapStore: watch });
    linkid.server.prependListener('request', (request, response) => {
      if (request.method === 'POST') response.on('finish', () => order.push('response sent'));
    });
    const page = await submitEmail(new Browser(), rp, 'timing@example.com');
    expect(page.status).toBe(200);
    await linkid.app.idle();
    expect(order).toEqual(['response sent', 'account lookup']);
  });

  it('the check-your-email page promises the same thing for every address', async () => {
    const { rp } = await setup({ env: { SIGNUP: 'closed' } });
    const page = await submitEmail(new Browser(), rp, 'anyone@example.com');
    expect(page.body).toContain('An email is on its way to <strong>anyone@example.com</strong>');
    expect(formOn(page, /\/code$/).action).toMatch(/\/interaction\/[^/]+\/code$/);
  });
});
