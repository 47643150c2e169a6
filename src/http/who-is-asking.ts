// What the page a link opened in another browser says about the sign-in it would approve: the
// app, the browser and system of the window that started it, how long ago, and the network it
// came from. Coarse on purpose: the network is the address's /24 (IPv4) or /48 (IPv6), never the
// address itself and never a place; enough for someone to tell "that was my laptop, at home, just
// now" from a stranger's sign-in.
import { isIPv4, isIPv6 } from 'node:net';
import type { Translate } from '../i18n/catalog.js';
import type { Locale } from '../kernel/locales.js';
import { describeUserAgent } from '../mail/user-agent.js';
import type { LoginTokenRecord } from '../store/port.js';

export interface WhoIsAsking {
  readonly browser: string;
  readonly startedAgo: string;
  readonly network: string;
}

/** The network an address belongs to, as a prefix (203.0.113.0/24, 2001:db8:1::/48); empty when it is not an address. */
export function networkOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(address)) return '';
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  const prefix = groups.slice(0, 3).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/48`;
}

export function whoIsAsking(token: LoginTokenRecord, now: number, locale: Locale, t: Translate): WhoIsAsking {
  const minutes = Math.max(0, Math.round((now - token.createdAt) / 60_000));
  return {
    browser: describeUserAgent(token.userAgent, t),
    startedAgo: new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(-minutes, 'minute'),
    network: networkOf(token.ip),
  };
}
