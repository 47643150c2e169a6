// The policy module's decisions, one rule at a time.
import { describe, expect, it } from 'vitest';
import { decideAccount, decideConfirm, decideLinkOpen, decideSignup } from '../../src/login/policy.js';
import { ttlConfiguration } from '../../src/oidc/configuration/ttl.js';
import { loginToken } from '../contract/store-contract.js';

describe('decideSignup', () => {
  const allowlist = { policy: 'allowlist' as const, allowedDomains: ['example.com'] };
  it.each([
    [{ policy: 'open' as const, allowedDomains: [] }, 'a@anything.test', false, true],
    [{ policy: 'closed' as const, allowedDomains: [] }, 'a@example.com', false, false],
    [{ policy: 'closed' as const, allowedDomains: [] }, 'a@example.com', true, true],
    [allowlist, 'a@example.com', false, true],
    [allowlist, 'a@eu.example.com', false, true],
    [allowlist, 'a@badexample.com', false, false],
    [allowlist, 'a@example.com.evil.test', false, false],
    [allowlist, 'a@evil.test', true, true],
  ])('%j %s (account: %s) allowed: %s', (policy, email, hasAccount, allowed) => {
    const decision = decideSignup(policy, email, hasAccount);
    expect(decision.allow).toBe(allowed);
    if (!decision.allow) expect(decision.reason).toBe('signup_closed');
  });
});

describe('decideAccount', () => {
  it('refuses only an account an administrator disabled; a new address is not refused here', () => {
    expect(decideAccount({ disabledAt: 1 })).toEqual({ allow: false, reason: 'account_disabled' });
    expect(decideAccount({ disabledAt: null })).toEqual({ allow: true });
    expect(decideAccount(undefined)).toEqual({ allow: true });
  });
});

describe('link decisions', () => {
  const now = 1_800_000_000_000;
  const token = loginToken({ createdAt: now - 1000, expiresAt: now + 1000 });
  const confirm = { token, now, interactionUid: token.interactionUid, bindingHash: token.bindingHash, sameOrigin: true };

  it('opening: unknown, used and expired are refused by name', () => {
    expect(decideLinkOpen(undefined, now)).toEqual({ allow: false, reason: 'token_unknown' });
    expect(decideLinkOpen({ ...token, usedAt: now - 1 }, now)).toEqual({ allow: false, reason: 'token_used' });
    expect(decideLinkOpen({ ...token, expiresAt: now }, now)).toEqual({ allow: false, reason: 'token_expired' });
    expect(decideLinkOpen(token, now)).toEqual({ allow: true });
  });

  it('confirming: origin first, then the token, then the interaction, then the browser', () => {
    expect(decideConfirm(confirm)).toEqual({ allow: true });
    expect(decideConfirm({ ...confirm, sameOrigin: false, token: undefined })).toMatchObject({ reason: 'origin_mismatch' });
    expect(decideConfirm({ ...confirm, token: { ...token, usedAt: now }, bindingHash: undefined })).toMatchObject({ reason: 'token_used' });
    expect(decideConfirm({ ...confirm, interactionUid: 'other' })).toMatchObject({ reason: 'interaction_mismatch' });
    expect(decideConfirm({ ...confirm, bindingHash: undefined })).toMatchObject({ reason: 'browser_mismatch' });
    expect(decideConfirm({ ...confirm, bindingHash: 'ab'.repeat(32) })).toMatchObject({ reason: 'browser_mismatch' });
  });
});

describe('session lifetime', () => {
  it('is the idle time, but never past the absolute limit since login', () => {
    const { ttl } = ttlConfiguration({ sessionIdleSeconds: 3600, sessionAbsoluteSeconds: 86_400, adminApiTokenTtlSeconds: 600 });
    const session = ttl!.Session as (ctx: unknown, session: { loginTs?: number; accountId?: string }) => number;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const accountId = 'a-signed-in-account';
    expect(session({}, { accountId, loginTs: nowSeconds })).toBe(3600);
    expect(session({}, { accountId, loginTs: nowSeconds - 86_400 + 600 })).toBeLessThanOrEqual(600);
    expect(session({}, { accountId, loginTs: nowSeconds - 86_400 + 600 })).toBeGreaterThan(590);
    expect(session({}, { accountId, loginTs: nowSeconds - 2 * 86_400 })).toBe(1);
  });

  it('is an hour for a session nobody signed in to (the /device form), however long the idle time', () => {
    const { ttl } = ttlConfiguration({ sessionIdleSeconds: 14 * 86_400, sessionAbsoluteSeconds: 30 * 86_400, adminApiTokenTtlSeconds: 600 });
    const session = ttl!.Session as (ctx: unknown, session: { loginTs?: number; accountId?: string }) => number;
    expect(session({}, {})).toBe(3600);
    expect(session({}, { accountId: 'someone' })).toBe(14 * 86_400);
  });
});
