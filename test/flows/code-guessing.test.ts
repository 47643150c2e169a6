// Guessing the 6-digit code: a few attempts per code, then it dies; a lock per address that a new
// link or a second address joining the same sign-in cannot reset; malformed input spends nothing;
// and the owner of an unlocked address still finishes with their own code.
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { latestSignInMail } from '../support/outbox.js';
import { confirmLink, finishAtApp, requestLink } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

describe('code guessing', () => {
  it('a code allows 5 attempts, then dies; the link still works', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'guess@example.com');
    const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i += 1) {
      const attempt = await browser.submit(page, /\/code$/, { code: wrong });
      expect(attempt.status).toBe(400);
      expect(attempt.body).toContain('That code is not right');
    }
    const late = await browser.submit(page, /\/code$/, { code: mail.code });
    expect(late.status).toBe(429);
    expect(late.body).toContain('Too many wrong codes');
    expect((await confirmLink(browser, mail)).status).toBe(303);
  });

  it('a new link does not reset the failure count for the address', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_CODE_FAILURES_PER_EMAIL: '6/1h', RESEND_COOLDOWN_SECONDS: '10' } });
    const browser = new Browser();
    const attempt = await rp.authorizationUrl();
    const { page, mail } = await requestLink(browser, linkid, attempt, 'reset@example.com');
    const wrong = String((Number(mail.code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i += 1) await browser.submit(page, /\/code$/, { code: wrong });

    const second = await requestLink(browser, linkid, await rp.authorizationUrl(), 'reset@example.com');
    expect(second.mail.code === mail.code && second.mail.token === mail.token).toBe(false);
    const oneMore = String((Number(second.mail.code) + 1) % 1_000_000).padStart(6, '0');
    expect((await browser.submit(second.page, /\/code$/, { code: oneMore })).status).toBe(400);
    const locked = await browser.submit(second.page, /\/code$/, { code: second.mail.code });
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('Too many wrong codes');
  });

  it('rejects malformed codes without spending an attempt', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'format@example.com');
    for (const code of ['', '12345', '1234567', 'abcdef', '12 34 5x']) {
      expect((await browser.submit(page, /\/code$/, { code })).status).toBe(400);
    }
    const done = await browser.submit(page, /\/code$/, { code: mail.code }, 'http');
    expect(done.status).toBe(303);
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
