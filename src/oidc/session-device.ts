// Which browser a linkid session is, for the account page's list of signed-in browsers.
// oidc-provider keeps no user agent with a session, and a session is only ever saved by a request
// of the browser that holds its cookie (its sign-ins, its logout); so each save records that
// request's user agent and time next to the payload (`linkidDevice`). oidc-provider ignores the
// member (it saves only its own), and it comes back with every save. Not a secret; personal data
// kept as long as the session, as the audit trail keeps the same user agent for longer.
import { currentRequest } from '../observability/request-context.js';
import type { OidcPayload } from '../store/port.js';

export const DEVICE_MEMBER = 'linkidDevice';
const MAX_USER_AGENT = 512;

export interface SessionDevice {
  readonly userAgent: string;
  /** When the browser last saved the session (a sign-in, or an app signed in through it). */
  readonly seenAt: number;
}

/** The payload with the saving request's browser, when a request is saving it. */
export function withDevice(payload: OidcPayload, now: number): OidcPayload {
  const request = currentRequest();
  if (!request) return payload;
  const device: SessionDevice = { userAgent: request.userAgent.slice(0, MAX_USER_AGENT), seenAt: now };
  return { ...payload, [DEVICE_MEMBER]: device };
}

/** The browser a stored session was last saved from, if known. */
export function deviceOf(payload: OidcPayload): SessionDevice | undefined {
  const device = payload[DEVICE_MEMBER] as Partial<SessionDevice> | undefined;
  if (!device || typeof device.userAgent !== 'string' || typeof device.seenAt !== 'number') return undefined;
  return { userAgent: device.userAgent, seenAt: device.seenAt };
}
