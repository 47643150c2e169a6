// How a relying party can tell that the user signed in with an emailed link: the ID token's acr
// names it, and amr lists "email" (the channel) and "otp" (RFC 8176: a one-time secret).
export const EMAIL_LINK_ACR = 'urn:linkid:acr:email-link';
export const EMAIL_LINK_AMR = ['email', 'otp'];

// A recovery code (src/account/recovery-codes.ts) proves something else: not the inbox, but a
// pre-issued single-use secret the person kept (NIST SP 800-63B calls it a look-up secret). Its
// own acr lets an app that wants proof of the inbox refuse it. amr is "otp" alone: RFC 8176
// defines "otp" as a one-time password, which a single-use recovery code is; it names no value for
// look-up secrets, and "email" would claim a channel that was never used. An unregistered value
// such as "rec" would mean nothing to an app reading the RFC 8176 registry.
export const RECOVERY_CODE_ACR = 'urn:linkid:acr:recovery-code';
export const RECOVERY_CODE_AMR = ['otp'];
