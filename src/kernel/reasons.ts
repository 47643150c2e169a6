// Every refusal linkid can give, with its HTTP status. Routes and the error handler look reasons
// up here; nothing else invents status codes. The words a person sees for each (a title, what
// happened, a safe next step) are `reason.<code>.title`, `.message` and `.next` in
// views/locales/<locale>.json; the codes themselves stay English identifiers.
export interface ReasonInfo {
  readonly status: number;
}

export const REASONS = {
  token_unknown: { status: 404 },
  token_used: { status: 410 },
  token_expired: { status: 410 },
  browser_mismatch: { status: 403 },
  code_invalid: { status: 400 },
  code_locked: { status: 429 },
  code_expired: { status: 410 },
  rate_limited: { status: 429 },
  signup_closed: { status: 403 },
  account_disabled: { status: 403 },
  /** A recovery code that does not sign this address in: wrong, used, voided, or no such account (one answer for all). */
  recovery_invalid: { status: 400 },
  /** What was typed is not shaped like a recovery code at all (refused before any limit or look-up). */
  recovery_malformed: { status: 400 },
  origin_mismatch: { status: 403 },
  /** Approving from another browser: the number pressed is not the one the starting window shows (the sign-in ends). */
  approval_mismatch: { status: 403 },
  /** Approving from another browser: the answer's form value or number is missing, forged or not one of those offered. */
  approval_invalid: { status: 400 },
  interaction_mismatch: { status: 400 },
  interaction_expired: { status: 410 },
  sign_in_cancelled: { status: 410 },
  /** The account page's own sign-in came back without a login (denied, cancelled, refused). */
  sign_in_unfinished: { status: 400 },
  /** "Delete my account" was sent without the account's own address typed to confirm it. */
  confirmation_mismatch: { status: 400 },
  invalid_email: { status: 400 },
  /** Change email: a confirm or undo link that names no change (or was made up). */
  change_link_unknown: { status: 404 },
  change_link_used: { status: 410 },
  change_link_expired: { status: 410 },
  /** A change-email confirm link opened without the binding cookie of the browser that asked. */
  change_browser_mismatch: { status: 403 },
  /** The address to change to (or restore) belongs to another account by now. */
  email_taken: { status: 409 },
  /** The new address is the one the account already has. */
  email_unchanged: { status: 400 },
  invalid_request: { status: 400 },
  not_found: { status: 404 },
  store_unavailable: { status: 503 },
  server_error: { status: 500 },
  host_mismatch: { status: 421 },
  /** RFC 8628, on /device: a user code that names no device's sign-in (counted per IP, RATE_LIMIT_DEVICE_CODE_PER_IP). */
  device_code_unknown: { status: 404 },
  /** What was typed is not shaped like a user code at all (refused before any limit). */
  device_code_malformed: { status: 400 },
  /** The device's code lived its 10 minutes; the device has to start again. */
  device_code_expired: { status: 410 },
  /** The code was already typed in, approved or denied: each works once. */
  device_code_used: { status: 410 },
  /** The admin console (/admin): signed in, but the address is not one of ADMIN_EMAILS. */
  admin_only: { status: 403 },
  /** An admin console form field that is not what the form asks for (the page names the field). */
  admin_invalid_field: { status: 400 },
} as const satisfies Record<string, ReasonInfo>;

export type Reason = keyof typeof REASONS;

/**
 * The admin API's own refusals (/admin/api/): JSON `{"error": code, "error_description": ...}`,
 * never a page, so they have no words in views/locales/. Beside these it answers
 * `invalid_request`, `not_found`, `store_unavailable` and `server_error` as above.
 */
export const ADMIN_API_REASONS = {
  /** RFC 6750: no bearer token, or one that is malformed, unknown, expired, or whose service client is gone. */
  invalid_token: { status: 401 },
  /** RFC 6750: a live token without the scope linkid:admin (a person's access token to an app). */
  insufficient_scope: { status: 403 },
  /** A method the path does not answer (`Allow` lists those it does). */
  method_not_allowed: { status: 405 },
  /** A body larger than the API takes (16 KiB). */
  body_too_large: { status: 413 },
  /** A body that is not `application/json`. */
  unsupported_media_type: { status: 415 },
} as const satisfies Record<string, ReasonInfo>;

export type AdminApiReason = keyof typeof ADMIN_API_REASONS | Extract<Reason, 'invalid_request' | 'not_found' | 'store_unavailable' | 'server_error'>;

export const adminApiStatus = (reason: AdminApiReason): number =>
  (reason in ADMIN_API_REASONS ? ADMIN_API_REASONS[reason as keyof typeof ADMIN_API_REASONS] : REASONS[reason as Reason]).status;
