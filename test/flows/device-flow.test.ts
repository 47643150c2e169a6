// The device authorization grant (RFC 8628) end to end: an app registered with --device-flow asks
// for a user code with openid-client, a person types it at ISSUER/device in a browser, signs in
// with the magic link, sees the app and the code and approves or denies, and the app's polling
// gets an ID token for that person, access_denied, expired_token or slow_down. Bad codes get their
// reason pages, guesses are limited per IP, scanners change nothing, and no code is kept in clear.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeUserCode } from '../../src/kernel/device-code-format.js';
import { linkidAdmin } from '../support/admin-cli.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { latestSignInMail } from '../support/outbox.js';
import type { ClientView } from '../../src/admin/clients.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { confirmLink, reasonOf } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { start } = useLinkid();

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const MINUTE = 60_000;

/** A TV app: the device flow only, no redirect URI, no secret (what `client create --device-flow --public` makes). */
async function tvApp(linkid: RunningLinkid, client: Parameters<RunningLinkid['createClient']>[0] = {}): Promise<RelyingParty> {
  return RelyingParty.discover(
    linkid.issuer,
    await linkid.createClient({ name: 'Living-room TV', redirectUris: [], deviceFlow: true, isPublic: true, ...client }),
  );
}

/** What the device shows: a user code and where to type it. */
const startOnDevice = (rp: RelyingParty, scope = 'openid email') => oidc.initiateDeviceAuthorization(rp.config, { scope });

/**
 * Polls as the app does, at once (the test has already decided): tokens, or the error that ended
 * the polling. Only for a decided code: openid-client keeps polling while it is pending.
 */
async function poll(rp: RelyingParty, device: oidc.DeviceAuthorizationResponse) {
  try {
    return { tokens: await oidc.pollDeviceAuthorizationGrant(rp.config, { ...device, interval: 0 }) };
  } catch (error) {
    return { error: (error as { error?: string }).error ?? String(error) };
  }
}

/** One poll of the token endpoint: what it answers a device right now. */
const pollOnce = (rp: RelyingParty, device: oidc.DeviceAuthorizationResponse) =>
  oidc.genericGrantRequest(rp.config, DEVICE_CODE_GRANT, { device_code: device.device_code }).then(
    () => 'tokens',
    (error: { error?: string; message?: string }) => error.error ?? error.message,
  );

/** The /device form as a person posts it: the code as they typed it. */
async function typeCode(browser: Browser, linkid: RunningLinkid, typed: string): Promise<Page> {
  const page = await browser.request(`${linkid.issuer}/device`);
  expect(page.status, page.body).toBe(200);
  return browser.submit(page, /\/device$/, { user_code: typed });
}

/** From /device to the approval page: the code typed, the link from the email confirmed. */
async function approvalPage(browser: Browser, linkid: RunningLinkid, userCode: string, email: string): Promise<Page> {
  const emailForm = await typeCode(browser, linkid, userCode.toLowerCase().replace('-', ' '));
  expect(emailForm.status, emailForm.body).toBe(200);
  expect(emailForm.url).toMatch(/\/interaction\/[^/]+$/);
  expect(emailForm.body).toContain('Living-room TV');
  const checkEmail = await browser.submit(emailForm, /\/login$/, { email });
  expect(checkEmail.body).toContain('Check your email');
  const confirmed = await confirmLink(browser, await latestSignInMail(linkid, email));
  expect(confirmed.status, confirmed.body).toBe(303);
  const approval = await browser.follow(confirmed.location!);
  expect(approval.status, approval.body).toBe(200);
  return approval;
}

const decide = (browser: Browser, approval: Page, decision: 'allow' | 'deny') => browser.submit(approval, /\/consent$/, { decision });

/** The device code as linkid's engine reads it back (never through the store's rows). */
const storedCode = (linkid: RunningLinkid, userCode: string) =>
  linkid.services.provider.DeviceCode.findByUserCode(normalizeUserCode(userCode), { ignoreExpiration: true });

