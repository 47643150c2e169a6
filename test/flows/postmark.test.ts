// Mail through Postmark, with the real `postmark` client pointed at a local server that speaks
// its API: the request a sign-in sends, retries with backoff, suppression, giving up, a restart
// in the middle of the queue, the delivery webhooks, and a refused token at start.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/kernel/token-crypto.js';
import { Browser } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import { INACTIVE_RECIPIENT, INVALID_EMAIL, inactiveRecipient, serverError, startFakePostmark, type FakePostmark } from '../support/fake-postmark.js';
import { registerApp } from '../support/factories.js';
import { startLinkid, type RunningLinkid, type StartOptions } from '../support/linkid.js';
import type { RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp } from '../support/sign-in.js';

const run = promisify(execFile);
let postmark: FakePostmark;
// Not useLinkid(): the restart test takes a closed instance out of this list itself, and the fake
// Postmark must close only after every linkid that may still be sending to it.
const running: RunningLinkid[] = [];

beforeEach(async () => {
  postmark = await startFakePostmark();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((linkid) => linkid.close()));
  await postmark.close();
});

const WEBHOOK_AUTH = 'postmark:webhook-secret-0123456789';

async function setup(options: StartOptions = {}) {
  const linkid = await startLinkid({
    ...options,
    env: {
      POSTMARK_SERVER_TOKEN: postmark.token,
      POSTMARK_API_URL: postmark.url,
      POSTMARK_MESSAGE_STREAM: 'sign-in',
      POSTMARK_WEBHOOK_AUTH: WEBHOOK_AUTH,
      MAIL_FROM: 'Acme ID <id@acme.example>',
      ...options.env,
    },
  });
  running.push(linkid);
  return { linkid, rp: await registerApp(linkid) };
}

/** The email form submitted from a fresh browser; returns the browser, the page and the request id. */
async function ask(rp: RelyingParty, email: string) {
  const browser = new Browser();
  const form = await browser.follow((await rp.authorizationUrl()).url);
  const page = await browser.submit(form, /\/login$/, { email });
  expect(page.status).toBe(200);
  return { browser, page, requestId: page.headers.get('x-request-id')! };
}

async function deliveryStatus(browser: Browser, page: { url: string; body: string }) {
  const url = new URL(/data-url="([^"]+)"/.exec(page.body)![1]!, page.url).href;
  const response = await browser.request(url, { headers: { accept: 'application/json' } });
  return JSON.parse(response.body) as { status: string; label: string; detail: string };
}

const linkFrom = (text: string) => /(http\S+\/login\/link\?token=\S+)/.exec(text)![1]!;

describe('a sign-in through Postmark', () => {
  it('sends exactly one correct request: untracked, on the stream, tagged, with the request id', async () => {
    const { linkid, rp } = await setup();
    const { browser, page, requestId } = await ask(rp, 'ada@example.com');
    await linkid.settle();
    const emails = postmark.emails();
    expect(emails).toHaveLength(1);
    expect(postmark.batches()).toHaveLength(0);
    const [email] = emails;
    expect(email!.headers['x-postmark-server-token']).toBe(postmark.token);
    expect(email!.body).toMatchObject({
      From: 'Acme ID <id@acme.example>',
      To: 'ada@example.com',
      Subject: 'Your sign-in link for Notes',
      MessageStream: 'sign-in',
      Tag: 'sign-in',
      TrackOpens: false,
      TrackLinks: 'None',
      Metadata: { request_id: requestId },
    });
    expect(String(email!.body.TextBody)).toContain(`${linkid.issuer}/login/link?token=`);
    expect(String(email!.body.HtmlBody)).toContain('This wasn&#39;t me');
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'sent', label: 'Sent' });

    const link = linkFrom(String(email!.body.TextBody));
    const token = new URL(link).searchParams.get('token')!;
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, { link, token, code: '', message: {} as never }));
    expect(callback.startsWith(rp.redirectUri)).toBe(true);
  });
});

