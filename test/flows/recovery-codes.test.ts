// Recovery codes as a person who lost their inbox uses them: "Lost access to your email?" on the
// sign-in page, an address and one code, and the app gets tokens for the right account. A code
// works once (also when 20 tries race), a new set voids the old one, an unknown address and a
// wrong code get the same page, attempts are limited per address and per IP (malformed ones spend
// nothing), a disabled account is told so only after a right pair, and no code is kept in clear
// or written to the audit trail or the logs.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/index.js';
import { Browser, formOn } from '../support/browser.js';
import { createUser, makeRecoveryCodes } from '../support/factories.js';
import { TEST_MONGODB_URI, type RunningLinkid } from '../support/linkid.js';
import type { RelyingParty } from '../support/relying-party.js';
import { finishAtApp, maskedPage, reasonOf } from '../support/sign-in.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

const GENEROUS = { RATE_LIMIT_RECOVERY_PER_EMAIL: '1000/1h', RATE_LIMIT_RECOVERY_PER_IP: '1000/1h' };

/** From the app to the recovery form of its own sign-in (the email form's link goes through /account/recover: see the account page tests). */
async function openRecoveryForm(rp: RelyingParty, browser = new Browser()) {
  const attempt = await rp.authorizationUrl();
  const emailForm = await browser.follow(attempt.url);
  expect(emailForm.status, emailForm.body).toBe(200);
  const form = await browser.request(`${emailForm.url}/recover`);
  expect(form.status, form.body).toBe(200);
  return { browser, attempt, form };
}

/** Types `email` and `code` into a fresh recovery form; the POST's own response. */
async function recover(rp: RelyingParty, email: string, code: string, browser = new Browser()) {
  const opened = await openRecoveryForm(rp, browser);
  const response = await opened.browser.request(formOn(opened.form, /\/recover$/).action, { form: { email, code } });
  return { ...opened, response };
}

/** The browser is signed in with linkid if the app's next request comes straight back. */
async function signedIn(rp: RelyingParty, browser: Browser): Promise<boolean> {
  const landing = await browser.follow((await rp.authorizationUrl()).url, rp.redirectUri);
  return landing.location?.startsWith(rp.redirectUri) ?? false;
}

async function memberWithCodes(linkid: RunningLinkid, email: string) {
  const user = await createUser(linkid, email);
  return { user, codes: await makeRecoveryCodes(linkid, user.id) };
}