const events = (linkid: RunningLinkid, event: string) =>
  linkid.logs
    .join('')
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the device authorization grant', () => {
  it('is in discovery, with ISSUER/device to type the code at', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid);
    expect(rp.config.serverMetadata().device_authorization_endpoint).toBe(`${linkid.issuer}/device/auth`);
    const device = await startOnDevice(rp);
    expect(device.verification_uri).toBe(`${linkid.issuer}/device`);
    expect(device.verification_uri_complete).toBe(`${linkid.issuer}/device?user_code=${device.user_code}`);
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  });

  it('approved: the app gets an ID token for the person who signed in, and the approval is counted', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    expect(await pollOnce(rp, device)).toBe('authorization_pending');
    const browser = new Browser();
    const approval = await approvalPage(browser, linkid, device.user_code, 'viewer@example.com');
    // The app, the account and the code, before anything is granted.
    expect(approval.body).toContain('Sign in to Living-room TV on a device?');
    expect(approval.body).toContain('viewer@example.com');
    expect(approval.body).toContain(`<code>${device.user_code}</code>`);
    const done = await decide(browser, approval, 'allow');
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Your device is signed in');
    const { tokens } = await poll(rp, device);
    const user = await linkid.store.users.findByEmail('viewer@example.com');
    expect(tokens?.claims()?.sub).toBe(user?.id);
    expect(tokens?.claims()?.email).toBe('viewer@example.com');
    expect(tokens?.claims()?.acr).toBe('urn:linkid:acr:email-link');
    // The device code works once.
    expect((await poll(rp, device)).error).toBe('invalid_grant');
    const [authorized] = events(linkid, 'device.authorized');
    expect(authorized).toMatchObject({ clientId: rp.client.client_id, accountId: user?.id });
    expect(linkid.logs.join('')).not.toContain(device.user_code);
    expect(linkid.logs.join('')).not.toContain(normalizeUserCode(device.user_code));
    expect(linkid.logs.join('')).not.toContain(device.device_code);
    const metrics = await (await fetch(`${linkid.issuer}/metrics`)).text();
    expect(metrics).toMatch(/linkid_cross_device_total\{kind="device",outcome="authorized"\} 1/);
  });

  it('a first-party app and a person already signed in still meet the approval page', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid, { firstParty: true });
    const browser = new Browser();
    const first = await startOnDevice(rp);
    await decide(browser, await approvalPage(browser, linkid, first.user_code, 'again@example.com'), 'allow');
    expect((await poll(rp, first)).tokens).toBeDefined();
    // Signed in already: typing the next code goes straight to the approval page.
    const second = await startOnDevice(rp);
    const approval = await typeCode(browser, linkid, second.user_code);
    expect(approval.status, approval.body).toBe(200);
    expect(approval.body).toContain(`<code>${second.user_code}</code>`);
    expect(await pollOnce(rp, second)).toBe('authorization_pending');
    await decide(browser, approval, 'allow');
    expect((await poll(rp, second)).tokens?.claims()?.email).toBe('again@example.com');
  });

  it('denied: the app hears access_denied, the code is spent, and the denial is counted', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    const browser = new Browser();
    const denied = await decide(browser, await approvalPage(browser, linkid, device.user_code, 'careful@example.com'), 'deny');
    expect(denied.status, denied.body).toBe(200);
    expect(denied.body).toContain('The device was not signed in');
    expect((await poll(rp, device)).error).toBe('access_denied');
    const again = await typeCode(new Browser(), linkid, device.user_code);
    expect({ status: again.status, reason: reasonOf(again) }).toEqual({ status: 410, reason: 'device_code_used' });
    const user = await linkid.store.users.findByEmail('careful@example.com');
    expect(events(linkid, 'device.denied')).toEqual([expect.objectContaining({ clientId: rp.client.client_id, accountId: user?.id })]);
    expect(events(linkid, 'device.authorized')).toEqual([]);
  });

  it('expired: the app hears expired_token and the code its reason page (fake clock)', async () => {
    const clock = fakeClock();
    const linkid = await start({ clock });
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    expect(device.expires_in).toBe(600);
    clock.advance(11 * MINUTE);
    expect((await poll(rp, device)).error).toBe('expired_token');
    const typed = await typeCode(new Browser(), linkid, device.user_code);
    expect({ status: typed.status, reason: reasonOf(typed) }).toEqual({ status: 410, reason: 'device_code_expired' });
  });

  it('a device polling faster than every 5 seconds hears slow_down', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    expect(await pollOnce(rp, device)).toBe('authorization_pending');
    expect(await pollOnce(rp, device)).toBe('slow_down');
    expect(await pollOnce(rp, device)).toBe('slow_down');
  });

  it('an app registered without the device flow may not start one', async () => {
    const linkid = await start();
    const web = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Web only' }));
    // oidc-provider's answer for a grant the client was not registered for.
    await expect(startOnDevice(web)).rejects.toMatchObject({
      error: 'invalid_request',
      error_description: `${DEVICE_CODE_GRANT} is not allowed for this client`,
    });
  });
});

