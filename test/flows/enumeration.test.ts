// No account enumeration: known, unknown and refused addresses get the same page from the form,
// and after it too: under SIGNUP=closed an address with an account and one without walk the same
// script step by step (the form, the delivery status while queued and once sent, the resend
// button, wrong codes up to the lock, an unknown link, the cancel link in their email), and every
// step must answer the same. Also: the form answers before any of the address-dependent work runs,
// and before the mail is sent.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import { mailsTo, readOutbox } from '../support/outbox.js';
import type { RelyingParty } from '../support/relying-party.js';
import { reasonOf, signIn, submitEmail } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

/** A page with everything that differs by address, interaction or response removed. */
const normalize = (page: Page, email: string) =>
  `${page.status} ${reasonOf(page) ?? ''} ${page.body
    .replaceAll(email, 'EMAIL')
    .replace(/nonce="[^"]+"/g, 'nonce="N"')
    .replace(/request id <code>[^<]+<\/code>/, 'request id')
    .replace(/\/(interaction|auth)\/[^/"]+/g, '/$1/UID')}`;

/** The mails to `to` already in the outbox, without sending what is queued: the walk watches the queue itself. */
const writtenTo = (linkid: RunningLinkid, to: string) => readOutbox(linkid.dataDir).filter((mail) => mail.to === to);

/** What the browser that asked sees of its email's delivery, as the check-your-email page polls it. */
async function deliveryStatus(browser: Browser, page: Page): Promise<unknown> {
  const url = /data-url="([^"]+)"/.exec(page.body)?.[1];
  if (!url) throw new Error('no delivery status URL on the page');
  const response = await fetch(new URL(url, page.url), {
    headers: { accept: 'application/json', cookie: await browser.jar.getCookieString(new URL(url, page.url).href) },
  });
  return { status: response.status, body: await response.json() };
}

/** Everything an attacker can do with an address they typed, step by step, as comparable text. */
async function walk(linkid: RunningLinkid, rp: RelyingParty, email: string): Promise<Record<string, unknown>> {
  const seen: Record<string, unknown> = {};
  const browser = new Browser();
  const form = await browser.follow((await rp.authorizationUrl()).url);
  const check = await browser.submit(form, /\/login$/, { email });
  seen.form = normalize(check, email);
  await linkid.services.idle();
  seen.whileQueued = await deliveryStatus(browser, check);
  await linkid.services.sendQueue.drain();
  seen.onceSent = await deliveryStatus(browser, check);
  seen.resendAtOnce = normalize(await browser.submit(check, /\/login$/), email);

  // A wrong code, however the real one (if any) reads, until the code dies.
  const real = /where you started: (\d{6})/.exec(writtenTo(linkid, email).at(-1)?.text ?? '')?.[1];
  const wrong = real === '000000' ? '000001' : '000000';
  seen.wrongCodes = [];
  for (let attempt = 0; attempt < 6; attempt += 1) {
    (seen.wrongCodes as string[]).push(normalize(await browser.submit(check, /\/code$/, { code: wrong }), email));
  }
  seen.unknownLink = normalize(await browser.request(`${linkid.issuer}/login/link?token=${'A'.repeat(43)}`), email);

  // The owner of the mailbox cancels from the email; both kinds of email carry the cancel link.
  const cancelLink = /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(writtenTo(linkid, email).at(-1)?.text ?? '')?.[1];
  seen.hasCancelLink = Boolean(cancelLink);
  if (cancelLink) {
    const owner = new Browser('mail app');
    seen.cancel = normalize(await owner.submit(await owner.request(cancelLink), /\/login\/cancel$/), email);
    seen.afterCancel = normalize(await browser.submit(check, /\/code$/, { code: wrong }), email);
  }
  seen.mails = writtenTo(linkid, email).length;
  return seen;
}