describe('recovery codes at sign-in', () => {
  const shared = useSharedLinkid({ env: GENEROUS });

  it('signs in with a right pair, typed as a person types it; the app gets tokens for that account, saying how', async () => {
    const { linkid, rp } = shared;
    const { user, codes } = await memberWithCodes(linkid, 'rita@example.com');
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    const typed = codes[0]!.toUpperCase().replace(/-/g, ' ');
    const { browser, attempt, response } = await recover(rp, 'Rita@Example.com', typed);
    expect(response.status, response.body).toBe(303);
    const tokens = await rp.redeem(await finishAtApp(browser, rp, response), attempt);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(user.id);
    expect(claims.acr).toBe('urn:linkid:acr:recovery-code');
    expect(claims.amr).toEqual(['otp']);
    expect(await linkid.store.recoveryCodes.countUnused(user.id)).toBe(9);
    expect(await signedIn(rp, browser)).toBe(true);
  });

  it('refuses a code used twice (recovery_invalid, 400) and signs nothing in', async () => {
    const { linkid, rp } = shared;
    const { codes } = await memberWithCodes(linkid, 'twice@example.com');
    const first = await recover(rp, 'twice@example.com', codes[1]!);
    expect(first.response.status, first.response.body).toBe(303);
    const second = await recover(rp, 'twice@example.com', codes[1]!);
    expect(second.response.status, second.response.body).toBe(400);
    expect(reasonOf(second.response)).toBe('recovery_invalid');
    expect(second.response.body).toContain('This recovery code does not work');
    expect(second.response.location).toBeUndefined();
    expect(await signedIn(rp, second.browser)).toBe(false);
  });

  it('voids the old set when a new one is generated', async () => {
    const { linkid, rp } = shared;
    const { user, codes: old } = await memberWithCodes(linkid, 'renew@example.com');
    const fresh = await makeRecoveryCodes(linkid, user.id);
    expect(fresh.some((code) => old.includes(code))).toBe(false);
    const refused = await recover(rp, 'renew@example.com', old[2]!);
    expect(refused.response.status).toBe(400);
    expect(reasonOf(refused.response)).toBe('recovery_invalid');
    expect((await recover(rp, 'renew@example.com', fresh[2]!)).response.status).toBe(303);
  });

  it('answers an unknown address and a wrong code for a known one with byte-identical pages', async () => {
    const { linkid, rp } = shared;
    const { codes } = await memberWithCodes(linkid, 'known@example.com');
    const other = await memberWithCodes(linkid, 'other@example.com');
    const unknown = await recover(rp, 'nobody@example.com', codes[3]!);
    const wrong = await recover(rp, 'known@example.com', other.codes[3]!);
    expect(unknown.response.status).toBe(400);
    expect(reasonOf(unknown.response)).toBe('recovery_invalid');
    expect(maskedPage(wrong.response)).toBe(maskedPage(unknown.response));
  });

  it('lets exactly one of 20 concurrent redemptions of one code sign in', async () => {
    const { linkid, rp } = shared;
    const { codes } = await memberWithCodes(linkid, 'race@example.com');
    const opened = await Promise.all(Array.from({ length: 20 }, () => openRecoveryForm(rp)));
    const responses = await Promise.all(
      opened.map(({ browser, form }) => browser.request(formOn(form, /\/recover$/).action, { form: { email: 'race@example.com', code: codes[4]! } })),
    );
    expect(responses.filter((page) => page.status === 303)).toHaveLength(1);
    const losers = responses.filter((page) => page.status !== 303);
    expect(losers).toHaveLength(19);
    for (const page of losers) expect(reasonOf(page)).toBe('recovery_invalid');
    const winner = opened[responses.findIndex((page) => page.status === 303)]!;
    expect(await signedIn(rp, winner.browser)).toBe(false); // not yet: the winner has not gone back to the app
    const won = responses.find((page) => page.status === 303)!;
    await rp.redeem(await finishAtApp(winner.browser, rp, won), winner.attempt);
    expect(await signedIn(rp, winner.browser)).toBe(true);
  });

  it('refuses a disabled account with account_disabled only for a right pair', async () => {
    const { linkid, rp } = shared;
    const { user, codes } = await memberWithCodes(linkid, 'off@example.com');
    await linkid.store.users.setDisabled(user.id, linkid.clock.now());
    const wrong = await recover(rp, 'off@example.com', '2222-2222-2222');
    expect(reasonOf(wrong.response)).toBe('recovery_invalid');
    const right = await recover(rp, 'off@example.com', codes[5]!);
    expect(right.response.status, right.response.body).toBe(403);
    expect(reasonOf(right.response)).toBe('account_disabled');
    expect(await signedIn(rp, right.browser)).toBe(false);
  });

  it('answers malformed input on the form with a 4xx and a reason, never a 500', async () => {
    const { rp } = shared;
    const badCode = await recover(rp, 'someone@example.com', 'not a code');
    expect(badCode.response.status).toBe(400);
    expect(badCode.response.body).toContain('That is not a recovery code');
    expect(badCode.response.body).toContain('name="code"');
    const badEmail = await recover(rp, 'not an address', '2222-2222-2222');
    expect(badEmail.response.status).toBe(400);
    expect(badEmail.response.body).toContain('name="email"');
    const { browser, form } = await openRecoveryForm(rp);
    const junk = await browser.request(formOn(form, /\/recover$/).action, { form: { email: 'a@example.com', code: 'x'.repeat(5000) } });
    expect(junk.status).toBe(400);
  });

  it('audits generation and redemption and refusals, and no code reaches the audit trail or the logs', async () => {
    const { linkid, rp } = shared;
    const { user, codes } = await memberWithCodes(linkid, 'audit@example.com');
    await recover(rp, 'audit@example.com', '2222-2222-2222');
    await recover(rp, 'audit@example.com', codes[6]!);
    await linkid.settle();
    const events = await linkid.store.audit.search({ accountId: user.id }, linkid.clock.now());
    const names = events.map((event) => event.event);
    expect(names).toContain('recovery.codes_generated');
    expect(names).toContain('recovery.redeemed');
    expect(events.find((event) => event.event === 'login.completed')?.fields).toMatchObject({ via: 'recovery' });
    const refused = await linkid.store.audit.search({ email: 'audit@example.com', reason: 'recovery_invalid' }, linkid.clock.now());
    expect(refused).toHaveLength(1);
    const trail = JSON.stringify(await linkid.store.audit.search({}, linkid.clock.now()));
    const logs = linkid.logs.join('');
    for (const code of codes) {
      for (const form of [code, code.replace(/-/g, '')]) {
        expect(trail).not.toContain(form);
        expect(logs).not.toContain(form);
      }
    }
  });
});

