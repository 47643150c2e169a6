// Every path of the sign-in flow, once. Routes register these patterns, pages and emails build
// their URLs from them, and oidc-provider sends the browser to `interaction`. The pages that
// change the sign-in live under /interaction/:uid because oidc-provider scopes its interaction
// cookie to that path; the link in the email is uid-free and short.
const INTERACTION = '/interaction/:uid';

export const FLOW_ROUTES = {
  /** The email form, or consent, whichever the interaction's prompt asks for. */
  interaction: INTERACTION,
  /** POST: the email form and the resend button. */
  requestLink: `${INTERACTION}/login`,
  /** POST: the 6-digit code, typed in the window that started the sign-in. */
  code: `${INTERACTION}/code`,
  /** GET: the delivery status the check-your-email page polls. */
  delivery: `${INTERACTION}/delivery`,
  /** GET: whether the link was asked to be approved from another browser (the number to show), or approved; the check-your-email page polls it. */
  approvalStatus: `${INTERACTION}/approval`,
  /** POST: "Continue" once approved from another browser (the page's script presses it, or the person). */
  finishApproval: `${INTERACTION}/approved`,
  /** POST: the confirm button behind the emailed link. */
  confirmLink: `${INTERACTION}/verify`,
  consent: `${INTERACTION}/consent`,
  abort: `${INTERACTION}/abort`,
  /** GET shows, POST redeems: an address and one recovery code, for someone who lost their inbox. */
  recover: `${INTERACTION}/recover`,
  /** GET: the emailed link (`?token=`), a confirm page only. */
  openLink: '/login/link',
  /** POST: a fresh link for the sign-in a used or expired link belonged to. */
  renewLink: '/login/link/renew',
  /** POST, from a link opened in another browser: "approve from here", which shows three numbers. */
  askApproval: '/login/link/approve',
  /** POST: the number pressed (or "This wasn't me"), one attempt. */
  answerApproval: '/login/link/approve/answer',
  /** POST, from a link opened in another browser: a fresh one-time link for the same sign-in, as a QR code. */
  qrLink: '/login/link/qr',
  /** GET shows, POST ends: "This wasn't me" from the email (`?token=`). */
  cancel: '/login/cancel',
} as const;

export type FlowRoute = keyof typeof FLOW_ROUTES;

/** The path of a flow route, with the interaction's uid filled in where the route has one. */
export function flowPath(route: FlowRoute, uid?: string): string {
  const pattern: string = FLOW_ROUTES[route];
  if (!pattern.includes(':uid')) return pattern;
  if (!uid) throw new Error(`flow route ${route} needs an interaction uid`);
  return pattern.replace(':uid', encodeURIComponent(uid));
}

/** An absolute URL for an email, built from ISSUER and never from a request. */
export function flowUrl(issuer: string, route: 'openLink' | 'cancel', token: string): string {
  return `${issuer}${FLOW_ROUTES[route]}?token=${token}`;
}
