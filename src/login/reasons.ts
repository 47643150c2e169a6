// Every refusal linkid can give, with its HTTP status and the words a person sees. Routes and the
// error handler look reasons up here; nothing else invents status codes or messages.
export interface ReasonInfo {
  readonly status: number;
  readonly title: string;
  readonly message: string;
  /** A safe next step. */
  readonly next: string;
}

export const REASONS = {
  token_unknown: {
    status: 404,
    title: 'This sign-in link is not valid',
    message: 'The link may be incomplete, or it belongs to a sign-in that no longer exists.',
    next: 'Copy the whole link from the email, or go back to the app and sign in again.',
  },
  token_used: {
    status: 410,
    title: 'This sign-in link was already used',
    message: 'Each link works once. If you just signed in, you can close this window.',
    next: 'Otherwise, go back to the app and sign in again to get a new link.',
  },
  token_expired: {
    status: 410,
    title: 'This sign-in link has expired',
    message: 'Links work for a few minutes after they are sent, to keep your account safe.',
    next: 'Go back to the app and sign in again to get a new link.',
  },
  browser_mismatch: {
    status: 403,
    title: 'Open this link in the browser where you started',
    message: 'This link was opened in a different browser or device from the one that asked for it, so it cannot sign you in here. Nothing was used up.',
    next: 'Go back to the window where you started and type the 6-digit code from the same email there, or open the link in that browser.',
  },
  code_invalid: {
    status: 400,
    title: 'That code is not right',
    message: 'The code does not match the one in your email.',
    next: 'Check the code in the newest email and type it again. After a few wrong tries the code stops working.',
  },
  code_locked: {
    status: 429,
    title: 'Too many wrong codes',
    message: 'To keep your account safe, this code no longer works.',
    next: 'Use the link in the email instead, or ask for a new email.',
  },
  code_expired: {
    status: 410,
    title: 'This code has expired',
    message: 'There is no unused, unexpired code for this sign-in.',
    next: 'Ask for a new email and use the code or link in it.',
  },
  rate_limited: {
    status: 429,
    title: 'Please wait a moment',
    message: 'There have been too many attempts in a short time.',
    next: 'Wait a little and try again.',
  },
  signup_closed: {
    status: 403,
    title: 'This address cannot sign in here',
    message: 'New accounts are not open to this address.',
    next: 'Use another address, or ask the administrator for access.',
  },
  account_disabled: {
    status: 403,
    title: 'This account is disabled',
    message: 'An administrator has turned off sign-in for this account, so it cannot sign in to any app for now.',
    next: 'If you think this is a mistake, contact the support of the app you came from or the administrator of this sign-in service.',
  },
  origin_mismatch: {
    status: 403,
    title: 'This request did not come from our page',
    message: 'The confirmation was sent from somewhere other than this sign-in page, so nothing was done.',
    next: 'Open the link from your email again and press the button on the page.',
  },
  interaction_mismatch: {
    status: 400,
    title: 'This link belongs to a different sign-in',
    message: 'The link does not match the sign-in that this page is for.',
    next: 'Open the link from your email again.',
  },
  interaction_expired: {
    status: 410,
    title: 'This sign-in has expired',
    message: 'Too much time passed since the app asked you to sign in, or the sign-in was already finished.',
    next: 'Go back to the app and sign in again.',
  },
  sign_in_cancelled: {
    status: 410,
    title: 'This sign-in was cancelled',
    message:
      'Someone with access to the email pressed "This wasn\'t me", so this sign-in has ended. Its link and code no longer work, and no new email can be sent for it.',
    next: 'If that was a mistake, go back to the app and start a new sign-in.',
  },
  invalid_email: {
    status: 400,
    title: 'Check the email address',
    message: 'That does not look like a complete email address.',
    next: 'Type the full address, like name@example.com.',
  },
  invalid_request: {
    status: 400,
    title: 'Something is missing from this request',
    message: 'The page could not understand what was sent.',
    next: 'Go back and try again.',
  },
  not_found: {
    status: 404,
    title: 'Page not found',
    message: 'There is nothing at this address.',
    next: 'Check the address, or go back to the app you came from.',
  },
  store_unavailable: {
    status: 503,
    title: 'Sign-in is briefly unavailable',
    message: 'We cannot reach our storage right now. Nothing was changed.',
    next: 'Wait a moment and try again.',
  },
  server_error: {
    status: 500,
    title: 'Something went wrong on our side',
    message: 'The request could not be completed. Nothing about your account was changed.',
    next: 'Try again in a moment. If it keeps happening, contact support with the request id below.',
  },
  host_mismatch: {
    status: 421,
    title: 'This is not the address of this sign-in service',
    message: 'The request was sent to this service under a web address that is not its own, so it was not answered.',
    next: 'Go back to the app you came from and sign in from there.',
  },
} as const satisfies Record<string, ReasonInfo>;

export type Reason = keyof typeof REASONS;
