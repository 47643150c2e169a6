// Which hosts count as loopback, said once: an http ISSUER, an http redirect or logout URI, and
// the outgoing requests OUTBOUND_ALLOW_LOOPBACK lets through are allowed on these hosts only.
// Exactly three names as URL's `hostname` writes them (IPv6 in brackets), not every 127.x address.

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for localhost, 127.0.0.1 and [::1], as a URL's `hostname` gives them. */
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname);
