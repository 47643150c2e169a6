// What a second hostile look found after the first fixes: budgets an attacker could stretch or
// spend on someone else's behalf, and cancels that lost a race. Each test fails on the code
// before its fix.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { Browser, formOn } from '../support/browser.js';
import { latestSignInMail, readOutbox } from '../support/outbox.js';
import { confirmLink, reasonOf, requestLink } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

const wrongFor = (...codes: string[]) => {
  let guess = 0;
  while (codes.includes(String(guess).padStart(6, '0'))) guess += 1;
  return String(guess).padStart(6, '0');
};

describe('the wrong-code budget of an address', () => {
  it('is charged once per code a guess is compared with, so more emails in one sign-in buy no guesses', async () => {
    const { linkid, rp } = await setup({ env: { RESEND_COOLDOWN_SECONDS: '10', RATE_LIMIT_CODE_FAILURES_PER_EMAIL: '4/1h' } });
    const browser = new Browser();
    const { page, mail: first } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'budget@example.com');
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    const resent = await browser.submit(page, /\/login$/);
    expect(resent.status).toBe(200);
    const second = await latestSignInMail(linkid, 'budget@example.com');
    expect(second.token).not.toBe(first.token);

    // Two codes pending: each wrong guess is two comparisons, so the budget of 4 lasts two guesses.
    const wrong = wrongFor(first.code, second.code);
    expect((await browser.submit(resent, /\/code$/, { code: wrong })).status).toBe(400);
    expect((await browser.submit(resent, /\/code$/, { code: wrong })).status).toBe(400);
    const locked = await browser.submit(resent, /\/code$/, { code: second.code });
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('Too many wrong codes');
  }, 30_000);

  it('is not spent by codes that could not be right: malformed, or from a browser without the binding cookie', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_CODE_PER_IP: '2/10m' } });
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'typo@example.com');
    for (const code of ['12345', 'abcdef', '1234567', '', '12 34 5x']) {
      const typed = await browser.submit(page, /\/code$/, { code });
      expect({ code, status: typed.status }).toEqual({ code, status: 400 });
    }
    const done = await browser.submit(page, /\/code$/, { code: mail.code }, 'http');
    expect(done.status).toBe(303);
  });
});

describe('link look-ups per IP', () => {
  it('count only values that name no link: a page making the browser fetch bogus links cannot lock its owner out', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_VERIFY_PER_IP: '3/10m' } });
    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'victim@example.com');
    const statuses: number[] = [];
    // What an attacker's page makes the victim's browser send: cross-site GETs of made-up links.
    for (let i = 0; i < 5; i += 1) {
      const bogus = await browser.request(`${linkid.issuer}/login/link?token=${String(i).padStart(43, 'Z')}`, { headers: { 'sec-fetch-site': 'cross-site' } });
      statuses.push(bogus.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    // The real link, and its "This wasn't me" page, still open; the confirm still signs in.
    const cancelUrl = /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mail.message.text)![1]!;
    expect((await new Browser().request(cancelUrl)).status).toBe(200);
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });
});

describe('"This wasn\'t me" against a sign-in in flight', () => {
  it('stops a sign-in whose code was accepted but whose browser has not gone back to the app yet', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'held@example.com');
    // Someone who phished the code types it and holds the redirect.
    const accepted = await browser.request(formOn(page, /\/code$/).action, { form: { code: mail.code } });
    expect(accepted.status).toBe(303);

    const owner = new Browser('the mailbox owner');
    const cancelUrl = /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mail.message.text)![1]!;
    const confirmPage = await owner.request(cancelUrl);
    expect(confirmPage.status).toBe(200);
    expect((await owner.submit(confirmPage, /\/login\/cancel$/)).body).toContain('Sign-in cancelled');

    const landed = await browser.follow(accepted.location!, rp.redirectUri);
    const callback = new URL(landed.location!);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('withdraws a resend that was being prepared when the sign-in was cancelled: no token, no mail', async () => {
    let hold: Promise<void> | undefined;
    const holdLookups = (store: Store): Store => ({
      ...store,
      users: {
        ...store.users,
        findByEmail: async (email) => {
          await hold;
          return store.users.findByEmail(email);
        },
      },
    });
    const { linkid, rp } = await setup({ env: { RESEND_COOLDOWN_SECONDS: '10' }, wrapStore: holdLookups });
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'raced@example.com');
    const mailsBefore = readOutbox(linkid.dataDir).length;

    // The resend answers at once; its email is prepared after the response, and held there.
    let release!: () => void;
    hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    expect((await browser.submit(page, /\/login$/)).status).toBe(200);

    const owner = new Browser('the mailbox owner');
    const cancelUrl = /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mail.message.text)![1]!;
    hold = undefined;
    await owner.submit(await owner.request(cancelUrl), /\/login\/cancel$/);
    release();
    await linkid.settle();

    expect(readOutbox(linkid.dataDir)).toHaveLength(mailsBefore);
    const interactionUid = /\/interaction\/([^/]+)\/code/.exec(formOn(page, /\/code$/).action)![1]!;
    expect(await linkid.store.loginTokens.listPending(interactionUid, Date.now())).toEqual([]);
    expect(reasonOf(await browser.submit(page, /\/code$/, { code: mail.code }))).toBe('sign_in_cancelled');
  }, 30_000);
});