describe('failures', () => {
  it('retries 5xx and 429 with growing, jittered delays, then sends once', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock, sendQueueOptions: { baseDelayMs: 1000, maxDelayMs: 60_000 } });
    postmark.script(serverError(500), serverError(503), { status: 429, body: { ErrorCode: 429, Message: 'Rate limit exceeded' } });
    const { browser, page } = await ask(rp, 'retry@example.com');
    await linkid.settle();
    expect(postmark.emails()).toHaveLength(1);
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'queued' });

    // Nothing happens before the backoff; each retry waits longer (1 s, 2 s, 4 s ceilings).
    const attemptsAfter = async (ms: number) => {
      clock.advance(ms);
      await linkid.settle();
      return postmark.emails().length;
    };
    expect(await attemptsAfter(400)).toBe(1);
    expect(await attemptsAfter(600)).toBe(2);
    expect(await attemptsAfter(900)).toBe(2);
    expect(await attemptsAfter(1100)).toBe(3);
    expect(await attemptsAfter(1900)).toBe(3);
    expect(await attemptsAfter(2100)).toBe(4);
    expect(await attemptsAfter(60_000)).toBe(4);
    expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'sent' });
    expect(linkid.logs.join('')).toContain('mail send will be retried');
  });

  it('gives up when the link would have expired, and the page says so', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock, sendQueueOptions: { baseDelayMs: 60_000, maxDelayMs: 120_000 } });
    postmark.script(...Array.from({ length: 20 }, () => serverError(502)));
    const { browser, page } = await ask(rp, 'down@example.com');
    for (let minute = 0; minute < 12; minute += 1) {
      clock.advance(60_000);
      await linkid.settle();
    }
    const status = await deliveryStatus(browser, page);
    expect(status).toMatchObject({ status: 'failed', label: 'Not delivered' });
    expect(postmark.emails().length).toBeGreaterThan(1);
    expect(postmark.emails().length).toBeLessThan(10);
    expect(linkid.logs.join('')).toContain('"event":"mail.failed"');
  });

  it('suppresses an inactive recipient (406) and does not mail it again', async () => {
    const { linkid, rp } = await setup();
    postmark.script(inactiveRecipient());
    const first = await ask(rp, 'gone@example.com');
    await linkid.settle();
    expect(await deliveryStatus(first.browser, first.page)).toMatchObject({ status: 'suppressed', label: 'Not delivered' });
    expect(await linkid.store.suppressions.reasonFor('gone@example.com')).toBe('InactiveRecipient');

    const second = await ask(rp, 'gone@example.com');
    await linkid.settle();
    expect(postmark.emails()).toHaveLength(1);
    const status = await deliveryStatus(second.browser, second.page);
    expect(status.status).toBe('suppressed');
    expect(status.detail).toContain('could not be delivered');
  });
});

describe('several messages ready at once', () => {
  const untracked = { From: 'Acme ID <id@acme.example>', MessageStream: 'sign-in', Tag: 'sign-in', TrackOpens: false, TrackLinks: 'None' };

  it('go in one batch request, and each message has its own outcome', async () => {
    const { linkid, rp } = await setup({ startWorker: false });
    postmark.refuse('gone@example.com', INACTIVE_RECIPIENT);
    postmark.refuse('typo@example.com', INVALID_EMAIL);
    const addresses = ['one@example.com', 'gone@example.com', 'two@example.com', 'typo@example.com', 'three@example.com'];
    const asked = [];
    for (const email of addresses) asked.push({ email, ...(await ask(rp, email)) });
    await linkid.services.idle();
    expect(postmark.emails()).toHaveLength(0);

    await linkid.settle();
    expect(postmark.batches()).toHaveLength(1);
    expect(postmark.emails().filter((email) => email.path === '/email')).toHaveLength(0);
    const sent = postmark.emails();
    expect(sent.map((email) => email.body.To).sort()).toEqual([...addresses].sort());
    for (const { email, requestId } of asked) {
      const body = sent.find((message) => message.body.To === email)?.body;
      expect(body).toMatchObject({ ...untracked, To: email, Subject: 'Your sign-in link for Notes', Metadata: { request_id: requestId } });
      expect(String(body?.TextBody)).toContain(`${linkid.issuer}/login/link?token=`);
    }

    const statuses = Object.fromEntries(
      await Promise.all(asked.map(async ({ email, browser, page }) => [email, (await deliveryStatus(browser, page)).status] as const)),
    );
    expect(statuses).toEqual({
      'one@example.com': 'sent',
      'gone@example.com': 'suppressed',
      'two@example.com': 'sent',
      'typo@example.com': 'failed',
      'three@example.com': 'sent',
    });
    expect(await linkid.store.suppressions.reasonFor('gone@example.com')).toBe('InactiveRecipient');
    expect(await linkid.store.suppressions.reasonFor('typo@example.com')).toBeUndefined();
    // Each sent message keeps the MessageID Postmark gave it, for its delivery report.
    for (const { email, requestId } of asked) {
      const events = await linkid.store.audit.search({ requestId }, linkid.clock.now());
      const outcome = events.filter((event) => ['mail.sent', 'mail.failed', 'mail.suppressed'].includes(event.event));
      expect(outcome).toHaveLength(1);
      const expected = sent.find((message) => message.body.To === email)?.messageId;
      if (expected) expect(outcome[0]).toMatchObject({ event: 'mail.sent', providerMessageId: expected });
    }

    // The suppressed address is not asked for again.
    await ask(rp, 'gone@example.com');
    await linkid.settle();
    expect(postmark.emails()).toHaveLength(5);
  });

  it('retry every message of a batch that failed as a whole (500), and send each once', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock, startWorker: false, sendQueueOptions: { baseDelayMs: 1000, maxDelayMs: 60_000 } });
    postmark.script(serverError(500));
    const asked = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) asked.push(await ask(rp, email));
    await linkid.settle();
    expect(postmark.batches()).toHaveLength(1);
    for (const { browser, page } of asked) expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'queued' });
    expect(linkid.logs.join('').split('mail send will be retried').length - 1).toBe(3);

    // Nothing is sent again before the backoff; after it, every message once.
    clock.advance(400);
    await linkid.settle();
    expect(postmark.batches()).toHaveLength(1);
    clock.advance(600);
    await linkid.settle();
    const delivered = postmark.emails().filter((email) => email.messageId !== null);
    expect(delivered.map((email) => email.body.To).sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    for (const { browser, page } of asked) expect(await deliveryStatus(browser, page)).toMatchObject({ status: 'sent' });
    clock.advance(60_000);
    await linkid.settle();
    expect(postmark.emails().filter((email) => email.messageId !== null)).toHaveLength(3);
  });
});

