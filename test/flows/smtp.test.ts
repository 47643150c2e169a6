// Mail through an SMTP relay, with nodemailer talking to a real SMTP server process on loopback
// (Debian's python3-aiosmtpd, test/support/smtp-relay.py): a sign-in whose email arrives and is
// used, a 4xx retried, a 5xx failed and shown on the page, a relay that is down, the check at
// start, and the start line of `npm start` naming the transport and never the password.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MailConfigError } from '../../src/mail/mail-transport.js';
import { createSmtpTransport } from '../../src/mail/smtp.js';
import { loadConfig } from '../../src/config/env.js';
import { Browser, type Page } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import { registerApp } from '../support/factories.js';
import { startLinkid, type RunningLinkid, type StartOptions } from '../support/linkid.js';
import { spawnLinkid, type LinkidProcess } from '../support/linkid-process.js';
import { parseSignInMail } from '../support/outbox.js';
import type { RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp } from '../support/sign-in.js';
import { aiosmtpdMissing, startSmtpRelay, type SmtpRelay } from '../support/smtp-relay.js';

const AUTH = { user: 'linkid@relay.test', password: 'p@ss:w/rd Secret-0123' };

let relay: SmtpRelay;
const running: RunningLinkid[] = [];
const processes: LinkidProcess[] = [];

async function setup(options: StartOptions = {}) {
  const linkid = await startLinkid({
    ...options,
    env: { SMTP_URL: relay.url, SMTP_FROM: 'bounces@acme.example', MAIL_FROM: 'Acme ID <id@acme.example>', ...options.env },
  });
  running.push(linkid);
  return { linkid, rp: await registerApp(linkid) };
}

/** The email form submitted from a fresh browser; returns the browser, the page and how long it took. */
async function ask(rp: RelyingParty, email: string) {
  const browser = new Browser();
  const form = await browser.follow((await rp.authorizationUrl()).url);
  const started = performance.now();
  const page = await browser.submit(form, /\/login$/, { email });
  const tookMs = performance.now() - started;
  expect(page.status).toBe(200);
  expect(page.body).toContain('Check your email');
  return { browser, page, tookMs, requestId: page.headers.get('x-request-id')! };
}

async function deliveryStatus(browser: Browser, page: Page) {
  const url = new URL(/data-url="([^"]+)"/.exec(page.body)![1]!, page.url).href;
  const response = await browser.request(url, { headers: { accept: 'application/json' } });
  return JSON.parse(response.body) as { status: string; label: string; detail: string };
}

