// How the pages look, held still: a handful of pages, on a desktop and a phone, light and dark,
// in linkid's own look and in a branded app's (#b048a0), each compared pixel by pixel with a
// reference PNG in test/browser/screenshots/. A change of look fails here until it is made on
// purpose: `UPDATE_SCREENSHOTS=1 npx vitest run test/browser/screenshots.test.ts` rewrites the
// references (read them before committing). What changes per run is frozen first: Chromium's
// clock is paused (the resend countdown stays at its start), the delivery status is hidden, and
// the request id, version and times are written over with fixed text. References are made with
// Debian's Chromium (/usr/bin/chromium), as CI runs it; on a mismatch the actual and a diff land
// in test-artifacts/screenshots/.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { createUser } from '../support/factories.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { latestSignInMail } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';
import { Browser as HttpBrowser } from '../support/browser.js';
import { signIn } from '../support/sign-in.js';

// The page's own globals, for the functions Playwright runs in it (tsconfig has no DOM types).
interface PageNode {
  textContent: string | null;
  hidden: boolean;
  nodeValue: string | null;
}
declare const document: {
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): Iterable<PageNode>;
  createTreeWalker(root: unknown, filter: number): { nextNode(): PageNode | null };
  body: unknown;
};
declare const getComputedStyle: (element: unknown) => { backgroundColor: string; color: string; borderColor: string };

const REFERENCES = path.resolve(import.meta.dirname, 'screenshots');
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/screenshots');
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
/**
 * The tolerance: pixelmatch's per-pixel colour threshold (its default; antialiased pixels are not
 * counted), and how many pixels past it a page may have. The same Chromium renders the same page
 * to the same pixels (0 differ from run to run here); a button's corner radius changed by 4 px is
 * about 30 pixels.
 */
const PIXEL_THRESHOLD = 0.1;
const MAX_DIFFERENT_PIXELS = 10;

const VIEWPORTS = { desktop: { width: 1024, height: 720 }, phone: { width: 375, height: 740 } } as const;
const SCHEMES = ['light', 'dark'] as const;
/** A fixed browser, so "Chrome on Linux" on the account page does not follow Chromium's version. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const FIXED_TIME = 'November 23, 2026 at 9:11 AM UTC';
const EMAIL = 'grace@example.com';
/** Sixteen to twenty screenshots and a sign-in each: more than vitest's default on a loaded machine. */
const WALK_TIMEOUT_MS = 120_000;

/** Writes over what differs from run to run, in the page itself (page.evaluate is not subject to the page's CSP). */
async function freeze(page: Page): Promise<void> {
  await page.evaluate(
    ({ fixedTime }) => {
      for (const node of document.querySelectorAll('#delivery')) node.hidden = true;
      // The request id is the second code of the "for support" line; the version moves with releases.
      for (const node of document.querySelectorAll('.support code:nth-of-type(2)')) node.textContent = '0b9d3a52-6f1e-4c2a-9d7e-3f5a1c8e2b47';
      for (const node of document.querySelectorAll('.support .build')) node.textContent = 'linkid 0.0.0';
      for (const node of document.querySelectorAll('time')) node.textContent = fixedTime;
      // Times written by the server in English ("November 23, 2026 at 9:11 AM UTC"). A second time
      // beside the first is shown only when the two differ by the minute ("· Last seen ..."): drop it.
      const walker = document.createTreeWalker(document.body, 4);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const fixed = (node.nodeValue ?? '').replace(/[A-Z][a-z]+ \d{1,2}, \d{4} at \d{1,2}:\d{2}\s?[AP]M UTC/g, fixedTime);
        node.nodeValue = fixed
          .split(` · `)
          .filter((part, index) => index === 0 || !part.endsWith(fixedTime))
          .join(' · ');
      }
    },
    { fixedTime: FIXED_TIME },
  );
}

/**
 * The admin console shows what changes per run as text: ids and secrets (random base64url, in
 * both cases), request ids, ports, temporary directories, build digests, the milliseconds between
 * steps and the fields of audit events. All written over with fixed text of the same kind.
 */