describe('a restart in the middle of the queue', () => {
  it('loses nothing and sends nothing twice', async () => {
    const first = await setup({ startWorker: false, keepData: true });
    for (const email of ['one@example.com', 'two@example.com', 'three@example.com']) await ask(first.rp, email);
    await first.linkid.services.idle();
    expect(postmark.emails()).toHaveLength(0);
    await first.linkid.close();
    running.splice(running.indexOf(first.linkid), 1);

    // A second instance on the same data sends what the first left behind, once each; a third
    // instance starting alongside finds nothing left to send.
    const second = await startLinkid({
      dataDir: first.linkid.dataDir,
      env: { POSTMARK_SERVER_TOKEN: postmark.token, POSTMARK_API_URL: postmark.url },
    });
    running.push(second);
    const third = await startLinkid({
      dataDir: first.linkid.dataDir,
      keepData: true,
      env: { POSTMARK_SERVER_TOKEN: postmark.token, POSTMARK_API_URL: postmark.url },
    });
    running.push(third);
    await Promise.all([second.settle(), third.settle(), second.settle()]);
    const recipients = postmark
      .emails()
      .map((email) => email.body.To)
      .sort();
    expect(recipients).toEqual(['one@example.com', 'three@example.com', 'two@example.com']);
  });
});

