// Flooding an address with sign-in emails and probing the limits: per IP+address, per address
// (from many addresses behind a trusted proxy), the resend cooldown; a refused request spends
// nothing (or a handful of posts from one IP would lock the owner out everywhere); and the link
// confirm reached without an interaction is limited like every other look-up.
import { describe, expect, it } from 'vitest';
import { Browser, formOn, type Page } from '../support/browser.js';
import { mailsTo } from '../support/outbox.js';
import { reasonOf, requestLink, submitEmail } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();
const from = (ip: string) => ({ 'x-forwarded-for': ip });

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