async function freezeConsole(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const node of document.querySelectorAll('.details')) node.textContent = '{"outcome":"ok"}';
    for (const node of document.querySelectorAll('dd.build code')) node.textContent = '0.0.0';
    // An initial access token's id: random, and shorter than the ids written over below.
    for (const node of document.querySelectorAll('.token-id')) node.textContent = 'Xq3vT9pLr7Tn';
    // About's PORT is the test server's.
    let previous = '';
    for (const node of document.querySelectorAll('td code')) {
      if (previous === 'PORT') node.textContent = '3000';
      previous = node.textContent ?? '';
    }
    const walker = document.createTreeWalker(document.body, 4);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      node.nodeValue = (node.nodeValue ?? '')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '0b9d3a52-6f1e-4c2a-9d7e-3f5a1c8e2b47')
        .replace(/(?=[\w-]*[a-z])(?=[\w-]*[A-Z])[\w-]{20,}/g, 'Zk3vQ9pXr7Tn2Wb5Ly8Md1')
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:3000')
        .replace(/\/[\w/.-]*linkid-test-[\w-]+/g, '/tmp/linkid-test-data')
        .replace(/\+\d+ms/g, '+12ms');
    }
  });
}

/** The PNG of `page` compared with its reference (or written as the reference under UPDATE_SCREENSHOTS=1); a failure names what differs. */
function compare(actual: Buffer, name: string): string | undefined {
  const reference = path.join(REFERENCES, `${name}.png`);
  if (UPDATE) {
    fs.writeFileSync(reference, actual);
    return undefined;
  }
  const keep = () => fs.writeFileSync(path.join(ARTIFACTS, `${name}.actual.png`), actual);
  if (!fs.existsSync(reference)) {
    keep();
    return `${name}: no reference (run with UPDATE_SCREENSHOTS=1 to make one)`;
  }
  const expected = PNG.sync.read(fs.readFileSync(reference));
  const got = PNG.sync.read(actual);
  if (expected.width !== got.width || expected.height !== got.height) {
    keep();
    return `${name}: ${got.width}x${got.height}, reference ${expected.width}x${expected.height}`;
  }
  const diff = new PNG({ width: got.width, height: got.height });
  const different = pixelmatch(expected.data, got.data, diff.data, got.width, got.height, { threshold: PIXEL_THRESHOLD });
  if (different > 0) console.info(`[screenshots] ${name}: ${different} pixels differ from the reference`);
  if (different <= MAX_DIFFERENT_PIXELS) return undefined;
  keep();
  fs.writeFileSync(path.join(ARTIFACTS, `${name}.diff.png`), PNG.sync.write(diff));
  return `${name}: ${different} pixels differ (at most ${MAX_DIFFERENT_PIXELS} may)`;
}

