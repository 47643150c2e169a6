// Scopes and claims. "email" is the only identity we hold; acr/amr/auth_time say how and when
// the user signed in.
import { EMAIL_LINK_ACR } from '../sign-in-method.js';

export const claimsConfiguration = {
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    acr: null,
    amr: null,
    auth_time: null,
  },
  scopes: ['openid', 'offline_access', 'email'],
  acrValues: [EMAIL_LINK_ACR],
  // Only claims the client may see for the scopes granted; ID tokens stay small when an access
  // token lets the client call userinfo.
  conformIdTokenClaims: true,
};
