// The admin console in real Chromium, as a new admin first uses it: sign in to /admin by the
// emailed link, register an app through the form (from the keyboard, its fields labelled), copy
// the client id and the secret shown once, and then a person signs in to that app from a real
// relying party (openid-client) and the app gets a verified ID token. Someone signed in who is not
// an admin gets the 403 page, and a form that is not right gets its error summary, focused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../support/chromium.js';
import { createUser } from '../support/factories.js';
import { startLinkid, type RunningLinkid } from '../support/linkid.js';
import { latestSignInMail } from '../support/outbox.js';
import { RelyingParty } from '../support/relying-party.js';

// The page's own globals, for the functions Playwright runs in it (tsconfig has no DOM types).
declare const document: { activeElement: { id: string } | null };

describe.skipIf(chromiumMissing)('the admin console in Chromium', () => {
  let linkid: RunningLinkid;
  let browser: Browser;
  let app: http.Server;
  let appUrl: string;

  beforeAll(async () => {
    app = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Wiki</title><h1>Signed in to Wiki</h1>');
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    linkid = await startLinkid({ env: { ADMIN_EMAILS: 'ada@example.com' } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await linkid?.close();
    app?.close();
  });

  /** Opens `path` in `page` and signs in as `email` by the emailed link. */
  async function signInAt(page: Page, path: string, email: string): Promise<void> {
    // A step that does not happen fails with its own words, well inside the test's time.
    page.setDefaultTimeout(8_000);
    await page.goto(`${linkid.issuer}${path}`);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await page.goto((await latestSignInMail(linkid, email)).link);
    await page.getByRole('button', { name: /Sign in to linkid/ }).click();
  }

  it('lets a new admin sign in, register an app through the form, and a person sign in to that app from a relying party', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInAt(page, '/admin', 'ada@example.com');
    await page.getByRole('heading', { name: 'Registered apps' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Apps' }).getAttribute('aria-current')).toBe('page');

    await page.getByRole('link', { name: 'Register an app' }).click();
    await page.getByRole('heading', { name: 'Register an app' }).waitFor();
    // A wrong field first: the summary is announced and focused, and links to the field.
    await page.getByLabel('Name').fill('Wiki');
    await page.getByLabel('Redirect URIs', { exact: true }).fill('http://wiki.example.com/callback');
    await page.getByRole('button', { name: 'Register the app' }).click();
    await page.getByRole('heading', { name: 'This was not saved: please check' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('problems');
    await page.getByRole('alert').getByRole('link', { name: 'Redirect URIs' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('redirect_uris');
    expect(await page.getByLabel('Redirect URIs', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    // Then right, from the keyboard.
    await page.getByLabel('Redirect URIs', { exact: true }).fill(`${appUrl}/callback`);
    await page.getByLabel('Consent').selectOption('skip');
    await page.getByRole('button', { name: 'Register the app' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'App registered' }).waitFor();
    const clientId = (await page.locator('#client-id').textContent()) ?? '';
    const secret = (await page.locator('#client-secret').textContent()) ?? '';
    expect(clientId).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(secret.length).toBeGreaterThan(20);
    await context.close();

    // Grace, in her own browser, signs in to Wiki: the app gets a verified ID token for her.
    const rp = await RelyingParty.discover(linkid.issuer, { ...(await linkid.services.admin.clients.show(clientId)), client_secret: secret });
    const graceContext = await browser.newContext();
    const grace = await graceContext.newPage();
    grace.setDefaultTimeout(8_000);
    const attempt = await rp.authorizationUrl();
    await grace.goto(attempt.url);
    await grace.getByLabel('Email address').fill('grace@example.com');
    await grace.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await grace.getByRole('heading', { name: 'Check your email' }).waitFor();
    await grace.goto((await latestSignInMail(linkid, 'grace@example.com')).link);
    await grace.getByRole('button', { name: 'Sign in to Wiki' }).click();
    await grace.waitForURL(/\/callback/);
    const tokens = await rp.redeem(grace.url(), attempt);
    expect(tokens.claims()).toMatchObject({ email: 'grace@example.com', email_verified: true, aud: clientId });
    await graceContext.close();
  });

  it('shows someone signed in who is not an admin a 403 page, and nothing of the console', async () => {
    await createUser(linkid, 'lin@example.com');
    const context = await browser.newContext();
    const page = await context.newPage();
    // The console's answer once the sign-in came back (the first visit is the redirect to the sign-in).
    const refused = page.waitForResponse((response) => response.url() === `${linkid.issuer}/admin/users` && response.status() !== 303);
    await signInAt(page, '/admin/users', 'lin@example.com');
    expect((await refused).status()).toBe(403);
    await page.getByRole('heading', { name: 'For administrators only' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Admin console' }).count()).toBe(0);
    await context.close();
  });
});
