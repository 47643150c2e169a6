// Times on pages in real Chromium: the account page writes them in UTC, saying so, and its nonced
// script rewrites each in the reader's own time zone and the page's language, naming the zone,
// with the UTC text kept as the tooltip. Without JavaScript they stay in UTC and still say so.
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/i18n/catalog.js';
import { Browser as HttpBrowser } from '../support/browser.js';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { registerApp } from '../support/factories.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { signIn } from '../support/sign-in.js';

// The page's own globals, for the functions Playwright runs in it (tsconfig has no DOM types).
interface TimeElement {
  getAttribute(name: string): string | null;
  readonly textContent: string | null;
  readonly title: string;
}

/** Spaces as one kind: ICU writes a narrow no-break space before AM/PM, and versions differ in where. */
const spaced = (text: string) => text.replace(/\s/g, ' ');

describe.skipIf(chromiumMissing)('times on pages in Chromium', () => {
  let linkid: RunningLinkid;
  let browser: Browser;
  /** One sign-in (to an app that asked for consent, so the account page has an app with a time too), shared by every context. */
  const signedIn = new HttpBrowser();

  beforeAll(async () => {
    linkid = await startLinkid();
    await signIn(signedIn, linkid, await registerApp(linkid), 'ada@example.com', { scope: 'openid email', prompt: 'consent' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await linkid?.close();
  });

  /** The account page's times in a Chromium context made with `options`, handed the session cookies of the sign-in over HTTP. */
  async function accountPage(options: BrowserContextOptions) {
    const context = await browser.newContext(options);
    const { hostname } = new URL(linkid.issuer);
    await context.addCookies(
      signedIn.jar.getCookiesSync(`${linkid.issuer}/account`).map((cookie) => ({
        name: cookie.key,
        value: cookie.value,
        domain: hostname,
        path: cookie.path ?? '/',
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
        sameSite: 'Lax' as const,
      })),
    );
    const page = await context.newPage();
    await page.goto(`${linkid.issuer}/account`);
    const times = await page
      .locator('time[data-local]')
      .evaluateAll((elements: TimeElement[]) =>
        elements.map((time) => ({ iso: time.getAttribute('datetime') ?? '', text: time.textContent ?? '', title: time.title })),
      );
    await context.close();
    return times;
  }

  it.each([
    { locale: 'de-DE', lang: 'de', timezoneId: 'Europe/Berlin' },
    { locale: 'en-US', lang: 'en', timezoneId: 'America/New_York' },
    { locale: 'es-ES', lang: 'es', timezoneId: 'Asia/Tokyo' },
  ] as const)("rewrites each time in the reader's zone ($timezoneId) and language ($lang), naming the zone", async ({ locale, lang, timezoneId }) => {
    const times = await accountPage({ locale, timezoneId });

    expect(times.length).toBe(3);
    for (const time of times) {
      const at = Date.parse(time.iso);
      const local = new Intl.DateTimeFormat(lang, {
        year: 'numeric',
        month: 'long',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZoneName: 'short',
        timeZone: timezoneId,
      });
      expect(spaced(time.text)).toBe(spaced(local.format(at)));
      expect(time.text).not.toMatch(/UTC$/);
      expect(time.title).toBe(createCatalog().formatDateTime(lang, at));
    }
  });

  it('keeps UTC, and says so, without JavaScript', async () => {
    const times = await accountPage({ locale: 'en-US', timezoneId: 'America/New_York', javaScriptEnabled: false });

    expect(times.length).toBe(3);
    for (const time of times) {
      expect(time.text).toBe(createCatalog().formatDateTime('en', Date.parse(time.iso)));
      expect(time.text).toMatch(/ UTC$/);
      expect(time.title).toBe('');
    }
  });
});
