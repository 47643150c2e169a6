// The audit port: one structured event per security-relevant decision, under a stable event
// name. Every layer writes to it and src/observability/audit.ts implements it, so the sign-in and
// the mail queue record what they decide without depending on where it goes. Callers pass
// identifiers (token id prefixes, client ids, account ids, the canonical address as `email`),
// never secrets: no raw token, code, cookie or client secret ever reaches a sink.
export type AuditEvent =
  /** The email form was accepted (rate limits passed); the email is prepared after the response. */
  | 'login.requested'
  | 'login.link_sent'
  /** A link's confirm page was shown; `binding` says whether this browser asked for it. */
  | 'login.link_opened'
  /** A code was compared: `outcome` right or wrong. */
  | 'login.code_attempt'
  | 'login.confirmed'
  | 'login.refused'
  | 'login.completed'
  | 'login.cancelled'
  /**
   * The link was opened in a browser that did not start the sign-in and the person asked to approve
   * it from there (`tokenId`); approved with the right number, or refused (`reason`: a wrong
   * number, "This wasn't me", or the usual spent-link reasons). Counted in
   * linkid_cross_device_total{kind="approval"}.
   */
  | 'sign_in.approval_requested'
  | 'sign_in.approved'
  | 'sign_in.approval_refused'
  /** A fresh one-time link for the same sign-in was made for the QR code on the other-browser page. */
  | 'sign_in.qr_issued'
  /** RFC 8628: a signed-in person approved or denied a device's user code (`clientId`, `accountId`). */
  | 'device.authorized'
  | 'device.denied'
  | 'account.created'
  /** The token endpoint issued tokens to a client (`grantType`; `resource` and `scope` for an API's token). */
  | 'tokens.issued'
  /**
   * A code, refresh or access token was refused at use because the account no longer fits what
   * admitted it (`reason`: signup_closed, account_disabled, invalid_scope; `kind`, `clientId`).
   */
  | 'tokens.refused'
  /** RP-initiated logout ended a session, or sessions were ended for an account (`reason`). */
  | 'logout'
  /** A back-channel logout token posted to an app: `outcome` delivered, retrying or failed. */
  | 'logout.backchannel'
  | 'consent.granted'
  | 'consent.denied'
  | 'mail.queued'
  | 'mail.sent'
  | 'mail.failed'
  | 'mail.suppressed'
  | 'mail.delivered'
  | 'mail.bounced'
  | 'suppression.lifted'
  /** Client changes made with linkid-admin, or by dynamic registration (`via: 'registration'`, `initialTokenId`), never with the secret. */
  | 'client.registered'
  | 'client.updated'
  | 'client.secret_rotated'
  | 'client.deleted'
  /** An initial access token for dynamic registration was made or revoked (`tokenId`, never the token). */
  | 'registration_token.created'
  | 'registration_token.revoked'
  /** APIs as resources changed with linkid-admin (`resourceId`, `identifier`; `changed` on update). */
  | 'resource.created'
  | 'resource.updated'
  | 'resource.deleted'
  /**
   * Signing keys changed (`via`: admin-cli, admin-console with the admin's `account`, or schedule):
   * a rotation names the new keys' `kids` and when they sign; a retirement its `kid` and when it
   * leaves /jwks. A kid is the key's public thumbprint, never key material.
   */
  | 'signing_key.rotated'
  | 'signing_key.retired'
  /**
   * Account changes made with linkid-admin: the account id and a hash of the address, never the
   * address; `user.deleted` also when the person deleted it on the account page (`by: 'self'`).
   */
  | 'user.disabled'
  | 'user.enabled'
  | 'user.sessions_revoked'
  | 'user.deleted'
  /** Done by the person themselves on the account page. */
  | 'account.app_removed'
  | 'account.signed_out_everywhere'
  /**
   * Change email: asked for (the account id and a hash of the address asked for, never that
   * address), confirmed, undone by the old address; these two also name, as `email`, the address
   * they gave the account.
   */
  | 'account.email_change_requested'
  | 'account.email_changed'
  | 'account.email_change_undone'
  /** The person downloaded their data (`auditEvents`: how many events it held). Deleting is `user.deleted` with `by: 'self'`. */
  | 'account.data_downloaded'
  /** A new set of recovery codes replaced the account's old one (`count`; never a code). */
  | 'recovery.codes_generated'
  /** The person voided the account's set on the account page (`voided`: how many codes went, 0 when it had none; never a code). */
  | 'recovery.codes_voided'
  /** A recovery code was accepted for an account (`remaining` unused); the sign-in goes on from there. */
  | 'recovery.redeemed';

export type AuditFields = Record<string, unknown>;

/** Something that receives every audit event as it happens (metrics, the stored trail). */
export type AuditSink = (event: AuditEvent, fields: AuditFields, at: number) => void;

export type Audit = (event: AuditEvent, fields: AuditFields) => void;
