// Two apps with their own brand and policy, seen by the same person in real Chromium: each app's
// logo (served from its own https origin, which only that app's pages allow), accent colour on
// the buttons in light and dark schemes, support address and links, on every page of its sign-in
// and in its email. Screenshots of each go to a temp folder named in the output, for a human.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { latestSignInMail } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';

// The page's own globals, for the functions Playwright runs in it (tsconfig has no DOM types).
declare const getComputedStyle: (element: unknown) => { backgroundColor: string; color: string };
type HTMLImageElement = { naturalWidth: number };

const LOGO = 'https://cdn.aurora.example/logo.svg';
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40"><rect width="160" height="40" rx="8" fill="#0969da"/>' +
  '<text x="16" y="27" font-family="sans-serif" font-size="20" fill="#fff">Aurora</text></svg>';

describe.skipIf(chromiumMissing)('per-app pages and emails in Chromium', () => {
  let linkid: RunningLinkid;
  let browser: Browser;
  let shots: string;

  beforeAll(async () => {
    shots = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-app-branding-'));
    console.info(`[app branding] screenshots in ${shots}`);
    linkid = await startLinkid();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await linkid?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const buttonColour = (page: Page) =>
    page
      .locator('button[type=submit]')
      .first()
      .evaluate((button) => getComputedStyle(button).backgroundColor);

  /** A browser context that serves the logo from its https origin (nothing leaves the machine) and records CSP violations. */
  async function personIn(scheme: 'light' | 'dark'): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
    const context = await browser.newContext({ colorScheme: scheme });
    await context.route(`${new URL(LOGO).origin}/**`, (route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }));
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    return { context, page, violations };
  }

  async function askForLink(page: Page, rp: RelyingParty, email: string) {
    await page.goto((await rp.authorizationUrl()).url);
    await page.getByLabel('Email address').fill(email);
  }

  it('the same person sees Aurora and Basalt each in its own colours, logo, links and email', async () => {
    const aurora = await RelyingParty.discover(
      linkid.issuer,
      await linkid.createClient({
        name: 'Aurora',
        logoUri: LOGO,
        accentColor: '#0969da',
        supportEmail: 'help@aurora.example',
        policyUri: 'https://aurora.example/privacy',
        tosUri: 'https://aurora.example/terms',
        consent: 'required',
      }),
    );
    const basalt = await RelyingParty.discover(
      linkid.issuer,
      await linkid.createClient({ name: 'Basalt', accentColor: '#e0661a', supportEmail: 'desk@basalt.example', consent: 'skip', linkTtlSeconds: 120 }),
    );

    // Aurora, light scheme: every page of its sign-in.
    const light = await personIn('light');
    await askForLink(light.page, aurora, 'grace@example.com');
    const logo = light.page.locator('img.logo');
    await expect.poll(() => logo.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0);
    expect(await buttonColour(light.page)).toBe('rgb(9, 105, 218)');
    await expect.poll(() => light.page.getByRole('link', { name: 'Privacy policy' }).getAttribute('href')).toBe('https://aurora.example/privacy');
    await shot(light.page, 'aurora-1-email-form');
    await light.page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await light.page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await light.page.getByText('Both work for 10 minutes').count()).toBe(1);
    await shot(light.page, 'aurora-2-check-email');
    await light.page.getByLabel('6-digit code').fill('000000');
    await light.page.getByRole('button', { name: 'Sign in with the code' }).click();
    await light.page.getByText('That code is not right').first().waitFor();
    await shot(light.page, 'aurora-3-code');
    const auroraMail = await latestSignInMail(linkid, 'grace@example.com');
    await light.page.goto(auroraMail.link);
    await light.page.getByRole('heading', { name: 'Sign in to Aurora?' }).waitFor();
    await expect.poll(() => light.page.locator('img.logo').evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0);
    await shot(light.page, 'aurora-4-confirm');
    await light.page.getByRole('button', { name: 'Sign in to Aurora' }).click();
    await light.page.getByRole('heading', { name: /Aurora wants to know who you are/ }).waitFor();
    expect(await buttonColour(light.page)).toBe('rgb(9, 105, 218)');
    await shot(light.page, 'aurora-5-consent');
    await light.page.goto(auroraMail.link);
    await light.page.getByRole('heading', { name: 'This sign-in link was already used' }).waitFor();
    expect(await light.page.locator('img.logo').count()).toBe(1);
    await shot(light.page, 'aurora-6-reason');
    expect(light.violations).toEqual([]);

    // Aurora's email, rendered as a mail client would, its logo fetched by URL.
    const mailPage = await light.context.newPage();
    await mailPage.setContent(auroraMail.message.html);
    await expect
      .poll(() =>
        mailPage
          .locator('img')
          .first()
          .evaluate((image: HTMLImageElement) => image.naturalWidth),
      )
      .toBeGreaterThan(0);
    expect(await mailPage.locator('a.button').evaluate((link) => getComputedStyle(link).backgroundColor)).toBe('rgb(9, 105, 218)');
    await shot(mailPage, 'aurora-7-email');
    await light.context.close();

    // Basalt, dark scheme, same person: its own accent with the dark text derived for it, no logo.
    const dark = await personIn('dark');
    await askForLink(dark.page, basalt, 'grace@example.com');
    expect(await dark.page.locator('img.logo').count()).toBe(0);
    expect(await buttonColour(dark.page)).toBe('rgb(224, 102, 26)');
    expect(
      await dark.page
        .locator('button[type=submit]')
        .first()
        .evaluate((button) => getComputedStyle(button).color),
    ).toBe('rgb(13, 17, 23)');
    expect(await dark.page.getByText('Questions? Write to desk@basalt.example.').count()).toBe(1);
    await shot(dark.page, 'basalt-1-email-form-dark');
    await dark.page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await dark.page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await dark.page.getByText('Both work for 2 minutes').count()).toBe(1);
    await shot(dark.page, 'basalt-2-check-email-dark');
    const basaltMail = await latestSignInMail(linkid, 'grace@example.com');
    expect(basaltMail.message.subject).toContain('Basalt');
    await dark.page.goto(basaltMail.link);
    await dark.page.getByRole('heading', { name: 'Sign in to Basalt?' }).waitFor();
    expect(await buttonColour(dark.page)).toBe('rgb(224, 102, 26)');
    await shot(dark.page, 'basalt-3-confirm-dark');
    const basaltMailPage = await dark.context.newPage();
    await basaltMailPage.setContent(basaltMail.message.html);
    expect(await basaltMailPage.locator('img').count()).toBe(0);
    expect(await basaltMailPage.locator('a.button').evaluate((link) => getComputedStyle(link).backgroundColor)).toBe('rgb(224, 102, 26)');
    await shot(basaltMailPage, 'basalt-4-email-dark');
    expect(dark.violations).toEqual([]);
    await dark.context.close();

    expect(fs.readdirSync(shots).sort()).toHaveLength(11);
  });

  it('an account signed in through an open app meets the email form of an allowlisted one, and switching accounts there lands on it', async () => {
    const app = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>App</title><h1>Back at the app</h1>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    try {
      const forum = await RelyingParty.discover(
        linkid.issuer,
        await linkid.createClient({ name: 'Forum', redirectUris: [`${appUrl}/forum`], consent: 'skip' }),
      );
      const intranet = await RelyingParty.discover(
        linkid.issuer,
        await linkid.createClient({
          name: 'Intranet',
          redirectUris: [`${appUrl}/intranet`],
          consent: 'skip',
          signup: 'allowlist',
          signupDomains: 'corp.example',
        }),
      );
      const person = await personIn('light');
      const { page } = person;
      const signInWith = async (rp: RelyingParty, email: string, name: string) => {
        await page.getByLabel('Email address').fill(email);
        await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
        await page.getByRole('heading', { name: 'Check your email' }).waitFor();
        await page.goto((await latestSignInMail(linkid, email)).link);
        await page.getByRole('button', { name: `Sign in to ${name}` }).click();
        await page.getByRole('heading', { name: 'Back at the app' }).waitFor();
        expect(page.url().startsWith(rp.redirectUri)).toBe(true);
        expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
      };
      await page.goto((await forum.authorizationUrl()).url);
      await signInWith(forum, 'member@mail.example', 'Forum');
      await page.goto((await intranet.authorizationUrl()).url);
      await page.getByRole('heading', { name: 'Sign in to Intranet' }).waitFor();
      await shot(page, 'intranet-1-signed-in-elsewhere');
      await signInWith(intranet, 'staff@corp.example', 'Intranet');
      expect(person.violations).toEqual([]);
      await person.context.close();
    } finally {
      app.close();
    }
  });
});
