// How a relying party can tell that the user signed in with an emailed link: the ID token's acr
// names it, and amr lists "email" (the channel) and "otp" (RFC 8176: a one-time secret).
export const EMAIL_LINK_ACR = 'urn:linkid:acr:email-link';
export const EMAIL_LINK_AMR = ['email', 'otp'];
