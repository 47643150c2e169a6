// Email addresses as typed by people, made canonical once, here, at the edge. The canonical address
// is the one we mail, the one the account is found by, the one rate limits hash and the one
// suppressions hold; nothing downstream derives another form. That is what keeps one mailbox to one
// account: if the account key came from a different rule than the recipient (toLowerCase() folds
// the Kelvin sign K, U+212A, into an ASCII k), a mail to one mailbox could sign in another's account.
//
// The rules:
// - The local part must be ASCII as typed, an RFC 5322 dot-atom. Non-ASCII local parts (SMTPUTF8)
//   are refused, not folded: they are rare, and look-alikes (K, ſ, ı, fullwidth letters) are what
//   an attacker types. NFC is deliberately not applied to the local part first: it is the step that
//   would turn the Kelvin sign into an ASCII K and accept it.
// - The local part is lower-cased. RFC 5321 lets a receiving host treat it case-sensitively, but
//   every large provider treats it case-insensitively, and two accounts for Ada@ and ada@ would be
//   worse than the rare host that tells them apart. Being ASCII, lower-casing it is unambiguous.
// - The domain goes through IDNA (UTS #46 via node:url's domainToASCII: width and case mapping, NFC,
//   punycode), so bücher.example and xn--bcher-kva.example are one domain. It must be a DNS name,
//   not an IP address, and is kept without a trailing dot.
// - Control and format characters (zero-width joiners and spaces, soft hyphens, bidi controls, BOM)
//   are refused anywhere rather than dropped: IDNA silently deletes some of them from a domain.
import { domainToASCII } from 'node:url';
import { sha256 } from './token-crypto.js';

const MAX_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** Letters, marks and digits of any script, hyphens, and the dots IDNA accepts (。．｡ included). */
const TYPED_DOMAIN = /^[\p{L}\p{M}\p{N}.\u3002\uFF0E\uFF61-]+$/u;

/** The canonical address, or undefined for anything we would not send a sign-in link to. */
export function normalizeEmail(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const typed = input.trim();
  // The length rule applies to the canonical form below; this only bounds the work on junk.
  if (typed.length > 4 * MAX_LENGTH || INVISIBLE.test(typed)) return undefined;
  const at = typed.indexOf('@');
  if (at <= 0 || at !== typed.lastIndexOf('@')) return undefined;
  const local = typed.slice(0, at);
  if (local.length > MAX_LOCAL_LENGTH || !DOT_ATOM.test(local)) return undefined;
  const domain = canonicalDomain(typed.slice(at + 1));
  if (!domain) return undefined;
  const address = `${local.toLowerCase()}@${domain}`;
  return address.length <= MAX_LENGTH ? address : undefined;
}

/** A domain as typed, IDNA-encoded and lower-case; also how SIGNUP_ALLOWED_DOMAINS are read. */
export function canonicalDomain(typed: string): string | undefined {
  // Checked before IDNA, which would also accept (and rewrite) URL syntax: percent escapes, a path.
  if (!TYPED_DOMAIN.test(typed)) return undefined;
  const domain = domainToASCII(typed).replace(/\.$/, '');
  if (!/^[a-z0-9.-]+$/.test(domain)) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2) return undefined;
  if (labels.some((label) => label.length === 0 || label.length > MAX_LABEL_LENGTH || label.startsWith('-') || label.endsWith('-'))) {
    return undefined;
  }
  // An all-digit last label is an IPv4 address (IDNA's host parser turns 0x7f.1 into 127.0.0.1).
  return /^\d+$/.test(labels[labels.length - 1] ?? '') ? undefined : domain;
}

/**
 * A pseudonym for a canonical address, for rate-limit keys and audit lines, which need no
 * personal data. Hashes exactly the canonical address (normalizeEmail) and nothing more: folding
 * it again here could make one budget of two addresses that the account store keeps apart.
 */
export const addressHash = (email: string): string => sha256(email).slice(0, 32);