describe.skipIf(chromiumMissing)('how the pages look', () => {
  let linkid: RunningLinkid;
  let browser: Browser;
  let app: http.Server;
  let appUrl: string;

  beforeAll(async () => {
    fs.mkdirSync(REFERENCES, { recursive: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    app = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>App</title><h1>Signed in</h1>');
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

  /** A person's browser: English, UTC, a fixed user agent, and a clock that stands still from the start. */
  async function person(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ ...VIEWPORTS.desktop, locale: 'en-US', timezoneId: 'UTC', userAgent: USER_AGENT, colorScheme: 'light' });
    const page = await context.newPage();
    await page.clock.install({ time: new Date('2026-11-23T09:11:00Z') });
    await page.clock.pauseAt(new Date('2026-11-23T09:12:00Z'));
    return { context, page };
  }

  /** `page` as it is now, at every viewport and in both schemes; returns what differs from the references. */
  async function capture(page: Page, name: string): Promise<string[]> {
    const problems: string[] = [];
    await freeze(page);
    if (name.startsWith('console-')) await freezeConsole(page);
    for (const [viewport, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      for (const colorScheme of SCHEMES) {
        await page.emulateMedia({ colorScheme });
        const png = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
        const problem = compare(png, `${name}-${viewport}-${colorScheme}`);
        if (problem) problems.push(problem);
      }
    }
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.emulateMedia({ colorScheme: 'light' });
    return problems;
  }

  /** Walks one sign-in to `rp`, capturing the email form, check your email, confirm, and the link opened again (token_used). */
  async function walkSignIn(look: string, rp: RelyingParty, appName: string): Promise<string[]> {
    const problems: string[] = [];
    const { context, page } = await person();
    await page.goto((await rp.authorizationUrl({ login_hint: EMAIL })).url);
    await expect.poll(() => page.getByLabel('Email address').inputValue()).toBe(EMAIL);
    problems.push(...(await capture(page, `${look}-email-form`)));

    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await expect.poll(() => page.locator('#delivery').getAttribute('data-status'), { timeout: 10_000 }).toMatch(/\w/);
    problems.push(...(await capture(page, `${look}-check-email`)));

    const { link } = await latestSignInMail(linkid, EMAIL);
    await page.goto(link);
    await page.getByRole('heading', { name: `Sign in to ${appName}?` }).waitFor();
    problems.push(...(await capture(page, `${look}-confirm`)));
    await page.getByRole('button', { name: `Sign in to ${appName}` }).click();
    await page.waitForURL(/\/callback/);

    await page.goto(link);
    await page.locator('.support').waitFor();
    problems.push(...(await capture(page, `${look}-reason-token-used`)));
    await context.close();
    return problems;
  }

  it(
    "linkid's own look: email form, check your email, confirm, a reason page and the account page",
    async () => {
      const rp = await RelyingParty.discover(
        linkid.issuer,
        await linkid.createClient({ name: 'Notes', redirectUris: [`${appUrl}/callback`], firstParty: true }),
      );
      const problems = await walkSignIn('default', rp, 'Notes');

      await createUser(linkid, 'ada@example.com');
      const { context, page } = await person();
      await page.goto(`${linkid.issuer}/account`);
      await page.getByLabel('Email address').fill('ada@example.com');
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.getByRole('heading', { name: 'Check your email' }).waitFor();
      await page.goto((await latestSignInMail(linkid, 'ada@example.com')).link);
      await page.getByRole('button', { name: /Sign in to linkid/ }).click();
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      problems.push(...(await capture(page, 'default-account')));
      await context.close();

      expect(problems).toEqual([]);
    },
    WALK_TIMEOUT_MS,
  );

  it(
    'a branded app (#b048a0, support address, policy and terms): the same sign-in pages',
    async () => {
      const client = await linkid.createClient({
        name: 'Orchid',
        redirectUris: [`${appUrl}/callback`],
        firstParty: true,
        accentColor: '#b048a0',
        supportEmail: 'help@orchid.example',
        policyUri: 'https://orchid.example/privacy',
        tosUri: 'https://orchid.example/terms',
      });
      const rp = await RelyingParty.discover(linkid.issuer, client);
      expect(await walkSignIn('branded', rp, 'Orchid')).toEqual([]);
    },
    WALK_TIMEOUT_MS,
  );

  it(
    'the admin console: every page, an error summary and the 403 page',
    async () => {
      // A linkid of its own, so what the pages list does not depend on the tests before.
      const consoleLinkid = await startLinkid({ env: { ADMIN_EMAILS: 'root@example.org', DYNAMIC_REGISTRATION: 'initial-token' } });
      const problems: string[] = [];
      try {
        const notes = await RelyingParty.discover(consoleLinkid.issuer, await consoleLinkid.createClient({ name: 'Notes', firstParty: true }));
        await signIn(new HttpBrowser(USER_AGENT), consoleLinkid, notes, 'grace@example.com');
        await consoleLinkid.store.suppressions.suppress('bounced@example.com', 'HardBounce', Date.parse('2026-11-23T09:11:00Z'));
        const { context, page } = await person();
        const issuer = consoleLinkid.issuer;
        const at = async (path: string, heading: string | RegExp, name: string) => {
          await page.goto(`${issuer}${path}`);
          await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
          problems.push(...(await capture(page, name)));
        };
        await page.goto(`${issuer}/admin`);
        await page.getByLabel('Email address').fill('root@example.org');
        await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
        await page.getByRole('heading', { name: 'Check your email' }).waitFor();
        await page.goto((await latestSignInMail(consoleLinkid, 'root@example.org')).link);
        await page.getByRole('button', { name: /Sign in to linkid/ }).click();
        await page.getByRole('heading', { name: 'Registered apps' }).waitFor();

        await at('/admin/apps/new', 'Register an app', 'console-app-new');
        await page.getByLabel('Name').fill('Wiki');
        await page.getByLabel('Redirect URIs', { exact: true }).fill('http://wiki.example.com/callback');
        await page.getByRole('button', { name: 'Register the app' }).click();
        await page.getByRole('heading', { name: 'This was not saved: please check' }).waitFor();
        problems.push(...(await capture(page, 'console-app-invalid')));
        await page.getByLabel('Redirect URIs', { exact: true }).fill(`${appUrl}/callback`);
        await page.getByRole('button', { name: 'Register the app' }).click();
        await page.getByRole('heading', { name: 'App registered' }).waitFor();
        // Read before the capture writes fixed text over it.
        const wiki = `/admin/apps/${(await page.locator('#client-id').textContent()) ?? ''}`;
        problems.push(...(await capture(page, 'console-app-registered')));

        // A service client of the admin API, listed with its mark and edited with its few fields.
        const ops = await consoleLinkid.services.admin.clients.create({ name: 'ops', adminApi: true });
        await at('/admin/apps', 'Registered apps', 'console-apps');
        await at(wiki, 'Edit Wiki', 'console-app-edit');
        await at(`/admin/apps/${ops.client_id}`, 'Edit ops', 'console-app-service');
        await page.goto(`${issuer}/admin/registration-tokens`);
        await page.getByLabel('Uses', { exact: true }).fill('5');
        await page.getByRole('button', { name: 'Make the token' }).click();
        await page.getByRole('heading', { name: 'Token made', level: 1 }).waitFor();
        const tokenId = (await page.locator('#token-id').textContent()) ?? '';
        problems.push(...(await capture(page, 'console-registration-token')));
        await at('/admin/registration-tokens', 'Initial access tokens for dynamic registration', 'console-registration-tokens');
        await at(`/admin/registration-tokens/${tokenId}/revoke`, 'Revoke this token?', 'console-registration-token-revoke');
        await at(`${wiki}/delete`, 'Delete Wiki?', 'console-app-delete');
        await at('/admin/users?email=example', 'Users', 'console-users');
        const grace = (await consoleLinkid.store.users.findByEmail('grace@example.com'))!;
        await at(`/admin/users/${grace.id}`, 'grace@example.com', 'console-user');
        await at(`/admin/users/${grace.id}/delete`, 'Delete grace@example.com?', 'console-user-delete');
        await at('/admin/activity?email=grace%40example.com', 'Activity', 'console-activity');
        const story = await page.locator('a[href*="/admin/activity/sign-in?interaction="]').first().getAttribute('href');
        await at(story ?? '', 'One sign-in, step by step', 'console-sign-in-story');
        await at('/admin/mail', 'Mail', 'console-mail');
        await at('/admin/about', 'About this linkid', 'console-about');
        await context.close();

        // Someone signed in who is not an admin.
        await createUser(consoleLinkid, 'lin@example.com');
        const other = await person();
        await other.page.goto(`${issuer}/admin`);
        await other.page.getByLabel('Email address').fill('lin@example.com');
        await other.page.getByRole('button', { name: 'Email me a sign-in link' }).click();
        await other.page.getByRole('heading', { name: 'Check your email' }).waitFor();
        await other.page.goto((await latestSignInMail(consoleLinkid, 'lin@example.com')).link);
        await other.page.getByRole('button', { name: /Sign in to linkid/ }).click();
        await other.page.getByRole('heading', { name: 'For administrators only' }).waitFor();
        problems.push(...(await capture(other.page, 'console-admin-only')));
        await other.context.close();
      } finally {
        await consoleLinkid.close();
      }
      expect(problems).toEqual([]);
    },
    WALK_TIMEOUT_MS * 2,
  );

  it('draws branded link and secondary-button text at 4.5:1 on the card, light and dark', async () => {
    const rp = await RelyingParty.discover(
      linkid.issuer,
      await linkid.createClient({ name: 'Orchid', redirectUris: [`${appUrl}/callback`], accentColor: '#b048a0', policyUri: 'https://orchid.example/privacy' }),
    );
    const { context, page } = await person();
    await page.goto((await rp.authorizationUrl({ login_hint: EMAIL })).url);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme });
      const measured = await page.evaluate(() => {
        const rgb = (css: string) => (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
        const linear = (value: number) => ((value /= 255) <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4);
        const luminance = (css: string) => {
          const [r = 0, g = 0, b = 0] = rgb(css);
          return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
        };
        const ratio = (a: string, b: string) => {
          const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
          return (high + 0.05) / (low + 0.05);
        };
        const style = (selector: string) => getComputedStyle(document.querySelector(selector));
        const card = style('main').backgroundColor;
        const page = style('body').backgroundColor;
        return {
          link: ratio(style('main a').color, card),
          secondary: ratio(style('#approval-continue button').color, card),
          countdown: ratio(style('#resend').color, card),
          footerLink: ratio(style('footer a').color, page),
          outline: ratio(style('#approval-continue button').borderColor, card),
        };
      });
      expect(measured.link, `${colorScheme} link`).toBeGreaterThanOrEqual(4.5);
      expect(measured.secondary, `${colorScheme} secondary button`).toBeGreaterThanOrEqual(4.5);
      expect(measured.countdown, `${colorScheme} resend countdown`).toBeGreaterThanOrEqual(4.5);
      expect(measured.footerLink, `${colorScheme} footer link`).toBeGreaterThanOrEqual(4.5);
      expect(measured.outline, `${colorScheme} outline`).toBeGreaterThanOrEqual(3);
    }
    await context.close();
  });
});
