// Per-app policy, one rule at a time: the app's sign-up policy replaces the global one and its
// allowlist holds for existing accounts too, its link lifetime never exceeds the global cap, and
// stored settings that cannot be read fall back safely (an unreadable sign-up policy admits nobody).
// Also the contrast arithmetic behind --accent-color.
import { describe, expect, it } from 'vitest';
import { accentProblem, buttonTextFor, contrast } from '../../src/login/accent-colour.js';
import { readApp } from '../../src/login/app-policy.js';
import { consentNeeded, decideSignIn, linkTtlSeconds, type AppPolicy } from '../../src/login/policy.js';
import type { ClientRecord } from '../../src/store/port.js';

const closed = { policy: 'closed' as const, allowedDomains: [] };
const open = { policy: 'open' as const, allowedDomains: [] };
const globalAllowlist = { policy: 'allowlist' as const, allowedDomains: ['example.com'] };
const inherit: AppPolicy = { consent: 'required' };
const appAllowlist: AppPolicy = { consent: 'required', signup: { policy: 'allowlist', allowedDomains: ['corp.example'] } };

describe('decideSignIn', () => {
  it.each([
    ['inherit, global closed, new', closed, inherit, 'a@x.test', false, false],
    ['inherit, global closed, member', closed, inherit, 'a@x.test', true, true],
    ['inherit, global allowlist, outside member', globalAllowlist, inherit, 'a@x.test', true, true],
    ['app open over global closed', closed, { consent: 'skip', signup: open }, 'a@x.test', false, true],
    ['app closed over global open, new', open, { consent: 'skip', signup: closed }, 'a@x.test', false, false],
    ['app closed over global open, member', open, { consent: 'skip', signup: closed }, 'a@x.test', true, true],
    ['app allowlist, its domain, new', closed, appAllowlist, 'a@corp.example', false, true],
    ['app allowlist, a subdomain', closed, appAllowlist, 'a@eu.corp.example', false, true],
    ['app allowlist, outside member', open, appAllowlist, 'a@x.test', true, false],
    ['app allowlist, look-alike domain', open, appAllowlist, 'a@corp.example.evil.test', false, false],
  ] as const)('%s', (_name, global, app, email, hasAccount, allowed) => {
    const decision = decideSignIn(global, app, email, hasAccount);
    expect(decision.allow).toBe(allowed);
    if (!decision.allow) expect(decision.reason).toBe('signup_closed');
  });

  it('gives each app its own link lifetime, never above the global cap; consent as the app says', () => {
    expect(linkTtlSeconds(600, inherit)).toBe(600);
    expect(linkTtlSeconds(600, { ...inherit, linkTtlSeconds: 120 })).toBe(120);
    expect(linkTtlSeconds(300, { ...inherit, linkTtlSeconds: 500 })).toBe(300);
    expect(consentNeeded(inherit)).toBe(true);
    expect(consentNeeded({ consent: 'skip' })).toBe(false);
  });
});

describe('readApp', () => {
  const client = (settings: Record<string, unknown>, metadata: Record<string, unknown> = {}): ClientRecord => ({
    clientId: 'app',
    name: 'App',
    redirectUris: ['https://app.example/cb'],
    postLogoutRedirectUris: [],
    isPublic: false,
    firstParty: true,
    secretSalt: 'salt',
    metadata,
    settings,
    createdAt: 0,
    updatedAt: 0,
  });

  it('reads what linkid-admin stored', () => {
    const { app, problems } = readApp(
      'app',
      client(
        { signup: 'allowlist', signup_domains: ['corp.example'], link_ttl_seconds: 120, accent_color: '#0969da', support_email: 'it@corp.example' },
        { logo_uri: 'https://cdn.example/logo.png', policy_uri: 'https://app.example/privacy', tos_uri: 'https://app.example/terms' },
      ),
    );
    expect(problems).toEqual([]);
    expect(app.policy).toEqual({ signup: { policy: 'allowlist', allowedDomains: ['corp.example'] }, linkTtlSeconds: 120, consent: 'skip' });
    expect(app.branding).toMatchObject({ name: 'App', accentColor: '#0969da', accentText: '#ffffff', logoUri: 'https://cdn.example/logo.png' });
  });

  it.each([
    [{ signup: 'sometimes' }, ['signup']],
    [{ signup: 'allowlist' }, ['signup']],
    [{ signup: 'allowlist', signup_domains: 'corp.example' }, ['signup']],
    [{ signup_domains: ['corp.example'] }, ['signup']],
  ])('an unreadable sign-up policy %j admits nobody', (settings, problems) => {
    const read = readApp('app', client(settings));
    expect(read.problems).toEqual(problems);
    expect(read.app.policy.signup).toEqual({ policy: 'allowlist', allowedDomains: [] });
    expect(decideSignIn(open, read.app.policy, 'member@corp.example', true).allow).toBe(false);
  });

  it('drops other unreadable values and keeps the global behaviour for them', () => {
    const read = readApp(
      'app',
      client({ link_ttl_seconds: -5, accent_color: 'red', support_email: 42 }, { logo_uri: 'http://cdn.example/logo.png', policy_uri: 'javascript:x' }),
    );
    expect(read.problems).toEqual(['link_ttl_seconds', 'accent_color', 'support_email']);
    expect(read.app.policy).toEqual({ consent: 'skip' });
    expect(read.app.branding).toEqual({ name: 'App', logoUri: undefined, supportEmail: undefined, policyUri: undefined, tosUri: undefined });
  });

  it('an unknown app (deleted since) gets the global behaviour', () => {
    expect(readApp('gone', undefined)).toEqual({
      app: { clientId: 'gone', policy: { consent: 'required' }, branding: expect.objectContaining({ name: 'gone' }) },
      problems: [],
    });
  });
});

describe('accent colours', () => {
  it('measures contrast as WCAG does', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
  it('accepts mid-tones, refuses colours that vanish on the light or the dark page, and derives a readable button text', () => {
    expect(accentProblem('#0969da')).toBeUndefined();
    expect(accentProblem('#ffff00')).toMatch(/on the light page/);
    expect(accentProblem('#000080')).toMatch(/on the dark one/);
    expect(accentProblem('#0969DA')).toMatch(/#rrggbb/);
    expect(buttonTextFor('#0969da')).toBe('#ffffff');
    expect(buttonTextFor('#e0661a')).toBe('#0d1117');
    for (const accent of ['#0969da', '#e0661a', '#d93025']) expect(contrast(accent, buttonTextFor(accent))).toBeGreaterThanOrEqual(3);
  });
});