describe.skipIf(TEST_MONGODB_URI)('recovery codes at rest (SQLite)', () => {
  const shared = useSharedLinkid({ env: GENEROUS });

  it('keeps no code in clear in any row of the database, only 64-hex digests', async () => {
    const { linkid } = shared;
    const { user, codes } = await memberWithCodes(linkid, 'rest@example.com');
    await linkid.settle();
    const db = new Database(path.join(linkid.dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      const dump = tables.map(({ name }) => JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())).join('\n');
      for (const code of codes) {
        for (const form of [code, code.replace(/-/g, ''), code.toUpperCase(), code.replace(/-/g, '').toUpperCase()]) expect(dump).not.toContain(form);
      }
      const rows = db
        .prepare<[string], { digest: string; used_at: number | null }>('SELECT digest, used_at FROM recovery_codes WHERE account_id = ?')
        .all(user.id);
      expect(rows).toHaveLength(10);
      for (const row of rows) expect(row.digest).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      db.close();
    }
  });
});

describe('recovery attempts are rate-limited', () => {
  const { setup } = useLinkid();

  it('per address, known or not, all or none; malformed attempts spend nothing', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_RECOVERY_PER_EMAIL: '3/1h', RATE_LIMIT_RECOVERY_PER_IP: '1000/1h' } });
    const { codes } = await memberWithCodes(linkid, 'limit@example.com');
    for (let i = 0; i < 5; i += 1) expect((await recover(rp, 'limit@example.com', 'nope')).response.status).toBe(400);
    for (let i = 0; i < 3; i += 1) expect(reasonOf((await recover(rp, 'limit@example.com', '2222-2222-2222')).response)).toBe('recovery_invalid');
    const limited = await recover(rp, 'limit@example.com', codes[0]!);
    expect(limited.response.status).toBe(429);
    expect(reasonOf(limited.response)).toBe('rate_limited');
    expect(Number(limited.response.headers.get('retry-after'))).toBeGreaterThan(0);
    // Unknown addresses are limited alike, and one address's budget is not another's.
    for (let i = 0; i < 3; i += 1) await recover(rp, 'ghost@example.com', '2222-2222-2222');
    expect((await recover(rp, 'ghost@example.com', '2222-2222-2222')).response.status).toBe(429);
    const other = await memberWithCodes(linkid, 'fine@example.com');
    expect((await recover(rp, 'fine@example.com', other.codes[0]!)).response.status).toBe(303);
  });

  it('per IP, across addresses', async () => {
    const { linkid, rp } = await setup({ env: { RATE_LIMIT_RECOVERY_PER_EMAIL: '1000/1h', RATE_LIMIT_RECOVERY_PER_IP: '3/1h' } });
    const { codes } = await memberWithCodes(linkid, 'ip@example.com');
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      expect(reasonOf((await recover(rp, email, '2222-2222-2222')).response)).toBe('recovery_invalid');
    }
    const limited = await recover(rp, 'ip@example.com', codes[0]!);
    expect(limited.response.status).toBe(429);
    expect(reasonOf(limited.response)).toBe('rate_limited');
    expect(await linkid.store.recoveryCodes.countUnused((await linkid.store.users.findByEmail('ip@example.com'))!.id)).toBe(10);
  });
});
