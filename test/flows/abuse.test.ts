// linkid tried as an attacker and as a confused user would: the link in another browser and the
// code in the first, code guessing, inbox flooding, account enumeration, host-header poisoning,
// used links, and the headers and cookies that hold it together.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Browser, formOn, type Page } from '../support/browser.js';
import { startLinkid, type RunningLinkid, type StartOptions } from '../support/linkid.js';
import { latestSignInMail, settledOutbox } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp, reasonOf, requestLink, signIn, submitEmail } from '../support/sign-in.js';

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

const mailsTo = async (linkid: RunningLinkid, to: string) => (await settledOutbox(linkid)).filter((mail) => mail.to === to);

describe('the link opened in another browser', () => {
  it('signs nothing in there, and the code typed in the first browser finishes the sign-in', async () => {
    const { linkid, rp } = await setup();
    const first = new Browser('first');
    const { page, mail } = await requestLink(first, linkid, await rp.authorizationUrl(), 'two@example.com');

    const second = new Browser('iOS Mail in-app browser');
    const elsewhere = await second.submit(await second.request(mail.link), /\/verify$/, {}, 'http');
    expect(elsewhere.status).toBe(403);
    expect(reasonOf(elsewhere)).toBe('browser_mismatch');
    expect(elsewhere.body).toContain('type the 6-digit code from the same email');

    const typed = await first.submit(page, /\/code$/, { code: mail.code.replace(/(\d{3})/, '$1 ') }, 'http');
    const callback = await finishAtApp(first, rp, typed);
    expect(new URL(callback).searchParams.get('code')).toBeTruthy();

    // The link is spent now: the code consumed the same token.
    const again = await first.request(mail.link);
    expect(reasonOf(again)).toBe('token_used');
  });

  it('refuses the code in a browser without the binding cookie', async () => {
    const { linkid, rp } = await setup();
    const first = new Browser();
    const { page, mail } = await requestLink(first, linkid, await rp.authorizationUrl(), 'nocookie@example.com');
    const form = formOn(page, /\/code$/);
    const cookies = (await first.jar.getCookies(form.action)).filter((cookie) => !cookie.key.includes('binding'));
    const stranger = new Browser();
    for (const cookie of cookies) await stranger.jar.setCookie(cookie, form.action);
    const refused = await stranger.request(form.action, { form: { ...form.hidden, code: mail.code } });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Open this link in the browser where you started');
    expect((await confirmLink(first, mail)).status).toBe(303);
  });
});

describe('code guessing', () => {
  it('a code allows 5 attempts, then dies; the link still works', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'guess@example.com');
    const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i += 1) {
      const attempt = await browser.submit(page, /\/code$/, { code: wrong });
      expect(attempt.status).toBe(400);
      expect(attempt.body).toContain('That code is not right');
    }
    const late = await browser.submit(page, /\/code$/, { code: mail.code });
    expect(late.status).toBe(429);
    expect(late.body).toContain('Too many wrong codes');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });

  it('a new link does not reset the failure count for the address', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_CODE_FAILURES_PER_EMAIL: '6/1h', RESEND_COOLDOWN_SECONDS: '10' } });
    const browser = new Browser();
    const attempt = await rp.authorizationUrl();
    const { page, mail } = await requestLink(browser, linkid, attempt, 'reset@example.com');
    const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i += 1) await browser.submit(page, /\/code$/, { code: wrong });

    const second = await requestLink(browser, linkid, await rp.authorizationUrl(), 'reset@example.com');
    expect(second.mail.code === mail.code && second.mail.token === mail.token).toBe(false);
    const oneMore = String((Number(second.mail.code) + 1) % 1_000_000).padStart(6, '0');
    expect((await browser.submit(second.page, /\/code$/, { code: oneMore })).status).toBe(400);
    const locked = await browser.submit(second.page, /\/code$/, { code: second.mail.code });
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('Too many wrong codes');
  });

  it('rejects malformed codes without spending an attempt', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'format@example.com');
    for (const code of ['', '12345', '1234567', 'abcdef', '12 34 5x']) {
      expect((await browser.submit(page, /\/code$/, { code })).status).toBe(400);
    }
    const done = await browser.submit(page, /\/code$/, { code: mail.code }, 'http');
    expect(done.status).toBe(303);
  });
});

