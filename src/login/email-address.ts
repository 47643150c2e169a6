// Email addresses as typed by people: trimmed, the domain lower-cased and IDNA-encoded. Returns
// undefined for anything we would not send a sign-in link to.
import { domainToASCII } from 'node:url';

const LOCAL_PART = /^[^\s@<>()[\]\\,;:"]+$/u;
const MAX_LENGTH = 254;

export function normalizeEmail(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return undefined;
  const local = trimmed.slice(0, at);
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase().replace(/\.$/, ''));
  if (local.length > 64 || !LOCAL_PART.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return undefined;
  }
  if (!domain || !domain.includes('.') || domain.startsWith('.') || !/^[a-z0-9.-]+$/.test(domain)) return undefined;
  if (domain.split('.').some((label) => label.length === 0 || label.length > 63 || label.startsWith('-') || label.endsWith('-'))) {
    return undefined;
  }
  const address = `${local}@${domain}`;
  return address.length <= MAX_LENGTH ? address : undefined;
}