describe('delivery webhooks', () => {
  const post = (linkid: RunningLinkid, body: unknown, auth?: string) =>
    fetch(`${linkid.issuer}/webhooks/postmark`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) },
      body: JSON.stringify(body),
    });

  it('refuses requests without the right credentials', async () => {
    const { linkid } = await setup();
    const event = { RecordType: 'Delivery', MessageID: 'x' };
    expect((await post(linkid, event)).status).toBe(401);
    expect((await post(linkid, event, 'postmark:wrong-secret-0123456789')).status).toBe(401);
    expect((await post(linkid, event, WEBHOOK_AUTH)).status).toBe(200);
  });

  it('marks delivery, and suppresses on hard bounce and spam complaint', async () => {
    const { linkid, rp } = await setup();
    const delivered = await ask(rp, 'fine@example.com');
    await linkid.settle();
    // The MessageID the fake Postmark gave this message, as Postmark's webhook would send it back.
    const interactionUid = /\/interaction\/([^/]+)\/delivery/.exec(delivered.page.body)![1]!;
    const binding = (await delivered.browser.jar.getCookies(linkid.issuer)).find((cookie) => cookie.key.includes('binding'))!.value;
    const mailId = (await linkid.store.mailQueue.latestFor(interactionUid, sha256(binding)))!.providerMessageId!;
    expect((await post(linkid, { RecordType: 'Delivery', MessageID: mailId, Recipient: 'fine@example.com' }, WEBHOOK_AUTH)).status).toBe(200);
    expect(await deliveryStatus(delivered.browser, delivered.page)).toMatchObject({ status: 'delivered', label: 'Delivered' });

    expect((await post(linkid, { RecordType: 'Bounce', Type: 'HardBounce', MessageID: 'other-1', Email: 'bounced@example.com' }, WEBHOOK_AUTH)).status).toBe(
      200,
    );
    expect((await post(linkid, { RecordType: 'SpamComplaint', MessageID: 'other-2', Email: 'annoyed@example.com' }, WEBHOOK_AUTH)).status).toBe(200);
    expect((await post(linkid, { RecordType: 'Bounce', Type: 'SoftBounce', MessageID: 'other-3', Email: 'full@example.com' }, WEBHOOK_AUTH)).status).toBe(200);
    expect(await linkid.store.suppressions.reasonFor('bounced@example.com')).toBe('HardBounce');
    expect(await linkid.store.suppressions.reasonFor('annoyed@example.com')).toBe('SpamComplaint');
    expect(await linkid.store.suppressions.reasonFor('full@example.com')).toBeUndefined();

    // The next attempt to a bounced address is not sent, and the page says why.
    const before = postmark.emails().length;
    const again = await ask(rp, 'bounced@example.com');
    await linkid.settle();
    expect(postmark.emails()).toHaveLength(before);
    expect((await deliveryStatus(again.browser, again.page)).detail).toContain('bounced or was reported as spam');
  });

  it("lets the request id on the page find the Postmark message's events, its delivery report included", async () => {
    const { linkid, rp } = await setup();
    const { page, requestId } = await ask(rp, 'traced@example.com');
    await linkid.settle();
    const interactionUid = /\/interaction\/([^/]+)\/delivery/.exec(page.body)![1]!;
    const sent = postmark.emails().at(-1)!;
    expect(sent.body.Metadata).toEqual({ request_id: requestId });
    const messageId = (await linkid.store.audit.search({ requestId }, linkid.clock.now())).find((event) => event.event === 'mail.sent')!.providerMessageId!;
    expect((await post(linkid, { RecordType: 'Delivery', MessageID: messageId, Recipient: 'traced@example.com' }, WEBHOOK_AUTH)).status).toBe(200);
    await linkid.settle();

    const events = await linkid.store.audit.search({ requestId }, linkid.clock.now());
    expect(events.map((event) => event.event)).toEqual(['login.requested', 'mail.queued', 'login.link_sent', 'mail.sent', 'mail.delivered']);
    for (const event of events) expect(event).toMatchObject({ requestId, interactionUid, email: 'traced@example.com' });
    expect(events.at(-1)).toMatchObject({ providerMessageId: messageId, ip: null, fields: { webhookRequestId: expect.any(String) } });
  });

  it('answers bad payloads with 400 and a reason', async () => {
    const { linkid } = await setup();
    const response = await post(linkid, { hello: 'world' }, WEBHOOK_AUTH);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('the cancel link in the email', () => {
  it('shows a confirm page on GET, and on POST stops the link and the code from working', async () => {
    const { linkid, rp } = await setup();
    const { browser } = await ask(rp, 'notme@example.com');
    await linkid.settle();
    const text = String(postmark.emails().at(-1)!.body.TextBody);
    const cancelUrl = /(http\S+\/login\/cancel\?token=\S+)/.exec(text)![1]!;
    const other = new Browser('victim phone');
    const page = await other.request(cancelUrl);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Cancel this sign-in?');
    const done = await other.submit(page, /\/login\/cancel$/);
    expect(done.status).toBe(200);
    expect(done.body).toContain('Sign-in cancelled');
    const link = linkFrom(text);
    const opened = await browser.request(link);
    expect(opened.status).toBe(410);
    expect(linkid.logs.join('')).toContain('"event":"login.cancelled"');
  });
});

describe('npm start with Postmark', () => {
  it('stops with one clear line when Postmark refuses the server token', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const result = (await run('node', ['dist/main.js'], {
      cwd: root,
      env: {
        ...process.env,
        DATA_DIR: path.join(os.tmpdir(), `linkid-postmark-start-${process.pid}`),
        POSTMARK_SERVER_TOKEN: 'wrong-token-000',
        POSTMARK_API_URL: postmark.url,
      },
    }).catch((error: { code: number; stderr: string }) => error)) as { code: number; stderr: string };
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('POSTMARK_SERVER_TOKEN was refused by Postmark (401): check the server API token');
    expect(postmark.requests.filter((request) => request.path === '/server')).toHaveLength(1);
    expect(fs.existsSync(path.join(os.tmpdir(), `linkid-postmark-start-${process.pid}`))).toBe(false);
  });
});
