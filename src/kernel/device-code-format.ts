// What a device's user code (RFC 8628) looks like to a person, and how what they type is read.
// oidc-provider makes the codes from this alphabet and shape (src/oidc/configuration/device-flow.ts
// hands it both): 8 letters of its base-20 set, consonants only, so no code spells a word and
// none has look-alikes (no vowels, no 0/O or 1/I/L), shown in two groups of four: `BDFH-KMNP`.
// 20^8 is about 2.6 * 10^10 codes, and guesses are limited per IP (RATE_LIMIT_DEVICE_CODE_PER_IP).
// Reading one forgives case, spaces and dashes, as oidc-provider's own reading does.

/** oidc-provider's name for the alphabet, and the alphabet itself. */
export const USER_CODE_CHARSET = 'base-20';
const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** oidc-provider's mask: each `*` one character of the alphabet. */
export const USER_CODE_MASK = '****-****';
const LENGTH = USER_CODE_MASK.split('*').length - 1;
const CANONICAL = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`);
/** Anything longer than a generous typing of a code is not one. */
const MAX_TYPED_LENGTH = 64;

/** The canonical form of what a person typed (upper case, only letters and digits), as oidc-provider reads it. */
export const normalizeUserCode = (typed: string): string => typed.toUpperCase().replace(/\W/g, '');

/** Whether what a person typed can be a user code at all (a malformed one is refused before it counts as a guess). */
export const isUserCodeShaped = (typed: string): boolean => typed.length <= MAX_TYPED_LENGTH && CANONICAL.test(normalizeUserCode(typed));

/** A canonical code as people see it on the device: `BDFH-KMNP`. */
export function formatUserCode(code: string): string {
  const chars = [...normalizeUserCode(code)];
  return [...USER_CODE_MASK].map((slot) => (slot === '*' ? (chars.shift() ?? '') : slot)).join('');
}
