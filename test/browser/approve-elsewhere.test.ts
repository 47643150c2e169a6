// Started on a laptop, mail read on a phone, in real Chromium: two browser contexts (two devices,
// no shared cookies). The phone approves with the number the laptop shows, and the laptop window
// finishes by itself, with no reload. A wrong number or "This wasn't me" ends the sign-in, and the
// laptop says so. The number is typed, not picked. Screenshots on a phone viewport go to test-artifacts/ for a human to look at.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { latestSignInMail } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/browser');
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
};

describe.skipIf(chromiumMissing)('approving from another device, in Chromium', () => {
  let linkid: RunningLinkid;
  let browser: Browser;
  let app: http.Server;
  let appUrl: string;
  let rp: RelyingParty;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    app = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Notes</title><h1>Signed in to Notes</h1>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    linkid = await startLinkid();
    browser = await launchChromium();
    rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', redirectUris: [`${appUrl}/callback`], firstParty: true }));
  });
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await browser?.close();
    await linkid?.close();
    app?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** The laptop at "check your email", and the phone that opened the link and asked to approve. */
  async function startAndAsk(email: string, shots = false) {
    const laptopContext = await browser.newContext();
    const phoneContext = await browser.newContext(PHONE);
    contexts.push(laptopContext, phoneContext);
    const laptop = await laptopContext.newPage();
    const cspViolations: string[] = [];
    for (const page of [laptop]) page.on('console', (message) => /Content Security Policy/i.test(message.text()) && cspViolations.push(message.text()));
    await laptop.goto((await rp.authorizationUrl({ login_hint: email })).url);
    await laptop.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await laptop.getByRole('heading', { name: 'Check your email' }).waitFor();
    const mail = await latestSignInMail(linkid, email);

    const phone = await phoneContext.newPage();
    phone.on('console', (message) => /Content Security Policy/i.test(message.text()) && cspViolations.push(message.text()));
    await phone.goto(mail.link);
    await phone.getByRole('heading', { name: 'This link opened in a different browser' }).waitFor();
    if (shots) await shot(phone, 'phone-1-other-browser');
    await phone.getByRole('button', { name: 'Approve the sign-in on your other device' }).click();
    await phone.getByRole('heading', { name: 'Which number do you see?' }).waitFor();
    if (shots) await shot(phone, 'phone-2-numbers');
    // The laptop shows its number by itself (it polls), no reload.
    const number = laptop.locator('#approval-number');
    await expect.poll(() => number.isVisible(), { timeout: 10_000 }).toBe(true);
    if (shots) await shot(laptop, 'laptop-1-number');
    return { laptop, phone, mail, number: (await number.textContent())!.trim(), cspViolations };
  }

  it('the right number typed on the phone, and the laptop is signed in without a reload', async () => {
    const { laptop, phone, number, cspViolations } = await startAndAsk('ann@example.com', true);
    await phone.getByLabel('The number').fill(number);
    await phone.getByRole('button', { name: 'Approve', exact: true }).click();
    await phone.getByRole('heading', { name: 'Approved' }).waitFor();
    await shot(phone, 'phone-3-approved');
    await laptop.waitForURL(`${appUrl}/callback**`, { timeout: 15_000 });
    expect(new URL(laptop.url()).searchParams.get('code')).toBeTruthy();
    expect(cspViolations).toEqual([]);
  });

  it('a wrong number ends the sign-in, and the laptop says so', async () => {
    const { laptop, phone, number } = await startAndAsk('bob@example.com');
    await phone.getByLabel('The number').fill(number === '42' ? '43' : '42');
    await phone.keyboard.press('Enter');
    await phone.getByRole('heading', { name: 'That was not the number' }).waitFor();
    await shot(phone, 'phone-4-wrong-number');
    await expect.poll(() => laptop.locator('#approval-ended').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(laptop.url()).not.toContain(appUrl);
  });

  it('"This wasn\'t me" ends it too', async () => {
    const { laptop, phone } = await startAndAsk('cy@example.com');
    await phone.getByRole('button', { name: "This wasn't me" }).click();
    await phone.getByRole('heading', { name: 'Sign-in cancelled' }).waitFor();
    await expect.poll(() => laptop.locator('#approval-ended').isVisible(), { timeout: 10_000 }).toBe(true);
  });

  it('shows a QR code of a fresh link on a phone-sized page', async () => {
    const context = await browser.newContext(PHONE);
    contexts.push(context);
    const laptopContext = await browser.newContext();
    contexts.push(laptopContext);
    const laptop = await laptopContext.newPage();
    await laptop.goto((await rp.authorizationUrl({ login_hint: 'qr@example.com' })).url);
    await laptop.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await laptop.getByRole('heading', { name: 'Check your email' }).waitFor();
    const mail = await latestSignInMail(linkid, 'qr@example.com');
    const page = await context.newPage();
    await page.goto(mail.link);
    await page.getByRole('button', { name: 'Show a code to scan' }).click();
    await page.getByRole('heading', { name: 'Scan this with the phone where you started' }).waitFor();
    const box = await page.locator('.qr svg').boundingBox();
    expect(box?.width).toBeGreaterThan(150);
    await shot(page, 'phone-5-qr');
    // The QR's link, opened in the laptop (the browser that started), confirms there.
    const link = (await page.locator('.link-text code').textContent())!;
    await laptop.goto(link);
    await laptop.getByRole('button', { name: 'Sign in to Notes' }).click();
    await laptop.waitForURL(`${appUrl}/callback**`, { timeout: 15_000 });
  });
});
