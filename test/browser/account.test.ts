// The account page in real Chromium, as its owner uses it: reached by the magic link from a
// browser with no session, read in light and dark schemes and at phone width (screenshots for a
// human in test-artifacts/browser/), every control reachable with the keyboard alone and named
// for assistive technology, and "remove access" and "void these codes" pressed from the keyboard.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { Browser as HttpBrowser } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { latestSignInMail, mailsTo } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';

// The page's own globals, for the functions Playwright runs in it (tsconfig has no DOM types).
declare const document: { activeElement: { tagName: string; textContent: string | null; getAttribute(name: string): string | null } | null };
declare const getComputedStyle: (element: unknown) => { outlineStyle: string };

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/browser');
const PHONE = { width: 375, height: 740 };

describe.skipIf(chromiumMissing)('the account page in Chromium', () => {
  let linkid: RunningLinkid;
  let browser: Browser;
  // The app's callback: a real page on loopback for Chromium to land on.
  let app: http.Server;
  let appUrl: string;

  beforeAll(async () => {
    app = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Wiki</title><h1>Signed in to Wiki</h1>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    linkid = await startLinkid();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await linkid?.close();
    app?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  /** Opens /account in a fresh context, signs in by the emailed link, and waits for the page. */
  async function signedInAccountPage(email: string) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInHere(page, email);
    return { context, page };
  }

  /** Signs `page`'s browser in to the account page as `email`, by the emailed link. */
  async function signInHere(page: Page, email: string) {
    await page.goto(`${linkid.issuer}/account`);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await page.goto((await latestSignInMail(linkid, email)).link);
    await page.getByRole('button', { name: /Sign in to linkid/ }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  }

  /** What Tab reaches, in order, from the top of the page: each control's role and name. */
  async function tabStops(page: Page, max = 30): Promise<string[]> {
    const stops: string[] = [];
    for (let i = 0; i < max; i += 1) {
      await page.keyboard.press('Tab');
      const stop = await page.evaluate(() => {
        const active = document.activeElement;
        if (!active || active.tagName === 'BODY') return undefined;
        return `${active.tagName.toLowerCase()}:${active.getAttribute('aria-label') ?? active.textContent?.trim() ?? ''}`;
      });
      if (!stop || stops.includes(stop)) break;
      stops.push(stop);
    }
    return stops;
  }

  it('is reached by the magic link, names the person, the browser and the app, and shows in light, dark and at phone width', async () => {
    await createUser(linkid, 'ada@example.com');
    const notes = await RelyingParty.discover(linkid.issuer, await linkid.createClient({ name: 'Notes', firstParty: true }));
    // An app this account already uses, signed in from another browser.
    await signIn(new HttpBrowser(), linkid, notes, 'ada@example.com');

    const { context, page } = await signedInAccountPage('ada@example.com');
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.reload();
      expect(await page.locator('main').textContent()).toContain('ada@example.com');
      await page.getByRole('heading', { name: 'Signed-in browsers' }).waitFor();
      await page.getByText('this browser', { exact: true }).waitFor();
      await page.getByRole('heading', { name: 'Apps with access' }).waitFor();
      await page.getByRole('button', { name: 'Remove access for Notes' }).waitFor();
      await shot(page, `account-${colorScheme}`);
    }
    await page.setViewportSize(PHONE);
    const width = await page.evaluate(
      () => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await shot(page, 'account-phone');
    await context.close();
  });

  it('reaches every control with Tab, shows where the focus is, and removes an app from the keyboard', async () => {
    await createUser(linkid, 'lin@example.com');
    const wiki = await RelyingParty.discover(
      linkid.issuer,
      await linkid.createClient({ name: 'Wiki', firstParty: true, redirectUris: [`${appUrl}/callback`] }),
    );
    const { context, page } = await signedInAccountPage('lin@example.com');
    await context.route(
      (url) => url.href.startsWith(wiki.redirectUri),
      (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Wiki</h1>' }),
    );
    // Sign in to Wiki in this browser (single sign-on: no second email), then back to the page.
    await page.goto((await wiki.authorizationUrl()).url);
    await page.waitForURL((url) => url.href.startsWith(wiki.redirectUri));
    await page.goto(`${linkid.issuer}/account`);

    const stops = await tabStops(page);
    expect(stops).toEqual(expect.arrayContaining(['button:Sign out everywhere', 'button:Remove access for Wiki', 'a:Sign out of this browser']));
    // Every control has a name a screen reader can say.
    for (const stop of stops) expect(stop.split(':')[1], stop).not.toBe('');

    await page.getByRole('button', { name: 'Remove access for Wiki' }).focus();
    const outline = await page.getByRole('button', { name: 'Remove access for Wiki' }).evaluate((button) => getComputedStyle(button).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByText('No app has access to your account.').waitFor();
    await context.close();
  });

  it('changes the address, makes and voids recovery codes and reaches "delete" with the keyboard, each page labelled, in light, dark and at phone width', async () => {
    await createUser(linkid, 'kim@example.com');
    const { context, page } = await signedInAccountPage('kim@example.com');

    await page.getByRole('link', { name: 'Recovery codes' }).click();
    await page.getByRole('heading', { name: 'Recovery codes' }).waitFor();
    await page.getByRole('button', { name: 'Make 10 new codes' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Your recovery codes' }).waitFor();
    expect(await page.getByRole('list', { name: 'Your recovery codes' }).getByRole('listitem').count()).toBe(10);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download as a text file' }).click();
    expect((await download).suggestedFilename()).toBe('linkid-recovery-codes.txt');
    await shot(page, 'account-recovery-codes');

    // Back on the page the set has 10 unused codes, and "void" is a named control Tab reaches.
    await page.goto(`${linkid.issuer}/account/recovery-codes`);
    await page.getByText('You have 10 unused codes.').waitFor();
    const voidButton = page.getByRole('button', { name: 'Void these codes' });
    expect(await voidButton.getAttribute('aria-describedby')).toBe('void-hint');
    const stops = await tabStops(page);
    expect(stops).toEqual(expect.arrayContaining(['button:Void these codes', 'button:Make 10 new codes']));
    for (const stop of stops) expect(stop.split(':')[1], stop).not.toBe('');
    await shot(page, 'account-recovery-codes-held');
    await voidButton.focus();
    expect(await voidButton.evaluate((button) => getComputedStyle(button).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Your recovery codes are void' }).waitFor();
    await page.getByText('You have 0 unused codes.').waitFor();
    expect(await page.getByRole('button', { name: 'Void these codes' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Make 10 new codes' }).waitFor();
    await shot(page, 'account-recovery-codes-voided');
    // Voiding signed every browser out, this one too.
    await page.getByText('Every browser was signed out, this one too').waitFor();
    await signInHere(page, 'kim@example.com');

    for (const [scheme, viewport] of [
      ['light', undefined],
      ['dark', PHONE],
    ] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      if (viewport) await page.setViewportSize(viewport);
      await page.goto(`${linkid.issuer}/account/email`);
      await page.getByLabel('New email address').waitFor();
      await shot(page, `account-change-email-${scheme}`);
      await page.goto(`${linkid.issuer}/account/delete`);
      await page.getByLabel('Type your email address to confirm').waitFor();
      await shot(page, `account-delete-${scheme}`);
    }

    await page.goto(`${linkid.issuer}/account/email`);
    await page.getByLabel('New email address').fill('kim@new.example');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Check your new inbox' }).waitFor();
    const confirm = (await mailsTo(linkid, 'kim@new.example')).at(-1);
    const link = /https?:\/\/\S+\/account\/email\/confirm\?token=[\w-]+/.exec(confirm?.text ?? '')?.[0];
    expect(link, confirm?.text).toBeDefined();
    await page.goto(link!);
    await page.getByRole('button', { name: 'Change my address' }).click();
    await page.getByRole('heading', { name: 'Your address was changed' }).waitFor();
    await shot(page, 'account-email-changed');
    // The change signed every browser out: this one signs in again with the new address.
    await signInHere(page, 'kim@new.example');
    expect(await page.locator('main').textContent()).toContain('kim@new.example');
    await context.close();
  });
});
