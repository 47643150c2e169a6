// Scopes and claims. "email" is the only identity we hold. acr, amr and auth_time ride on the
// openid scope so every ID token says how and when the user signed in; oidc-provider would
// otherwise mask them out unless the client asked through the claims parameter.
import type { Configuration } from 'oidc-provider';
import { CLIENT_CREDENTIALS_SCOPES } from '../client-credentials.js';
import { EMAIL_LINK_ACR, RECOVERY_CODE_ACR } from '../../kernel/sign-in-method.js';

/**
 * The scopes linkid itself knows (oidc-provider's `scopes`); an API's scopes are not among them, but
 * come with its resource (configuration/resources.ts). linkid:admin too, which only the admin API's
 * service clients are ever given (../client-credentials.ts).
 */
export const LINKID_SCOPES: readonly string[] = ['openid', 'offline_access', 'email', ...CLIENT_CREDENTIALS_SCOPES];

export function claimsConfiguration({ idTokenIncludeEmail }: { readonly idTokenIncludeEmail: boolean }): Configuration {
  return {
    claims: {
      // sid: for apps with a frontchannel_logout_uri (frontchannel-logout.ts withFrontchannelSid).
      openid: ['sub', 'acr', 'amr', 'auth_time', 'sid'],
      email: ['email', 'email_verified'],
    },
    scopes: [...LINKID_SCOPES],
    acrValues: [EMAIL_LINK_ACR, RECOVERY_CODE_ACR],
    // ID_TOKEN_INCLUDE_EMAIL=true (the default): the ID token carries the claims of every scope
    // granted, email included, because many RP libraries read the profile from it and never call
    // userinfo. false: OpenID Connect §5.4 strictly, those claims only from userinfo when an
    // access token is issued too.
    conformIdTokenClaims: !idTokenIncludeEmail,
  };
}
