// Rate limits and locks as an attacker probes them: a refused request must spend nothing (or a
// handful of posts from one IP would lock an address's owner out everywhere), the wrong-code lock
// of an address must hold when a second address joins the same sign-in, and the link confirm
// reached without an interaction is limited like every other look-up.
import { afterEach, describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import { startLinkid, type RunningLinkid, type StartOptions } from '../support/linkid.js';
import { latestSignInMail, settledOutbox } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';
import { finishAtApp, reasonOf, requestLink, submitEmail } from '../support/sign-in.js';

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
const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('a refused request spends nothing', () => {
  it('six posts for one address from one IP leave the owner, elsewhere, able to get a link', async () => {
    const { linkid, rp } = await setup({ env: { TRUST_PROXY: 'true' } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await submitEmail(new Browser(), rp, 'owner@example.com', from('203.0.113.9'))).status);
    // The per-IP+address limit (3 per 10 minutes) refuses the last three...
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    // ...and those refusals took nothing from the address's own budget (5 per hour): two more
    // emails can still be sent to it, from anywhere.
    expect((await submitEmail(new Browser(), rp, 'owner@example.com', from('198.51.100.1'))).status).toBe(200);
    expect((await submitEmail(new Browser(), rp, 'owner@example.com', from('198.51.100.2'))).status).toBe(200);
    expect((await submitEmail(new Browser(), rp, 'owner@example.com', from('198.51.100.3'))).status).toBe(429);
    expect(await mailsTo(linkid, 'owner@example.com')).toHaveLength(5);
  });

  it('pressing resend during its cooldown costs the address nothing', async () => {
    const { linkid, rp } = await setup({ env: { TRUST_PROXY: 'true' } });
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl()).url);
    const { action } = formOn(form, /\/login$/);
    expect((await browser.request(action, { form: { email: 'patient@example.com' }, headers: from('192.0.2.1') })).status).toBe(200);
    for (let i = 0; i < 8; i += 1) {
      const resend = await browser.request(action, { form: { email: 'patient@example.com' }, headers: from(`192.0.2.${i + 2}`) });
      expect(resend.status).toBe(429);
    }
    // 1 sent so far: four more are still allowed from fresh sign-ins.
    for (let i = 0; i < 4; i += 1) {
      expect((await submitEmail(new Browser(), rp, 'patient@example.com', from(`198.51.100.${i + 10}`))).status).toBe(200);
    }
    expect(await mailsTo(linkid, 'patient@example.com')).toHaveLength(5);
  });
});

describe('the wrong-code lock of an address', () => {
  it('holds when an attacker adds an address of their own to the same sign-in', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_CODE_FAILURES_PER_EMAIL: '5/1h', CODE_MAX_ATTEMPTS: '10' } });
    const attacker = new Browser('attacker');
    const attempt = await rp.authorizationUrl();
    const { page, mail: victimMail } = await requestLink(attacker, linkid, attempt, 'victim@example.com');
    const wrong = String((Number(victimMail.code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i += 1) expect((await attacker.submit(page, /\/code$/, { code: wrong })).status).toBe(400);
    expect((await attacker.submit(page, /\/code$/, { code: victimMail.code })).status).toBe(429);

    // The same sign-in, now also for an address the attacker reads.
    const added = await attacker.submit(page, /\/login$/, { email: 'attacker@example.net' });
    expect(added.status).toBe(200);
    await latestSignInMail(linkid, 'attacker@example.net');

    // The victim's real code (as if guessed) must not finish the sign-in now either.
    const guessed = await attacker.submit(added, /\/code$/, { code: victimMail.code }, rp.redirectUri);
    expect(guessed.status).not.toBe(303);
    expect(guessed.location ?? '').not.toContain(rp.redirectUri);
    expect(linkid.logs.join('')).not.toContain('"event":"login.completed"');
  });

  it('charges every address a wrong guess was compared with', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_CODE_FAILURES_PER_EMAIL: '3/1h' } });
    const browser = new Browser();
    const { page } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'first@example.com');
    const second = await browser.submit(page, /\/login$/, { email: 'second@example.net' });
    const firstMail = await latestSignInMail(linkid, 'first@example.com');
    const secondMail = await latestSignInMail(linkid, 'second@example.net');
    let wrong = 0;
    while ([firstMail.code, secondMail.code].includes(String(wrong).padStart(6, '0'))) wrong += 1;
    for (let i = 0; i < 3; i += 1) await browser.submit(second, /\/code$/, { code: String(wrong).padStart(6, '0') });

    // Both addresses are locked now: a fresh sign-in for either refuses even its right code.
    for (const address of ['first@example.com', 'second@example.net']) {
      const other = new Browser();
      const fresh = await requestLink(other, linkid, await rp.authorizationUrl(), address);
      const typed = await other.submit(fresh.page, /\/code$/, { code: fresh.mail.code });
      expect({ address, status: typed.status }).toEqual({ address, status: 429 });
    }
  });

  it('still lets the owner of an unlocked address finish with their own code', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const attempt = await rp.authorizationUrl();
    const { page, mail } = await requestLink(browser, linkid, attempt, 'self@example.com');
    const typed = await browser.submit(page, /\/code$/, { code: mail.code }, 'http');
    expect(new URL(await finishAtApp(browser, rp, typed)).searchParams.get('code')).toBeTruthy();
  });
});

describe('the link confirm without an interaction', () => {
  it('is limited per IP like every other look-up', async () => {
    const { linkid } = await setup({ env: { RATE_LIMIT_VERIFY_PER_IP: '3/10m' } });
    const stranger = new Browser('cookie-less');
    const reasons: (string | undefined)[] = [];
    for (let i = 0; i < 4; i += 1) {
      const posted = await stranger.request(`${linkid.issuer}/interaction/someone-else/verify`, { form: { token: 'B'.repeat(43) } });
      reasons.push(reasonOf(posted));
    }
    expect(reasons).toEqual(['token_unknown', 'token_unknown', 'token_unknown', 'rate_limited']);
  });
});
