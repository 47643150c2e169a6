// The admin API's one error: a reason code (src/kernel/reasons.ts), what went wrong in words a
// script's author can act on, and the request field it concerns. Operations throw it; the API's
// edge (routes/admin-api.ts) writes it as `{"error", "error_description", "field"?, "request_id"}`.
import { adminApiStatus, type AdminApiReason } from '../../kernel/reasons.js';

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly reason: AdminApiReason,
    readonly description: string,
    /** Where in the request: `body.redirectUris.0`, `query.limit`, `path.id`. */
    readonly field?: string,
    /** Response headers the refusal needs (WWW-Authenticate, Allow). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(description);
    this.name = 'ApiError';
    this.status = adminApiStatus(reason);
  }
}
