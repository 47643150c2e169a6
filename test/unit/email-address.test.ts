// Addresses as people type them.
import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '../../src/login/email-address.js';

describe('normalizeEmail', () => {
  it.each([
    ['  Ada@Example.COM ', 'Ada@example.com'],
    ['user@Bücher.Example', 'user@xn--bcher-kva.example'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ['ünïcode@example.com', 'ünïcode@example.com'],
    ['x@example.com.', 'x@example.com'],
  ])('%j becomes %j', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
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
    '.user@example.com',
    'us..er@example.com',
    'user@-example.com',
    'user@example..com',
    `${'a'.repeat(65)}@example.com`,
    `user@${'a'.repeat(64)}.com`,
    'user@example.com<script>',
    '"quoted"@example.com',
  ])('refuses %j', (input) => {
    expect(normalizeEmail(input)).toBeUndefined();
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 42, ['a@example.com'], { email: 'a@example.com' }]) expect(normalizeEmail(value)).toBeUndefined();
  });
});
