// Subject types (OpenID Connect Core section 8): an app is `public` (its `sub` is the account id,
// the same in every app) unless it was made with `--subject-type pairwise`. A pairwise app's `sub`
// is HMAC-SHA256(PAIRWISE_SALT, sector + account id): the same for one person at every sign-in,
// after any change of email address (the account id stays) and in every instance (one salt), and
// different in every other sector, so two apps of different owners cannot join up one person by
// `sub`. The sector is the host of the app's sector_identifier_uri, else of its redirect URI.
//
// A sector identifier document (OIDC Core section 8.1) is fetched and checked when an app is
// registered or its redirect URIs, sector or subject type change (`client create|update`, dynamic
// registration), through oidc-provider's own check and linkid's outbound rules; not each time
// oidc-provider loads the client. The `sub` depends on the sector's host only, never on the
// document, so a document changed later changes nobody's `sub`, and an unreachable one does not
// stop sign-ins; the next change to the app checks it again.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Client, Configuration } from 'oidc-provider';

export const SUBJECT_TYPES = ['public', 'pairwise'] as const;

/** The HMAC's input names its purpose, so the salt could never yield another kind of value. */
const PURPOSE = 'linkid pairwise sub v1';

/**
 * The pairwise `sub` of an account in a sector: 43 base64url characters (the whole HMAC), where a
 * public `sub` (an account id) is 22, so the two kinds can never be equal nor be taken one for the other.
 */
export function pairwiseSubject(key: KeyObject, sector: string, accountId: string): string {
  return createHmac('sha256', key).update(`${PURPOSE}\0${sector}\0${accountId}`).digest('base64url');
}

/**
 * What an app's `sub` values are derived from, as oidc-provider derives its sector: `public`, or
 * `pairwise` in the host of the sector identifier URI, else of the first redirect URI (else of the
 * jwks_uri, for an app on a device alone). When this changes, every person's `sub` in the app changes.
 */
export function subjectBasisOf(metadata: Readonly<Record<string, unknown>>): string {
  if (metadata.subject_type !== 'pairwise') return 'public';
  const hostOf = (value: unknown) => (typeof value === 'string' ? URL.parse(value)?.host : undefined);
  const redirectUris = Array.isArray(metadata.redirect_uris) ? (metadata.redirect_uris as unknown[]) : [];
  return `pairwise in ${hostOf(metadata.sector_identifier_uri) ?? hostOf(redirectUris[0]) ?? hostOf(metadata.jwks_uri) ?? 'no sector'}`;
}

/** Whether oidc-provider's validation fetches the sector identifier document now (see the top of the file). */
const sectorDocumentCheck = new AsyncLocalStorage<boolean>();

/** Runs `validate` (oidc-provider's Client.validate) with the sector identifier document fetched and checked. */
export const withSectorDocumentCheck = <T>(validate: () => Promise<T>): Promise<T> => sectorDocumentCheck.run(true, validate);

/** How one app names accounts: by their id (public) or by the pairwise `sub` of its sector. */
export interface AppSubjects {
  readonly clientId: string;
  readonly subjectType: (typeof SUBJECT_TYPES)[number];
  subjectOf(accountId: string): string;
}

/** The sector oidc-provider derived for a client (the getter its own pairwiseIdentifier example uses; its types leave it out). */
const sectorOf = (client: Client): string | undefined => (client as Client & { readonly sectorIdentifier?: string }).sectorIdentifier;

/**
 * How each app names accounts, for the administrator's way from an app's `sub` back to the person
 * (src/admin/users.ts). `findClient` is oidc-provider's Client.find, so the sector is the one it signs with.
 */
export function appSubjectsFinder(salt: Buffer, findClient: (clientId: string) => Promise<Client | undefined>) {
  const key = createSecretKey(salt);
  return async (clientId: string): Promise<AppSubjects | undefined> => {
    const client = await findClient(clientId);
    if (!client) return undefined;
    const sector = sectorOf(client);
    if (client.subjectType !== 'pairwise' || !sector) return { clientId, subjectType: 'public', subjectOf: (accountId) => accountId };
    return { clientId, subjectType: 'pairwise', subjectOf: (accountId) => pairwiseSubject(key, sector, accountId) };
  };
}

export function pairwiseConfiguration(salt: Buffer): Pick<Configuration, 'subjectTypes' | 'pairwiseIdentifier' | 'sectorIdentifierUriValidate'> {
  const key = createSecretKey(salt);
  return {
    subjectTypes: [...SUBJECT_TYPES],
    pairwiseIdentifier: async (_ctx, accountId, client) => {
      const sector = sectorOf(client);
      // oidc-provider refuses a pairwise client without a sector when it loads it; never derive from none.
      if (!sector) throw new Error(`client ${client.clientId} has no sector identifier`);
      return pairwiseSubject(key, sector, accountId);
    },
    sectorIdentifierUriValidate: () => sectorDocumentCheck.getStore() === true,
  };
}
