// A person in real Chromium: the app sends them to linkid, they type their address, open the
// link from the email in the same browser, press the button, and land on the app with a code.
// Screenshots of each page go to test-artifacts/ for a human to look at.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { latestSignInMail, settledOutbox } from '../support/outbox.js';
import { RelyingParty, oidc } from '../support/relying-party.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/browser');

describe.skipIf(chromiumMissing)('sign-in in Chromium', () => {
  let linkid: RunningLinkid;
  let browser: Browser;
  let app: http.Server;
  let appUrl: string;
  const callbacks: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The relying party's callback: a real page on loopback that records what it was given.
    app = http.createServer((req, res) => {
      if (req.url !== '/favicon.ico') callbacks.push(new URL(req.url!, appUrl).href);
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Notes</title><h1>Signed in to Notes</h1>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    linkid = await startLinkid();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await linkid?.close();
    app?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('signs in with the emailed link and lands on the app with a code the RP can redeem', async () => {
    const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', redirectUris: [`${appUrl}/callback`] }));
    const attempt = await rp.authorizationUrl({ login_hint: 'grace@example.com' });
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });

    await page.goto(attempt.url);
    await expect.poll(() => page.getByLabel('Email address').inputValue()).toBe('grace@example.com');
    await shot(page, '1-email-form');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    // The page polls the delivery status of its own email.
    await expect.poll(() => page.locator('#delivery').getAttribute('data-status'), { timeout: 10_000 }).toBe('sent');
    await expect.poll(() => page.locator('#delivery').textContent()).toContain('Sent');
    await shot(page, '2-check-email');

    const mail = await latestSignInMail(linkid, 'grace@example.com');
    const mailPage = await context.newPage();
    await mailPage.setContent(mail.message.html);
    await shot(mailPage, '3-email');
    await mailPage.close();

    await page.goto(mail.link);
    await page.getByRole('heading', { name: 'Sign in to Notes?' }).waitFor();
    await shot(page, '4-confirm');
    await page.getByRole('button', { name: 'Sign in to Notes' }).click();

    await page.getByRole('heading', { name: /Notes wants to know who you are/ }).waitFor();
    await shot(page, '5-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Signed in to Notes' }).waitFor();

    const callback = callbacks.at(-1)!;
    expect(callback.startsWith(`${appUrl}/callback?code=`)).toBe(true);
    const tokens = await rp.redeem(callback, attempt);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:linkid:acr:email-link' });
    const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ email: 'grace@example.com', email_verified: true });
    expect(cspViolations).toEqual([]);

    // Reopening the used link in the same browser says what happened.
    await page.goto(mail.link);
    await page.getByRole('heading', { name: 'This sign-in link was already used' }).waitFor();
    await shot(page, '6-link-used');
    await context.close();
  });

  it('the link opened in another browser signs nothing in there', async () => {
    const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Wiki', redirectUris: [`${appUrl}/wiki`] }));
    const attempt = await rp.authorizationUrl();
    const first = await browser.newContext();
    const page = await first.newPage();
    await page.goto(attempt.url);
    await page.getByLabel('Email address').fill('lin@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const mail = await latestSignInMail(linkid, 'lin@example.com');
    const mailsBefore = (await settledOutbox(linkid)).length;

    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await otherPage.goto(mail.link);
    // Known at the GET: no confirm button that could only fail, but what can be done from here.
    await otherPage.getByRole('heading', { name: 'This link opened in a different browser' }).waitFor();
    expect(await otherPage.getByRole('button', { name: 'Sign in to Wiki' }).count()).toBe(0);
    await shot(otherPage, '7-other-browser');
    expect(callbacks.some((url) => url.startsWith(`${appUrl}/wiki`))).toBe(false);

    // Back in the first browser, the code from the same email finishes the sign-in.
    await page.getByLabel('6-digit code').fill(mail.code);
    await shot(page, '8-code-typed');
    await page.getByRole('button', { name: 'Sign in with the code' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Signed in to Notes' }).waitFor();
    expect(callbacks.at(-1)!.startsWith(`${appUrl}/wiki?code=`)).toBe(true);
    expect((await settledOutbox(linkid)).length).toBe(mailsBefore);
    await first.close();
    await other.close();
  });

  it('a mail scanner (HEAD, GET, cookie-less POST) before the human leaves the link working', async () => {
    const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Docs', redirectUris: [`${appUrl}/docs`], firstParty: true }));
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto((await rp.authorizationUrl()).url);
    await page.getByLabel('Email address').fill('scanned@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const mail = await latestSignInMail(linkid, 'scanned@example.com');

    expect((await fetch(mail.link, { method: 'HEAD' })).status).toBe(200);
    const scanned = await (await fetch(mail.link, { headers: { 'user-agent': 'Mail scanner' } })).text();
    // It sees the other-browser page: no confirm form, and its buttons need a browser's Origin.
    expect(scanned).not.toContain('/verify"');
    const form = /action="([^"]+)"[\s\S]*?name="token" value="([^"]+)"/.exec(scanned)!;
    const pressed = await fetch(new URL(form[1]!, linkid.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: form[2]! }),
    });
    expect(pressed.status).toBe(403);

    await page.goto(mail.link);
    await page.getByRole('button', { name: 'Sign in to Docs' }).click();
    await page.getByRole('heading', { name: 'Signed in to Notes' }).waitFor();
    expect(callbacks.at(-1)!.startsWith(`${appUrl}/docs?code=`)).toBe(true);
    await context.close();
  });

  it('flooding one address shows the wait, with the reason', async () => {
    const rp = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Flood', redirectUris: [`${appUrl}/flood`] }));
    const context = await browser.newContext();
    const page = await context.newPage();
    let status = 0;
    for (let i = 0; i < 4; i += 1) {
      await page.goto((await rp.authorizationUrl()).url);
      await page.getByLabel('Email address').fill('flooded@example.com');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Email me a sign-in link' }).click(),
      ]);
      status = response.status();
    }
    expect(status).toBe(429);
    await page.getByRole('heading', { name: 'Please wait a moment' }).waitFor();
    await expect.poll(() => page.locator('main').textContent()).toMatch(/Wait \d+ seconds/);
    await shot(page, '9-rate-limited');
    expect((await settledOutbox(linkid)).filter((m) => m.to === 'flooded@example.com')).toHaveLength(3);
    await context.close();
  });
});
