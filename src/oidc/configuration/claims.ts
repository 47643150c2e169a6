// Scopes and claims. "email" is the only identity we hold. acr, amr and auth_time ride on the
// openid scope so every ID token says how and when the user signed in; oidc-provider would
// otherwise mask them out unless the client asked through the claims parameter.
import { EMAIL_LINK_ACR } from '../sign-in-method.js';

export const claimsConfiguration = {
  claims: {
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'email'],
  acrValues: [EMAIL_LINK_ACR],
  // Only claims the client may see for the scopes granted; ID tokens stay small when an access
  // token lets the client call userinfo.
  conformIdTokenClaims: true,
};
