// Addresses as people type them, and as attackers type them: one canonical form per mailbox, and
// no look-alike that folds into someone else's address.
import { describe, expect, it } from 'vitest';
import { normalizeEmail, addressHash } from '../../src/kernel/email-address.js';
import { sha256 } from '../../src/kernel/token-crypto.js';

describe('normalizeEmail', () => {
  it.each([
    ['  Ada@Example.COM ', 'ada@example.com'],
    ['KARL@Example.COM', 'karl@example.com'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ["O'Brien@example.com", "o'brien@example.com"],
    ['x@example.com.', 'x@example.com'],
    // The domain is IDNA-encoded (UTS #46): case, width and composition are mapped, then punycode.
    ['user@bücher.example', 'user@xn--bcher-kva.example'],
    ['user@Bücher.Example', 'user@xn--bcher-kva.example'],
    ['USER@BÜCHER.EXAMPLE', 'user@xn--bcher-kva.example'],
    ['user@bu\u0308cher.example', 'user@xn--bcher-kva.example'],
    ['user@XN--BCHER-KVA.example', 'user@xn--bcher-kva.example'],
    ['karl@ｅｘａｍｐｌｅ.com', 'karl@example.com'],
    ['karl@example。com', 'karl@example.com'],
  ])('%j becomes %j', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it.each([
    ['the Kelvin sign K (U+212A), which toLowerCase() turns into k', '\u212Aarl@example.com'],
    ['the long s ſ (U+017F), which toUpperCase() turns into S', 'jame\u017F@example.com'],
    ['the dotless ı (U+0131), which toUpperCase() turns into I', 'adm\u0131n@example.com'],
    ['fullwidth letters', 'ｋａｒｌ@example.com'],
    ['a fullwidth at sign', 'karl＠example.com'],
    ['a zero-width joiner in the local part', 'ka\u200Drl@example.com'],
    ['a zero-width joiner in the domain', 'karl@exam\u200Dple.com'],
    ['a zero-width space in the domain (IDNA would drop it)', 'karl@exam\u200Bple.com'],
    ['a soft hyphen in the domain (IDNA would drop it)', 'karl@exam\u00ADple.com'],
    ['a variation selector in the domain (IDNA would drop it)', 'karl@exam\uFE0Fple.com'],
    ['a byte order mark inside', 'ka\uFEFFrl@example.com'],
    ['a right-to-left override', '\u202Elrak@example.com'],
    ['a NUL', 'karl\u0000@example.com'],
    ['a line break', 'karl@example.com\nBcc: x@evil.test'],
    ['a non-ASCII local part (SMTPUTF8)', 'jürgen@example.com'],
  ])('refuses %s', (_why, input) => {
    expect(normalizeEmail(input)).toBeUndefined();
  });

  it.each([
    ['\u212Aarl@example.com', 'karl@example.com'],
    ['jame\u017F@example.com', 'james@example.com'],
    ['adm\u0131n@example.com', 'admin@example.com'],
    ['ka\u200Drl@example.com', 'karl@example.com'],
    ['ｋarl@example.com', 'karl@example.com'],
    ['k\u0430rl@example.com', 'karl@example.com'],
  ])('never lets %j meet %j under any later case mapping', (imitation, target) => {
    const canonical = normalizeEmail(imitation);
    for (const fold of [(s: string) => s.toLowerCase(), (s: string) => s.toUpperCase()]) {
      expect(canonical === undefined ? undefined : fold(canonical)).not.toBe(fold(target));
    }
  });

  it.each([
    '',
    'plain',
    '@example.com',
    'user@',
    'user@localhost',
    'user@exa mple.com',
    'us er@example.com',
    'user@@example.com',
    'a@b@example.com',
    '.user@example.com',
    'user.@example.com',
    'us..er@example.com',
    'user@-example.com',
    'user@example..com',
    `${'a'.repeat(65)}@example.com`,
    `user@${'a'.repeat(64)}.com`,
    `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`,
    'user@example.com<script>',
    '"quoted"@example.com',
    'user@example.com/path',
    'user@exa%41mple.com',
    'user@example.com:25',
    'user@[127.0.0.1]',
    'user@127.0.0.1',
    'user@0x7f.1',
    'user@exa_mple.com',
  ])('refuses %j', (input) => {
    expect(normalizeEmail(input)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 42, ['a@example.com'], { email: 'a@example.com' }]) expect(normalizeEmail(value)).toBeUndefined();
  });

  it('is idempotent: the canonical address is its own canonical form', () => {
    for (const input of ['  Ada@Example.COM ', 'USER@BÜCHER.EXAMPLE', 'karl@ｅｘａｍｐｌｅ.com', "O'Brien@example.com"]) {
      const once = normalizeEmail(input)!;
      expect(normalizeEmail(once)).toBe(once);
    }
  });
});

describe("addressHash (the rate limits' per-address key)", () => {
  it('hashes exactly the canonical address, folding nothing a second time', () => {
    expect(addressHash('karl@example.com')).toBe(sha256('karl@example.com').slice(0, 32));
    expect(addressHash('\u212Aarl@example.com')).not.toBe(addressHash('karl@example.com'));
  });
});
