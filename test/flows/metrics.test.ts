// /metrics as an operator reads it: after sign-ins, refusals, a rate limit, a scanner's open and a
// delivery report, each shows in its own series; the bearer token guards it; METRICS_PORT moves
// it; and no label holds an address, a link token, a code or a raw path.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/kernel/token-crypto.js';
import { Browser } from '../support/browser.js';
import { registerApp } from '../support/factories.js';
import { startFakePostmark, type FakePostmark } from '../support/fake-postmark.js';
import { scrape } from '../support/metrics.js';
import { pendingLink, reasonOf, signIn, submitEmail } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup, start } = useLinkid();
const TOKEN = 'scrape-token-0123456789abcdef';

describe('/metrics', () => {
  it('shows a sign-in, a refusal, a rate limit and a scanner open each in its series, and no address or token in any label', async () => {
    const { linkid, rp } = await setup({ env: { METRICS_TOKEN: TOKEN, RATE_LIMIT_SEND_PER_EMAIL: '1/1h' } });
    const before = await scrape(linkid.issuer, TOKEN);
    expect(before.value('linkid_signin_requests_total')).toBe(0);
    expect(before.value('linkid_signin_completed_total', { method: 'link' })).toBe(0);
    expect(before.value('linkid_refusals_total', { reason: 'token_unknown' })).toBe(0);

    const signedIn = await signIn(new Browser(), linkid, rp, 'ann@example.com');
    // A scanner follows the link in a second sign-in's email: no binding cookie.
    const { mail: pending } = await pendingLink(linkid, rp, 'bob@example.com');
    expect((await new Browser('mail scanner').request(pending.link)).status).toBe(200);
    // A link that names no sign-in.
    const bogus = new URL(pending.link);
    bogus.searchParams.set('token', 'A'.repeat(43));
    expect(reasonOf(await new Browser().request(bogus.href))).toBe('token_unknown');
    // RATE_LIMIT_SEND_PER_EMAIL=1/1h: bob's second email is refused.
    expect((await submitEmail(new Browser(), rp, 'bob@example.com')).status).toBe(429);
    await linkid.settle();

    const after = await scrape(linkid.issuer, TOKEN);
    expect(after.value('linkid_signin_requests_total')).toBe(2);
    expect(after.value('linkid_signin_emails_total', { outcome: 'queued' })).toBe(2);
    expect(after.value('linkid_signin_emails_total', { outcome: 'sent' })).toBe(2);
    expect(after.value('linkid_signin_completed_total', { method: 'link' })).toBe(1);
    expect(after.value('linkid_signin_completed_total', { method: 'code' })).toBe(0);
    expect(after.value('linkid_link_opens_total', { binding: 'present' })).toBe(1);
    expect(after.value('linkid_link_opens_total', { binding: 'missing' })).toBe(1);
    expect(after.value('linkid_refusals_total', { reason: 'token_unknown' })).toBe(1);
    expect(after.value('linkid_refusals_total', { reason: 'rate_limited' })).toBe(1);
    expect(after.value('linkid_rate_limited_total', { limit: 'RATE_LIMIT_SEND_PER_EMAIL' })).toBe(1);
    expect(after.value('linkid_click_to_verify_seconds_count')).toBe(1);
    expect(after.value('linkid_mail_send_seconds_count')).toBe(2);
    expect(after.value('linkid_login_tokens_pending')).toBe(1);
    expect(after.value('linkid_mail_queue_depth')).toBe(0);
    expect(after.value('linkid_mail_queue_oldest_seconds')).toBe(0);
    expect(after.value('linkid_build_info', { version: linkid.services.versions.version, schema: linkid.store.schemaVersion })).toBe(1);
    expect(after.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);

    // Requests are timed by route template or oidc-provider's route name, never by raw path.
    const http = 'linkid_http_request_duration_seconds_count';
    expect(after.value(http, { route: '/interaction/:uid/login', method: 'POST', status: '200' })).toBe(2);
    expect(after.value(http, { route: 'authorization', method: 'GET', status: '303' })).toBe(3);
    expect(after.value(http, { route: 'token', method: 'POST', status: '200' })).toBe(1);
    const routes = new Set([...after.text.matchAll(/route="([^"]*)"/g)].map(([, route]) => route));
    for (const route of routes) expect(route).toMatch(/^(\/[a-z0-9/:._-]*|[a-z_]+)$/);

    const interactionUid = /\/interaction\/([^/?]+)/.exec(signedIn.attempt.url)?.[1];
    const secrets = ['ann@example.com', 'bob@example.com', signedIn.mail.token, pending.token, 'A'.repeat(43), signedIn.tokens.access_token, interactionUid];
    for (const secret of secrets.filter(Boolean)) expect(after.text).not.toContain(secret);
    const labelValues = [...after.text.matchAll(/="([^"]*)"/g)].map(([, value]) => value);
    for (const code of [signedIn.mail.code, pending.code]) expect(labelValues).not.toContain(code);
  });

  it('counts a sign-in finished with the code, and the wrong code before it', async () => {
    const { linkid, rp } = await setup();
    const first = new Browser('first');
    const { page, mail } = await pendingLinkIn(first, linkid, rp, 'carol@example.com');
    const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, '0');
    expect((await first.submit(page, /\/code$/, { code: wrong }, 'http')).body).toContain('That code is not right');
    expect((await first.submit(page, /\/code$/, { code: mail.code }, 'http')).status).toBe(303);
    const metrics = await scrape(linkid.issuer);
    expect(metrics.value('linkid_refusals_total', { reason: 'code_invalid' })).toBe(1);
    expect(metrics.value('linkid_signin_completed_total', { method: 'code' })).toBe(1);
    expect(metrics.value('linkid_click_to_verify_seconds_count')).toBe(1);
  });

  it('names the per-IP look-up limit when bogus links hit it, and shows unreadable store gauges as NaN, not a failed scrape', async () => {
    let storeDown = false;
    const { linkid, rp } = await setup({
      env: { RATE_LIMIT_VERIFY_PER_IP: '1/10m' },
      wrapStore: (store) => ({
        ...store,
        mailQueue: { ...store.mailQueue, queued: () => (storeDown ? Promise.reject(new Error('store down')) : store.mailQueue.queued()) },
      }),
    });
    const { mail } = await pendingLink(linkid, rp, 'eve@example.com');
    const bogus = (letter: string) => Object.assign(new URL(mail.link), { search: `?token=${letter.repeat(43)}` }).href;
    expect(reasonOf(await new Browser().request(bogus('B')))).toBe('token_unknown');
    expect(reasonOf(await new Browser().request(bogus('C')))).toBe('rate_limited');
    storeDown = true;
    const metrics = await scrape(linkid.issuer);
    expect(metrics.value('linkid_rate_limited_total', { limit: 'RATE_LIMIT_VERIFY_PER_IP' })).toBe(1);
    expect(metrics.value('linkid_mail_queue_depth')).toBeNaN();
    expect(metrics.value('linkid_mail_queue_oldest_seconds')).toBeNaN();
    expect(metrics.value('linkid_login_tokens_pending')).toBe(1);
  });

  it('answers only the bearer token when METRICS_TOKEN is set, and any Host, as Prometheus scrapes by pod IP', async () => {
    const { linkid } = await setup({ env: { METRICS_TOKEN: TOKEN } });
    const get = (headers: Record<string, string>, path = '/metrics') => request(linkid.issuer, path, headers);
    expect((await get({})).status).toBe(401);
    expect((await get({})).headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await get({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await get({ authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const byPodIp = await get({ authorization: `Bearer ${TOKEN}`, host: '10.1.2.3:3000' });
    expect(byPodIp.status).toBe(200);
    expect(byPodIp.body).toContain('linkid_build_info');
    // Everything else still answers ISSUER's host only.
    expect((await get({ host: '10.1.2.3:3000' }, '/version')).status).toBe(421);
    // A path no route knows is timed as "unmatched", whatever it carries.
    expect((await get({}, '/no/such/page/private-looking-value')).status).toBe(404);
    const metrics = await scrape(linkid.issuer, TOKEN);
    expect(metrics.value('linkid_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(metrics.value('linkid_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status: '421' })).toBe(1);
    expect(metrics.text).not.toContain('private-looking-value');
  });

  it('with METRICS_PORT, serves /metrics on its own app only', async () => {
    const linkid = await start({ env: { METRICS_TOKEN: TOKEN, METRICS_PORT: '9' } });
    expect((await request(linkid.issuer, '/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    const server = http.createServer(linkid.app.metricsApp.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await request(base, '/metrics', {})).status).toBe(401);
      const metrics = await scrape(base, TOKEN);
      expect(metrics.value('linkid_build_info', { version: linkid.services.versions.version })).toBe(1);
      expect((await request(base, '/healthz', {})).status).toBe(404);
      // Its own requests are timed too.
      expect((await scrape(base, TOKEN)).value('linkid_http_request_duration_seconds_count', { route: '/metrics', method: 'GET', status: '200' })).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('/metrics with Postmark delivery reports', () => {
  let postmark: FakePostmark | undefined;
  afterEach(async () => {
    await postmark?.close();
  });
  const WEBHOOK_AUTH = 'postmark:webhook-secret-0123456789';

  it('counts deliveries with their latency, and bounces', async () => {
    postmark = await startFakePostmark();
    const linkid = await start({
      env: { POSTMARK_SERVER_TOKEN: postmark.token, POSTMARK_API_URL: postmark.url, POSTMARK_WEBHOOK_AUTH: WEBHOOK_AUTH },
    });
    const rp = await registerApp(linkid);
    const browser = new Browser();
    const page = await submitEmail(browser, rp, 'dora@example.com');
    expect(page.status).toBe(200);
    await linkid.settle();
    const interactionUid = /\/interaction\/([^/]+)\/delivery/.exec(page.body)![1]!;
    const binding = (await browser.jar.getCookies(linkid.issuer)).find((cookie) => cookie.key.includes('binding'))!.value;
    const messageId = (await linkid.store.mailQueue.latestFor(interactionUid, sha256(binding)))!.providerMessageId!;
    const report = (body: unknown) =>
      fetch(`${linkid.issuer}/webhooks/postmark`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(WEBHOOK_AUTH).toString('base64')}` },
        body: JSON.stringify(body),
      });
    expect((await report({ RecordType: 'Delivery', MessageID: messageId, Recipient: 'dora@example.com' })).status).toBe(200);
    expect((await report({ RecordType: 'Bounce', Type: 'HardBounce', MessageID: 'other-1', Email: 'gone@example.com' })).status).toBe(200);

    const metrics = await scrape(linkid.issuer);
    expect(metrics.value('linkid_signin_emails_total', { outcome: 'delivered' })).toBe(1);
    expect(metrics.value('linkid_signin_emails_total', { outcome: 'bounced' })).toBe(1);
    expect(metrics.value('linkid_mail_delivery_seconds_count')).toBe(1);
    expect(metrics.value(`linkid_http_request_duration_seconds_count`, { route: '/webhooks/postmark', method: 'POST', status: '200' })).toBe(2);
    expect(metrics.text).not.toContain('gone@example.com');
    expect(metrics.text).not.toContain('dora@example.com');
  });
});

/** Like pendingLink, in a given browser, returning the check-your-email page too. */
async function pendingLinkIn(browser: Browser, linkid: Parameters<typeof pendingLink>[0], rp: Parameters<typeof pendingLink>[1], email: string) {
  const { requestLink } = await import('../support/sign-in.js');
  return requestLink(browser, linkid, await rp.authorizationUrl(), email);
}

/** A GET with any headers, Host included (fetch cannot send another Host). */
function request(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, base), { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}