describe('no enumeration after the form', () => {
  it('an address with an account and one that may not sign up see the same at every step', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'closed' }, startWorker: false });
    await createUser(linkid, 'member@example.com');

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
    expect(writtenTo(linkid, 'member@example.com')[0]!.text).toContain('/login/link?token=');
    expect(writtenTo(linkid, 'stranger@example.com')[0]!.text).not.toContain('/login/link?token=');
    expect(writtenTo(linkid, 'stranger@example.com')[0]!.text).toContain('cannot sign in to Notes');
  });

  it('under an allowlist, an outside address walks the same states as an allowed new one', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'example.com' }, startWorker: false });
    const allowed = await walk(linkid, rp, 'newcomer@example.com');
    const outside = await walk(linkid, rp, 'newcomer@example.org');
    for (const step of Object.keys(allowed)) expect({ step, seen: outside[step] }).toEqual({ step, seen: allowed[step] });
  });

  it("under an app's allowlist, an existing account from outside walks the same states as an allowed one", async () => {
    const intranet = { name: 'Intranet', consent: 'skip', signup: 'allowlist', signupDomains: 'corp.example' } as const;
    const { linkid, rp } = await setup({ env: { SIGNUP: 'open' }, startWorker: false }, intranet);
    await createUser(linkid, 'member@mail.example');
    const allowed = await walk(linkid, rp, 'staff@corp.example');
    const outside = await walk(linkid, rp, 'member@mail.example');
    for (const step of Object.keys(allowed)) expect({ step, seen: outside[step] }).toEqual({ step, seen: allowed[step] });
    expect(writtenTo(linkid, 'member@mail.example')[0]!.text).toContain('cannot sign in to Intranet');
  });

  it("under an app's closed sign-up, an address without an account walks the same states as a member", async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'open' }, startWorker: false }, { name: 'Board', consent: 'skip', signup: 'closed' });
    await createUser(linkid, 'member@example.com');
    const member = await walk(linkid, rp, 'member@example.com');
    const stranger = await walk(linkid, rp, 'stranger@example.com');
    for (const step of Object.keys(member)) expect({ step, seen: stranger[step] }).toEqual({ step, seen: member[step] });
    expect(writtenTo(linkid, 'stranger@example.com')[0]!.text).toContain('cannot sign in to Board');
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
    await linkid.services.idle();
    expect(order).toEqual(['response sent', 'account lookup']);
  });

  it('answers the form before anything that depends on the address runs, also on a store that takes its time', async () => {
    // A networked store (MongoDB) answers a few milliseconds later than SQLite. The page's
    // security headers look its app up in the store after the route has run; the address's
    // work must still wait for the response, not merely for the next turn of the event loop.
    const order: string[] = [];
    const slow = (store: Store): Store => ({
      ...store,
      clients: {
        ...store.clients,
        find: async (clientId) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return store.clients.find(clientId);
        },
      },
      users: {
        ...store.users,
        findByEmail: (email) => {
          order.push('account lookup');
          return store.users.findByEmail(email);
        },
      },
    });
    const { linkid, rp } = await setup({ env: { SIGNUP: 'closed' }, wrapStore: slow });
    linkid.server.prependListener('request', (request, response) => {
      if (request.method === 'POST') response.on('finish', () => order.push('response sent'));
    });
    const page = await submitEmail(new Browser(), rp, 'timing@example.com');
    expect(page.status).toBe(200);
    await linkid.services.idle();
    expect(order).toEqual(['response sent', 'account lookup']);
  });

  it('the check-your-email page promises the same thing for every address', async () => {
    const { rp } = await setup({ env: { SIGNUP: 'closed' } });
    const page = await submitEmail(new Browser(), rp, 'anyone@example.com');
    expect(page.body).toContain('An email is on its way to <strong>anyone@example.com</strong>');
    expect(formOn(page, /\/code$/).action).toMatch(/\/interaction\/[^/]+\/code$/);
  });
});

describe('no account enumeration', () => {
  const normalize = (page: Page, email: string) =>
    page.body
      .replaceAll(email, 'EMAIL')
      .replace(/nonce="[^"]+"/g, 'nonce="N"')
      .replace(/request id <code>[^<]+<\/code>/, 'request id')
      .replace(/\/interaction\/[^/"]+/g, '/interaction/UID');

  it('answers known, unknown and refused addresses with the same status and page, and mails links only to the allowed', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'allowlist', SIGNUP_ALLOWED_DOMAINS: 'example.com' } });
    await signIn(new Browser(), linkid, rp, 'known@example.com');
    const known = await submitEmail(new Browser(), rp, 'known@example.com');
    const unknown = await submitEmail(new Browser(), rp, 'unknown@example.com');
    const refused = await submitEmail(new Browser(), rp, 'outsider@example.org');
    expect([known.status, unknown.status, refused.status]).toEqual([200, 200, 200]);
    expect(normalize(unknown, 'unknown@example.com')).toBe(normalize(known, 'known@example.com'));
    expect(normalize(refused, 'outsider@example.org')).toBe(normalize(known, 'known@example.com'));
    expect(await mailsTo(linkid, 'known@example.com')).toHaveLength(2);
    expect(await mailsTo(linkid, 'unknown@example.com')).toHaveLength(1);
    // The refused address is told so by mail, with no link and no code in it.
    const [outsider, ...more] = await mailsTo(linkid, 'outsider@example.org');
    expect(more).toHaveLength(0);
    expect(outsider?.text).toContain('cannot sign in');
    expect(outsider?.text).not.toMatch(/\/login\/link\?token=|\b\d{6}\b/);
    expect(linkid.logs.join('')).toContain('"reason":"signup_closed"');
  });

  it('with SIGNUP=closed, only existing accounts get a link', async () => {
    const { linkid, rp } = await setup({ env: { SIGNUP: 'closed' } });
    const page = await submitEmail(new Browser(), rp, 'newcomer@example.com');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Check your email');
    const mails = await mailsTo(linkid, 'newcomer@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).not.toContain('/login/link?token=');
  });

  it('answers before the mail is sent: the send is off the request path', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { linkid, rp } = await setup({
      transport: (outbox) => ({ kind: outbox.kind, deliver: async (message) => held.then(() => outbox.deliver(message)) }),
    });
    const page = await submitEmail(new Browser(), rp, 'slow@example.com');
    expect(page.status).toBe(200);
    expect((await import('../support/outbox.js')).readOutbox(linkid.dataDir)).toHaveLength(0);
    release();
    expect(await mailsTo(linkid, 'slow@example.com')).toHaveLength(1);
  });
});
