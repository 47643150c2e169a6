// The key an account or a suppression is found by. Addresses reach the store canonical already
// (src/kernel/email-address.ts: ASCII local part, everything lower-case), so for them this changes
// nothing. It folds ASCII letters only: an address reported back by a mail provider in another
// case still meets its row, and no non-ASCII look-alike can fold into an ASCII key, as
// toLowerCase() would fold the Kelvin sign (U+212A) into k.
export const addressKey = (email: string): string => email.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
