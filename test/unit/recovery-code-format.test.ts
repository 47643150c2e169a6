// Recovery codes as people see and type them: 12 characters of Crockford's base32 in groups of
// four (60 random bits), read back whatever spaces, dashes, capitals and look-alike letters a
// person types, and nothing that cannot be a code.
import { describe, expect, it } from 'vitest';
import { RECOVERY_CODE_LENGTH, formatRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from '../../src/kernel/recovery-code-format.js';
import { recoveryCodeHmac } from '../../src/kernel/token-crypto.js';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

describe('new recovery codes', () => {
  const codes = Array.from({ length: 2000 }, newRecoveryCode);

  it('are 12 characters of a 32-letter alphabet without i, l, o and u: 60 bits each', () => {
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{12}$/);
    expect(RECOVERY_CODE_LENGTH * Math.log2(CROCKFORD.length)).toBeGreaterThanOrEqual(60);
    // Every letter of the alphabet turns up, and nothing else.
    expect([...new Set(codes.join(''))].sort().join('')).toBe(CROCKFORD);
  });

  it('do not repeat', () => {
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('are shown in three groups of four, and read back as they were', () => {
    const code = codes[0]!;
    const shown = formatRecoveryCode(code);
    expect(shown).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    expect(normalizeRecoveryCode(shown)).toBe(code);
  });
});

describe('reading a typed recovery code', () => {
  it.each([
    ['as shown', '7k2m-q9xe-4hzt'],
    ['without dashes', '7k2mq9xe4hzt'],
    ['in capitals', '7K2M-Q9XE-4HZT'],
    ['mixed case', '7k2M-q9Xe-4hZt'],
    ['with spaces instead of dashes', '7k2m q9xe 4hzt'],
    ['with spaces around and inside', '  7k2m - q9xe -  4hzt \n'],
    ['with the dashes a word processor makes', '7k2m\u2013q9xe\u20114hzt'],
    ['with a tab and a non-breaking space', '7k2m\tq9xe\u00a04hzt'],
  ])('%s', (_, typed) => {
    expect(normalizeRecoveryCode(typed)).toBe('7k2mq9xe4hzt');
  });

  it('reads o as 0 and i and l as 1, the digits they look like', () => {
    expect(normalizeRecoveryCode('o0i1-l1O0-IiLl')).toBe('001111001111');
  });

  it.each([
    ['empty', ''],
    ['too short', '7k2m-q9xe-4hz'],
    ['too long', '7k2m-q9xe-4hztt'],
    ['with u, which Crockford leaves out', '7k2m-q9xe-4hzu'],
    ['with other characters', '7k2m_q9xe_4hzt'],
    ['a 6-digit email code', '123456'],
    ['with a non-ASCII look-alike', '7k2m-q9xe-4hz\u0442'],
    ['junk longer than any typing of a code', `${'-'.repeat(60)}7k2mq9xe4hzt`],
  ])('refuses one %s', (_, typed) => {
    expect(normalizeRecoveryCode(typed)).toBeUndefined();
  });
});

describe('the stored digest of a recovery code', () => {
  const secret = Buffer.alloc(32, 7);

  it('is an HMAC bound to the account and the secret', () => {
    const digest = recoveryCodeHmac(secret, 'acct-1', '7k2mq9xe4hzt');
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).not.toContain('7k2mq9xe4hzt');
    expect(recoveryCodeHmac(secret, 'acct-2', '7k2mq9xe4hzt')).not.toBe(digest);
    expect(recoveryCodeHmac(Buffer.alloc(32, 8), 'acct-1', '7k2mq9xe4hzt')).not.toBe(digest);
    expect(recoveryCodeHmac(secret, 'acct-1', '7k2mq9xe4hzt')).toBe(digest);
  });
});
