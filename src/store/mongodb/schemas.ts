// Mongoose schemas for every collection the Store port needs, with their indexes declared here
// so they can be read index by index: unique keys, lookups, and TTL indexes on expiresAt
// (expireAfterSeconds: 0) for everything that expires. Reads still check expiresAt themselves,
// because the TTL monitor runs about once a minute and lags.
import { Schema } from 'mongoose';

const ttl = { expireAfterSeconds: 0 } as const;

/** One collection per oidc-provider model, as in node-oidc-provider's MongoDB example. */
export interface OidcDoc {
  _id: string;
  payload: Record<string, unknown>;
  expiresAt?: Date;
}

export const oidcSchema = new Schema<OidcDoc>(
  {
    _id: { type: String, required: true },
    // minimize: false below keeps empty payloads ({}) instead of dropping them.
    payload: { type: Schema.Types.Mixed, required: true },
    expiresAt: { type: Date },
  },
  { versionKey: false, minimize: false, strict: true },
);
oidcSchema.index({ 'payload.uid': 1 }, { partialFilterExpression: { 'payload.uid': { $exists: true } } });
oidcSchema.index({ 'payload.userCode': 1 }, { partialFilterExpression: { 'payload.userCode': { $exists: true } } });
oidcSchema.index({ 'payload.grantId': 1 }, { partialFilterExpression: { 'payload.grantId': { $exists: true } } });
// An account's sessions, grants and tokens, for linkid-admin user revoke-sessions|disable|delete.
oidcSchema.index({ 'payload.accountId': 1 }, { partialFilterExpression: { 'payload.accountId': { $exists: true } } });
oidcSchema.index({ expiresAt: 1 }, ttl);

export interface UserDoc {
  _id: string;
  email: string;
  emailKey: string;
  createdAt: Date;
  lastLoginAt: Date | null;
  disabledAt?: Date | null;
  signInsEndedAt?: Date | null;
}