describe.skipIf(aiosmtpdMissing)('mail through an SMTP relay', () => {
  beforeEach(async () => {
    relay = await startSmtpRelay({ auth: AUTH });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((linkid) => linkid.close()));
    await Promise.all(processes.splice(0).map((linkid) => linkid.cleanUp()));
    await relay.close();
  });

  it('delivers the sign-in email with its link and code, and the person signs in with the link', async () => {
    const { linkid, rp } = await setup();
    const { browser, page, requestId } = await ask(rp, 'ada@example.com');
    await linkid.settle();
    const messages = relay.messages();
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message).toMatchObject({
      mailFrom: 'bounces@acme.example',
      rcptTos: ['ada@example.com'],
      from: 'Acme ID <id@acme.example>',
      to: 'ada@example.com',
      subject: 'Your sign-in link for Notes',
      requestId,
      authenticated: true,
    });
    expect(message!.html).toContain('This wasn&#39;t me');
    const mail = parseSignInMail(message!);
    expect(mail.link.startsWith(`${linkid.issuer}/login/link?token=`)).toBe(true);
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'sent', label: 'Sent' });
    // The Message-ID the relay saw is the one audited, to find the message in the relay's logs.
    const sent = (await linkid.store.audit.search({ requestId }, linkid.clock.now())).find((event) => event.event === 'mail.sent');
    expect(sent).toMatchObject({ fields: { transport: 'smtp' } });
    expect(sent!.providerMessageId).toBe(message!.messageId);

    const callback = await finishAtApp(browser, rp, await confirmLink(browser, mail));
    expect(callback.startsWith(rp.redirectUri)).toBe(true);
    expect(linkid.logs.join('')).not.toContain(AUTH.password);
  });

  it('retries a 4xx answer with backoff, then sends once', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock, sendQueueOptions: { baseDelayMs: 1000, maxDelayMs: 60_000 } });
    relay.reply('busy@example.com', '451 4.3.0 Mailbox temporarily unavailable', 2);
    const { browser, page } = await ask(rp, 'busy@example.com');
    await linkid.settle();
    expect(relay.messages()).toHaveLength(0);
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'queued' });
    expect(linkid.logs.join('')).toContain('SMTP 451');

    clock.advance(400);
    await linkid.settle();
    expect(relay.messages()).toHaveLength(0);
    for (let i = 0; i < 4 && relay.messages().length === 0; i += 1) {
      clock.advance(2_000);
      await linkid.settle();
    }
    expect(relay.messages().map((message) => message.to)).toEqual(['busy@example.com']);
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'sent' });
    expect(linkid.logs.join('').split('mail send will be retried').length - 1).toBe(2);
    clock.advance(60_000);
    await linkid.settle();
    expect(relay.messages()).toHaveLength(1);
  });

  it('fails a 5xx answer at once, and the check-your-email page says it was not delivered', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock, sendQueueOptions: { baseDelayMs: 1000, maxDelayMs: 60_000 } });
    relay.reply('nobody@example.com', '550 5.1.1 No such user here');
    const { browser, page, requestId } = await ask(rp, 'nobody@example.com');
    await linkid.settle();
    const status = await deliveryStatus(browser, page);
    expect(status).toMatchObject({ status: 'failed', label: 'Not delivered' });
    expect(status.detail).toContain('We could not send your email');
    const failed = (await linkid.store.audit.search({ requestId }, linkid.clock.now())).find((event) => event.event === 'mail.failed');
    expect(failed?.fields).toMatchObject({ error: expect.stringContaining('SMTP 550') });
    // Not retried, and the address is not suppressed: a relay's 5xx may be its own policy, not the address.
    clock.advance(120_000);
    await linkid.settle();
    expect(relay.messages()).toHaveLength(0);
    expect(linkid.logs.join('')).not.toContain('mail send will be retried');
    expect(await linkid.store.suppressions.reasonFor('nobody@example.com')).toBeUndefined();
  });

  it('answers the form at once while the relay is down, and sends when it is back', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock, sendQueueOptions: { baseDelayMs: 1000, maxDelayMs: 60_000 } });
    await relay.stop();
    const { browser, page, tookMs } = await ask(rp, 'patient@example.com');
    expect(tookMs).toBeLessThan(2_000);
    await linkid.settle();
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'queued', label: 'Sending' });
    expect(linkid.logs.join('')).toContain('mail send will be retried');

    await relay.start();
    for (let i = 0; i < 4 && relay.messages().length === 0; i += 1) {
      clock.advance(2_000);
      await linkid.settle();
    }
    expect(relay.messages().map((message) => message.to)).toEqual(['patient@example.com']);
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'sent' });
  });

  it('stops the start when the relay refuses the credentials or cannot give the TLS the URL asks for, and not when it is down', async () => {
    const transportFor = (url: string) => {
      const config = loadConfig({ SMTP_URL: url });
      return createSmtpTransport({ smtp: config.smtp!, from: config.mailFrom, timeoutMs: 2_000 });
    };
    const wrong = transportFor(`smtp://${encodeURIComponent(AUTH.user)}:${encodeURIComponent('wrong-Passw0rd-xyz')}@127.0.0.1:${relay.port}?tls=none`);
    const refused = await wrong.check!().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MailConfigError);
    expect((refused as Error).message).toMatch(/^SMTP_URL: smtp:\/\/127\.0\.0\.1:\d+ \(no TLS\) refused .*535.*check the user name and password/);
    expect((refused as Error).message).not.toContain('wrong-Passw0rd-xyz');

    // smtp:// without tls=none must upgrade with STARTTLS; this relay offers none.
    const plain = transportFor(relay.url.replace('?tls=none', ''));
    const noTls = await plain.check!().catch((error: unknown) => error);
    expect(noTls).toBeInstanceOf(MailConfigError);
    expect((noTls as Error).message).toContain('STARTTLS required');
    expect((noTls as Error).message).toContain('use smtps://, or add ?tls=none');
    expect((noTls as Error).message).not.toContain(AUTH.password);

    await relay.stop();
    const down = transportFor(relay.url);
    await expect(down.check!()).resolves.toBeUndefined();
    for (const transport of [wrong, plain, down]) transport.close();
  });

  it('names the transport and the relay in the start line of npm start, never the password', async () => {
    const linkid = await spawnLinkid({ SMTP_URL: relay.url });
    processes.push(linkid);
    const line = await linkid.logLine((entry) => entry.msg === 'linkid listening');
    expect(line).toMatchObject({ mail: 'smtp', mailVia: `smtp://127.0.0.1:${relay.port} (no TLS)` });
    expect(JSON.stringify(linkid.logs()) + linkid.stderr()).not.toContain(encodeURIComponent(AUTH.password));
    expect(JSON.stringify(linkid.logs()) + linkid.stderr()).not.toContain(AUTH.password);
  });
});
