// How a relying party can tell that the user signed in with an emailed link: the ID token's acr
// names it, and amr lists "email" (the channel) and "otp" (RFC 8176: a one-time secret).
export const EMAIL_LINK_ACR = 'urn:linkid:acr:email-link';
export const EMAIL_LINK_AMR = ['email', 'otp'];

// A recovery code (src/login/steps/redeem-recovery-code.ts) proves something else: not the inbox, but a
// pre-issued single-use secret the person kept (NIST SP 800-63B calls it a look-up secret). Its
// own acr lets an app that wants proof of the inbox refuse it. amr is "otp" alone: RFC 8176
// defines "otp" as a one-time password, which a single-use recovery code is; it names no value for
// look-up secrets, and "email" would claim a channel that was never used. An unregistered value
// such as "rec" would mean nothing to an app reading the RFC 8176 registry.
export const RECOVERY_CODE_ACR = 'urn:linkid:acr:recovery-code';
export const RECOVERY_CODE_AMR = ['otp'];

// Approving from another browser (src/login/steps/approve-elsewhere.ts) proves the inbox (the
// link was opened) over a second channel: the person read the number off the starting window and
// pressed it where the link opened. RFC 8176 "mca" (multiple-channel authentication) says so.
export const APPROVAL_AMR = ['email', 'otp', 'mca'];

/**
 * Every way into an account, with what its login says of it. A link and its code come in the same
 * email, so they prove the same thing, and so does approving the link from another browser (which
 * adds a channel). The device grant signs in through the same pages: no row of its own. `via` in the audit trail and the `method` label of
 * linkid_signin_completed_total are these names.
 */
export const SIGN_IN_METHODS = {
  link: { acr: EMAIL_LINK_ACR, amr: EMAIL_LINK_AMR },
  code: { acr: EMAIL_LINK_ACR, amr: EMAIL_LINK_AMR },
  approval: { acr: EMAIL_LINK_ACR, amr: APPROVAL_AMR },
  recovery: { acr: RECOVERY_CODE_ACR, amr: RECOVERY_CODE_AMR },
} as const satisfies Record<string, { readonly acr: string; readonly amr: readonly string[] }>;

export type SignInMethod = keyof typeof SIGN_IN_METHODS;
