// What our middleware puts on ctx.state, typed once; routes are built on Router<LinkidState>.
import type { Locale } from '../kernel/locales.js';
import type { PageBrand } from './app-branding.js';

export interface LinkidState {
  /** Set by request-log.ts for every request; shown on every page and in every log line. */
  requestId: string;
  /** The CSP nonce of this response, once a page is built (read it with pageNonce, security-headers.ts). */
  nonce?: string;
  /** The client whose redirect URIs this page's forms may end at (CSP form-action). */
  formClientId?: string;
  /** The app this page belongs to, as its layout draws it (app-branding.ts). */
  brand?: PageBrand;
  /** Where that app's "Back to {app}" leads (app-policy.ts appHomeOf), when it has a web address. */
  appHome?: string;
  /** The origin of that app's logo, the one image source its CSP adds (security-headers.ts). */
  imageOrigin?: string;
  /** oidc-provider's server_error event saw the store unreachable: answer 503, not 500. */
  storeUnavailable?: boolean;
  /** The sign-in's language (its authorization's ui_locales), when the page knows the sign-in. */
  locale?: Locale;
}
