// The account page is an app of linkid's own. When someone opens /account without a linkid
// session, the page starts an ordinary authorization request for this built-in client, so the
// person meets the same magic-link sign-in as at any app (and the same limits, decoys and
// codes), and a session that already exists signs them in at once. It is a static oidc-provider
// client: never in the clients table, never listed or deleted by linkid-admin, and its one
// redirect URI is on ISSUER. Its codes are never redeemed: the callback only checks `state` and
// destroys the code, because the page reads the linkid session itself.
import type { ClientMetadata } from 'oidc-provider';
import type { App } from '../login/app-policy.js';

export const ACCOUNT_CLIENT_ID = 'linkid-account';

/**
 * An authorization parameter of the account page's own sign-ins: `recover` opens the sign-in on
 * the recovery-code form instead of the email form. Any other value, or none, changes nothing.
 */
export const INTENT_PARAM = 'linkid_intent';

/** Where the account page's sign-in comes back to. */
export const ACCOUNT_CALLBACK_PATH = '/account/callback';

/** Where the admin console's sign-in comes back to: the console signs in through the same client. */
export const ADMIN_CALLBACK_PATH = '/admin/callback';

/** The static client oidc-provider knows the account page by. */
export function accountClientMetadata(issuer: string, productName: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: productName,
    redirect_uris: [`${issuer}${ACCOUNT_CALLBACK_PATH}`, `${issuer}${ADMIN_CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${issuer}/account`, `${issuer}/admin`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
  };
}

/**
 * The account page (and the admin console) as the sign-in policy sees it: no consent (it is
 * linkid itself), and only for accounts that exist (opening /account never creates one; an
 * unknown address walks the decoy sign-in every refused address walks), except the admins'
 * (ADMIN_EMAILS): a new admin's first sign-in to /admin makes the account.
 */
export function accountApp(productName: string, adminEmails: readonly string[] = []): App {
  return {
    clientId: ACCOUNT_CLIENT_ID,
    policy: { consent: 'skip', signup: { policy: 'closed', allowedDomains: [], allowedAddresses: adminEmails } },
    branding: { name: productName },
    // Its reason pages lead back to the account page, which starts a fresh sign-in when needed.
    homeUri: '/account',
  };
}
