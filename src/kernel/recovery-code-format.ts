// What a recovery code looks like to a person, and how what they type is read back. A code is 12
// characters of Crockford's base32 (digits and lower-case letters without i, l, o and u), 5 bits
// each, so 60 random bits, shown in three groups: `7k2m-q9xe-4hzt`. People copy it from paper or
// a file, so reading it forgives what a person does: spaces and dashes anywhere, either case, and
// the letters Crockford maps to the digits they look like (o is 0; i and l are 1).
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RECOVERY_CODE_LENGTH = 12;
const GROUP = 4;
/** Anything longer than a generous typing of a code is not one; bounds the work on junk. */
const MAX_TYPED_LENGTH = 64;
const CANONICAL = new RegExp(`^[${ALPHABET}]{${RECOVERY_CODE_LENGTH}}$`);
/** Spaces and the dashes a keyboard or a word processor may put in (hyphen, non-breaking hyphen, en and em dash, minus). */
const SEPARATORS = /[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]/g;
const LOOK_ALIKES: Readonly<Record<string, string>> = { o: '0', i: '1', l: '1' };

/** A fresh code in canonical form (12 characters, no dashes). */
export function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < RECOVERY_CODE_LENGTH; i += 1) code += ALPHABET.charAt(randomInt(ALPHABET.length));
  return code;
}

/** The canonical form of what a person typed, or undefined when it cannot be a recovery code. */
export function normalizeRecoveryCode(typed: string): string | undefined {
  if (typed.length > MAX_TYPED_LENGTH) return undefined;
  const compact = typed
    .replace(SEPARATORS, '')
    .replace(/[A-Z]/g, (letter) => letter.toLowerCase())
    .replace(/[oil]/g, (letter) => LOOK_ALIKES[letter] ?? letter);
  return CANONICAL.test(compact) ? compact : undefined;
}

/** How a canonical code is shown: groups of four joined by dashes. */
export function formatRecoveryCode(code: string): string {
  const groups: string[] = [];
  for (let at = 0; at < code.length; at += GROUP) groups.push(code.slice(at, at + GROUP));
  return groups.join('-');
}