describe('flooding one address', () => {
  it('stops the emails at the per-IP+address limit with a 429, Retry-After and the reason', async () => {
    const { linkid, rp } = await setup();
    const statuses: number[] = [];
    let last: Page | undefined;
    for (let i = 0; i < 6; i += 1) {
      last = await submitEmail(new Browser(), rp, 'victim@example.com');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(reasonOf(last!)).toBe('rate_limited');
    expect(await mailsTo(linkid, 'victim@example.com')).toHaveLength(3);
    expect(linkid.logs.join('')).toContain('"limit":"RATE_LIMIT_SEND_PER_IP_EMAIL"');
  });

  it('stops at the per-address limit even from many addresses behind a trusted proxy', async () => {
    const { linkid, rp } = await setup({ env: { TRUST_PROXY: 'true' } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      statuses.push((await submitEmail(new Browser(), rp, 'victim@example.com', { 'x-forwarded-for': `198.51.100.${i + 1}` })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(await mailsTo(linkid, 'victim@example.com')).toHaveLength(5);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
    const { rp } = await setup();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await submitEmail(new Browser(), rp, 'spoof@example.com', { 'x-forwarded-for': `203.0.113.${i + 1}` })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('makes the resend button wait for its cooldown', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'resend@example.com');
    expect(page.body).toContain('data-cooldown="60"');
    const resend = await browser.request(formOn(page, /\/login$/).action, { form: formOn(page, /\/login$/).hidden });
    expect(resend.status).toBe(429);
    expect(Number(resend.headers.get('retry-after'))).toBeGreaterThan(50);
    expect(await mailsTo(linkid, 'resend@example.com')).toHaveLength(1);
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

describe('links come only from ISSUER', () => {
  it('a spoofed Host or X-Forwarded-Host is refused, and the host headers never change the link in the email', async () => {
    const { linkid, rp } = await setup({ env: { TRUST_PROXY: 'true' } });
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl()).url);
    const { action } = formOn(form, /\/login$/);
    const url = new URL(action);
    const cookie = await browser.jar.getCookieString(action);
    const postEmail = (email: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const request = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode!);
          },
        );
        request.on('error', reject);
        request.end(new URLSearchParams({ email }).toString());
      });

    // Another host, directly or through the proxy's header: refused before the flow, no mail.
    expect(await postEmail('spoofed@example.com', { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' })).toBe(421);
    expect(await mailsTo(linkid, 'spoofed@example.com')).toHaveLength(0);

    // Our host as the trusted proxy reports it, with every other host header an attacker could add:
    // answered, and the link still comes from ISSUER alone.
    const status = await postEmail('host@example.com', {
      host: 'evil.example',
      'x-forwarded-host': url.host,
      'x-forwarded-proto': 'http',
      forwarded: 'host=evil.example;proto=https',
      'x-forwarded-server': 'evil.example',
      'x-original-host': 'evil.example',
    });
    expect(status).toBe(200);
    const mail = await latestSignInMail(linkid, 'host@example.com');
    expect(mail.link.startsWith(`${linkid.issuer}/login/link?token=`)).toBe(true);
    expect(mail.message.html).not.toContain('evil.example');
    expect(mail.message.text).not.toContain('evil.example');
  });
});

describe('used links', () => {
  it('say what happened and offer one button that mails a fresh link for the same sign-in', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const attempt = await rp.authorizationUrl();
    const { mail } = await requestLink(browser, linkid, attempt, 'twice@example.com');
    const confirmPage = await browser.request(mail.link);

    // Someone (a scanner with cookies, or the user in another tab) used the link; the sign-in here
    // has not finished, so a fresh link for it is offered.
    await linkid.store.loginTokens.consume((await import('../../src/login/token-crypto.js')).sha256(mail.token), Date.now());
    const used = await browser.request(mail.link);
    expect(used.status).toBe(410);
    expect(reasonOf(used)).toBe('token_used');
    const renewed = await browser.submit(used, /\/login\/link\/renew$/);
    expect(renewed.status).toBe(200);
    expect(renewed.body).toContain('A new sign-in email is on its way');

    const fresh = await latestSignInMail(linkid, 'twice@example.com');
    expect(fresh.token).not.toBe(mail.token);
    expect(formOn(confirmPage, /\/verify$/).action).toContain('/interaction/');
    const callback = await finishAtApp(browser, rp, await confirmLink(browser, fresh));
    await rp.redeem(callback, attempt);
  });

  it('a renew for a finished sign-in mails nothing', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { mail } = await signIn(browser, linkid, rp, 'finished@example.com');
    const used = await browser.request(mail.link);
    const renewed = await browser.submit(used, /\/login\/link\/renew$/);
    expect(renewed.status).toBe(410);
    expect(reasonOf(renewed)).toBe('interaction_expired');
    expect(await mailsTo(linkid, 'finished@example.com')).toHaveLength(1);
  });

  it('OPTIONS on the link consumes nothing', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'options@example.com');
    const options = await fetch(mail.link, { method: 'OPTIONS' });
    expect(options.status).toBeLessThan(500);
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });
});

describe('headers and cookies', () => {
  it('link and code pages: CSP with nonce and frame-ancestors none, no referrer, no caching', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'headers@example.com');
    for (const response of [page, await browser.request(mail.link)]) {
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'nonce-[^']+'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
      for (const tag of response.body.matchAll(/<(script|style)\b[^>]*>/g)) expect(tag[0]).toContain(`nonce="${nonce}"`);
    }
  });

  it('over https: HSTS, and Secure __Host- cookies', async () => {
    const linkid = await startLinkid({ https: true });
    running.push(linkid);
    const client = await linkid.createClient({ name: 'Secure' });
    const browser = new Browser();
    const authUrl = `${linkid.issuer.replace('https://', 'http://')}/auth?${new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: client.redirect_uris[0]!,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })}`;
    const toInteraction = await browser.request(authUrl);
    expect(toInteraction.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    const setCookies = toInteraction.headers.getSetCookie();
    expect(setCookies.length).toBeGreaterThan(0);
    for (const cookie of setCookies) expect(cookie.toLowerCase()).toContain('secure');
    expect(setCookies.some((cookie) => cookie.startsWith('__Secure-linkid-interaction='))).toBe(true);

    const interactionUrl = toInteraction.location!.replace('https://', 'http://');
    const cookieHeader = setCookies.map((cookie) => cookie.split(';')[0]).join('; ');
    const posted = await fetch(`${interactionUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookieHeader, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      body: 'email=https%40example.com',
    });
    expect(posted.status).toBe(200);
    const binding = posted.headers.getSetCookie().find((cookie) => cookie.startsWith('__Host-linkid-binding='));
    expect(binding).toBeDefined();
    expect(binding!.toLowerCase()).toMatch(/path=\/;.*secure.*httponly|path=\/;.*httponly.*secure|secure.*path=\//);
    expect(binding).not.toMatch(/domain=/i);
  });
});

describe('fresh sign-in on demand', () => {
  it('prompt=login and max_age=0 ask for a new link even with a session', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    await signIn(browser, linkid, rp, 'again@example.com');
    for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const page = await browser.follow((await rp.authorizationUrl(params)).url, rp.redirectUri);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Email me a sign-in link');
    }
    const sso = await browser.follow((await rp.authorizationUrl()).url, rp.redirectUri);
    expect(sso.location?.startsWith(rp.redirectUri)).toBe(true);
  });
});