describe('codes typed at /device', () => {
  it('a wrong, a malformed and an empty code get their reason pages, and cost only the wrong one a guess', async () => {
    const linkid = await start({ env: { RATE_LIMIT_DEVICE_CODE_PER_IP: '2/10m' } });
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    const browser = new Browser();
    const refused = async (typed: string) => {
      const page = await typeCode(browser, linkid, typed);
      expect(page.body).toContain('href="/device"');
      return { status: page.status, reason: reasonOf(page) };
    };
    for (const typed of ['hello', '12345678', 'BCDF-GHJK-LMNP', '<script>', '']) {
      expect(await refused(typed), typed).toEqual({ status: 400, reason: 'device_code_malformed' });
    }
    const wrong = device.user_code === 'BCDF-GHJK' ? 'BCDF-GHJL' : 'BCDF-GHJK';
    expect(await refused(wrong)).toEqual({ status: 404, reason: 'device_code_unknown' });
    // The budget (2) is not spent by the malformed ones: the right code still works.
    const emailForm = await typeCode(browser, linkid, device.user_code);
    expect(emailForm.url).toMatch(/\/interaction\//);
    expect(linkid.logs.join('')).not.toContain(device.user_code);
  });

  it('guesses from one IP are limited: once spent, even a right code is refused (rate_limited)', async () => {
    const linkid = await start({ env: { RATE_LIMIT_DEVICE_CODE_PER_IP: '3/10m' } });
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    const browser = new Browser();
    const wrong = ['BCDF-GHJK', 'BCDF-GHJL', 'BCDF-GHJM', 'BCDF-GHJN'].filter((code) => code !== device.user_code).slice(0, 3);
    for (const code of wrong) expect(reasonOf(await typeCode(browser, linkid, code))).toBe('device_code_unknown');
    const limited = await typeCode(browser, linkid, device.user_code);
    expect({ status: limited.status, reason: reasonOf(limited) }).toEqual({ status: 429, reason: 'rate_limited' });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Nothing was looked up: the device's code is as it was.
    expect((await storedCode(linkid, device.user_code))?.inFlight).toBeUndefined();
    const metrics = await (await fetch(`${linkid.issuer}/metrics`)).text();
    expect(metrics).toMatch(/limit="RATE_LIMIT_DEVICE_CODE_PER_IP"[^\n]*\} [1-9]/);
  });

  it('a code posted from another site is refused (origin_mismatch) and looks nothing up', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    const browser = new Browser();
    const page = await browser.request(`${linkid.issuer}/device`);
    const { action, hidden } = formOn(page, /\/device$/);
    const posted = await browser.request(action, {
      form: { ...hidden, user_code: device.user_code },
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect({ status: posted.status, reason: reasonOf(posted) }).toEqual({ status: 403, reason: 'origin_mismatch' });
    expect((await storedCode(linkid, device.user_code))?.inFlight).toBeUndefined();
  });

  it('a scanner (GET and HEAD without cookies) over /device, the complete URI and the approval page changes nothing', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    // The person's own approval page, reached by them; its URL is what a scanner might be handed.
    const browser = new Browser();
    const approval = await approvalPage(browser, linkid, device.user_code, 'scanned@example.com');
    const before = JSON.stringify(await storedCode(linkid, device.user_code));
    const other = await startOnDevice(rp);
    const urls = [
      `${linkid.issuer}/device`,
      other.verification_uri_complete!,
      approval.url,
      `${linkid.issuer}/device/${new URL(approval.url).pathname.split('/')[2]}`,
    ];
    for (const url of urls) {
      const head = await fetch(url, { method: 'HEAD', redirect: 'manual' });
      expect(head.status, url).toBeLessThan(500);
      if (new URL(url).pathname === '/device') expect(head.headers.getSetCookie(), url).toEqual([]);
      for (let i = 0; i < 3; i += 1) {
        const page = await new Browser('Scanner').request(url);
        expect(page.status, url).toBeLessThan(500);
      }
    }
    // The complete URI shows the code in a form to post, and looks nothing up (no app named).
    // The form's one-time value lives in a session of its own, kept an hour, not the SSO lifetime.
    const complete = await new Browser('Scanner').request(other.verification_uri_complete!);
    const [formSession] = complete.headers.getSetCookie().filter((cookie) => /^linkid-session=/.test(cookie));
    const expires = Date.parse(/expires=([^;]+)/i.exec(formSession ?? '')?.[1] ?? '');
    expect(expires - Date.now()).toBeLessThanOrEqual(60 * MINUTE);
    expect(complete.body).toContain(`value="${other.user_code}"`);
    expect(complete.body).not.toContain('Living-room TV');
    expect(JSON.stringify(await storedCode(linkid, device.user_code))).toBe(before);
    const untouched = await storedCode(linkid, other.user_code);
    expect({ inFlight: untouched?.inFlight, accountId: untouched?.accountId, error: untouched?.error }).toEqual({});
    expect(events(linkid, 'device.authorized')).toEqual([]);
    expect(events(linkid, 'device.denied')).toEqual([]);
    // The person can still approve, and the other code still be typed.
    await decide(browser, approval, 'allow');
    expect((await poll(rp, device)).tokens).toBeDefined();
    expect((await typeCode(new Browser(), linkid, other.user_code)).url).toMatch(/\/interaction\//);
  });

  it('keeps no user code or device code in clear in DATA_DIR, and still finds a device by its code', async () => {
    const linkid = await start();
    const rp = await tvApp(linkid);
    const device = await startOnDevice(rp);
    const browser = new Browser();
    await approvalPage(browser, linkid, device.user_code, 'rest@example.com');
    const secrets = { userCode: normalizeUserCode(device.user_code), shownCode: device.user_code, deviceCode: device.device_code };
    const found: string[] = [];
    for (const entry of fs.readdirSync(linkid.dataDir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const bytes = fs.readFileSync(path.join(entry.parentPath, entry.name));
      for (const [name, value] of Object.entries(secrets)) if (bytes.includes(Buffer.from(value))) found.push(`${name} in ${entry.name}`);
    }
    expect(found).toEqual([]);
    expect((await storedCode(linkid, device.user_code))?.clientId).toBe(rp.client.client_id);
  });
});

describe('linkid-admin client create|update --device-flow', () => {
  it('registers an app on a device without a browser: no redirect URI, the device grant and refresh tokens', async () => {
    const linkid = await start();
    const [made, neither] = await Promise.all([
      linkidAdmin(linkid, ['client', 'create', '--name', 'Terminal', '--device-flow', '--public']).then((stdout) => JSON.parse(stdout) as ClientView),
      linkidAdmin(linkid, ['client', 'create', '--name', 'Nothing']).catch((error: { stderr: string }) => error.stderr),
    ]);
    expect(made).toMatchObject({ redirect_uris: [], token_endpoint_auth_method: 'none', grant_types: [DEVICE_CODE_GRANT, 'refresh_token'] });
    expect(made.client_secret).toBeUndefined();
    expect(neither).toContain('--device-flow');
    const terminal = await RelyingParty.discover(linkid.issuer, made);
    expect((await startOnDevice(terminal)).user_code).toBeTruthy();
    // Without the device flow it would have no way to sign in left.
    await expect(linkidAdmin(linkid, ['client', 'update', made.client_id, '--no-device-flow'])).rejects.toMatchObject({
      stderr: expect.stringContaining('no redirect URI'),
    });
  });

  it('turns the device flow on for a web app, and off again', async () => {
    const linkid = await start();
    const web = await linkid.createClient({ name: 'Web', redirectUris: ['https://web.example/cb'] });
    expect(web.grant_types).toBeUndefined();
    const [withDevice, contradiction] = await Promise.all([
      linkidAdmin(linkid, ['client', 'update', web.client_id, '--device-flow']).then((stdout) => JSON.parse(stdout) as ClientView),
      linkidAdmin(linkid, ['client', 'update', web.client_id, '--device-flow', '--no-device-flow']).catch((error: { stderr: string }) => error.stderr),
    ]);
    expect(withDevice.grant_types).toEqual(['authorization_code', DEVICE_CODE_GRANT, 'refresh_token']);
    expect(contradiction).toContain('contradict');
    const confidential = await RelyingParty.discover(linkid.issuer, { ...withDevice, client_secret: web.client_secret });
    expect((await startOnDevice(confidential)).user_code).toBeTruthy();
    const without = JSON.parse(await linkidAdmin(linkid, ['client', 'update', web.client_id, '--no-device-flow'])) as ClientView;
    expect(without.grant_types).toBeUndefined();
    await expect(startOnDevice(confidential)).rejects.toMatchObject({ error: 'invalid_request' });
  });
});