export const userSchema = new Schema<UserDoc>(
  {
    _id: { type: String, required: true },
    email: { type: String, required: true },
    emailKey: { type: String, required: true },
    createdAt: { type: Date, required: true },
    lastLoginAt: { type: Date, default: null },
    disabledAt: { type: Date, default: null },
    signInsEndedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
userSchema.index({ emailKey: 1 }, { unique: true });

export interface LoginTokenDoc {
  hash: string;
  email: string;
  interactionUid: string;
  clientId: string;
  bindingHash: string;
  codeHmac: string;
  ip: string;
  userAgent: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  codeAttempts: number;
  approvalRequestedAt: Date | null;
  approvedAt: Date | null;
  approvalFinishedAt: Date | null;
}

export const loginTokenSchema = new Schema<LoginTokenDoc>(
  {
    hash: { type: String, required: true },
    email: { type: String, required: true },
    interactionUid: { type: String, required: true },
    clientId: { type: String, required: true },
    bindingHash: { type: String, required: true },
    codeHmac: { type: String, required: true },
    ip: { type: String, required: true },
    userAgent: { type: String, default: '' },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    codeAttempts: { type: Number, default: 0 },
    approvalRequestedAt: { type: Date, default: null },
    approvedAt: { type: Date, default: null },
    approvalFinishedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
loginTokenSchema.index({ hash: 1 }, { unique: true });
// listPending: one sign-in's tokens, newest first; _id breaks ties, so the sort is the index's order.
loginTokenSchema.index({ interactionUid: 1, createdAt: -1, _id: -1 });
loginTokenSchema.index({ expiresAt: 1 }, ttl);

export interface ClientDoc {
  _id: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  isPublic: boolean;
  firstParty: boolean;
  secretSalt: string | null;
  metadata?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export const clientSchema = new Schema<ClientDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    redirectUris: { type: [String], required: true },
    postLogoutRedirectUris: { type: [String], default: [] },
    isPublic: { type: Boolean, required: true },
    firstParty: { type: Boolean, required: true },
    secretSalt: { type: String, default: null },
    // Plain JSON objects; minimize: false keeps an empty object rather than dropping the field.
    metadata: { type: Schema.Types.Mixed, default: () => ({}) },
    settings: { type: Schema.Types.Mixed, default: () => ({}) },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
clientSchema.index({ createdAt: 1, _id: 1 });

export interface MailDoc {
  _id: string;
  to: string;
  tag: string;
  interactionUid: string | null;
  bindingHash: string | null;
  requestId: string | null;
  sealed: string | null;
  status: 'queued' | 'sent' | 'delivered' | 'failed' | 'suppressed';
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  giveUpAt: Date;
  lastError: string | null;
  providerMessageId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const mailSchema = new Schema<MailDoc>(
  {
    _id: { type: String, required: true },
    to: { type: String, required: true },
    tag: { type: String, required: true },
    interactionUid: { type: String, default: null },
    bindingHash: { type: String, default: null },
    requestId: { type: String, default: null },
    sealed: { type: String, default: null },
    status: { type: String, required: true },
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
    giveUpAt: { type: Date, required: true },
    lastError: { type: String, default: null },
    providerMessageId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// The worker's claim: queued and due, oldest first (claimQuery's equality, range, then sort keys).
mailSchema.index({ status: 1, nextAttemptAt: 1, createdAt: 1 });
// latestFor: the newest mail of one sign-in in one browser, ties broken by _id as the query does.
mailSchema.index({ interactionUid: 1, bindingHash: 1, createdAt: -1, _id: -1 });
mailSchema.index({ providerMessageId: 1 }, { unique: true, partialFilterExpression: { providerMessageId: { $type: 'string' } } });
mailSchema.index({ updatedAt: 1 });

export interface SuppressionDoc {
  _id: string;
  reason: string;
  createdAt: Date;
}

export const suppressionSchema = new Schema<SuppressionDoc>(
  {
    _id: { type: String, required: true },
    reason: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export interface EmailChangeDoc {
  hash: string;
  kind: 'confirm' | 'undo';
  accountId: string;
  email: string;
  otherEmail: string;
  bindingHash: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export const emailChangeSchema = new Schema<EmailChangeDoc>(
  {
    hash: { type: String, required: true },
    kind: { type: String, required: true, enum: ['confirm', 'undo'] },
    accountId: { type: String, required: true },
    email: { type: String, required: true },
    otherEmail: { type: String, required: true },
    bindingHash: { type: String, default: null },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
emailChangeSchema.index({ hash: 1 }, { unique: true });
// voidAfterUndo: one account's live tokens.
emailChangeSchema.index({ accountId: 1, kind: 1, createdAt: 1 });
emailChangeSchema.index({ expiresAt: 1 }, ttl);

/**
 * One document per account holding its whole current set of recovery codes (HMACs, never the
 * codes): replacing the set is one replaceOne and consuming a code one updateOne on this document,
 * both atomic without a multi-document transaction. Found by _id alone, so no further index.
 */
export interface RecoveryCodeSetDoc {
  _id: string;
  createdAt: Date;
  codes: { digest: string; usedAt: Date | null }[];
}

export const recoveryCodeSetSchema = new Schema<RecoveryCodeSetDoc>(
  {
    _id: { type: String, required: true },
    createdAt: { type: Date, required: true },
    codes: {
      type: [new Schema({ digest: { type: String, required: true }, usedAt: { type: Date, default: null } }, { _id: false, versionKey: false })],
      default: [],
    },
  },
  { versionKey: false },
);

/** Initial access tokens for dynamic client registration, by digest only (registration-tokens.ts). */
export interface RegistrationTokenDoc {
  _id: string;
  digest: string;
  createdAt: Date;
  expiresAt: Date;
  uses: number;
  used: number;
  revokedAt: Date | null;
}

export const registrationTokenSchema = new Schema<RegistrationTokenDoc>(
  {
    _id: { type: String, required: true },
    digest: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    uses: { type: Number, required: true },
    used: { type: Number, required: true, default: 0 },
    revokedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
registrationTokenSchema.index({ digest: 1 }, { unique: true });
registrationTokenSchema.index({ expiresAt: 1 }, ttl);

export interface LinkRequestDoc {
  _id: string;
  sealed: string;
  createdAt: Date;
  expiresAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date;
}

export const linkRequestSchema = new Schema<LinkRequestDoc>(
  {
    _id: { type: String, required: true },
    sealed: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, required: true },
  },
  { versionKey: false },
);
// The sweep's claim: lease run out, oldest lease first.
linkRequestSchema.index({ leaseUntil: 1 });
linkRequestSchema.index({ expiresAt: 1 }, ttl);

/** APIs as resources (RFC 8707): the identifier is unique, so two can never claim one audience (resources.ts). */
export interface ResourceDoc {
  _id: string;
  identifier: string;
  scopes: { name: string; description: string }[];
  accessTokenTtlSeconds: number;
  introspectionClientId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const resourceSchema = new Schema<ResourceDoc>(
  {
    _id: { type: String, required: true },
    identifier: { type: String, required: true },
    scopes: {
      type: [new Schema({ name: { type: String, required: true }, description: { type: String, required: true } }, { _id: false, versionKey: false })],
      default: [],
    },
    accessTokenTtlSeconds: { type: Number, required: true },
    introspectionClientId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
resourceSchema.index({ identifier: 1 }, { unique: true });
resourceSchema.index({ createdAt: 1, _id: 1 });
