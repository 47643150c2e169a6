// The bridge between oidc-provider's adapter interface and the Store port. One adapter per
// model name; clients come from the clients table (registered with the admin CLI or by dynamic
// registration, registration.ts), initial access tokens from their own table, everything
// else from the generic model store, under digests of their ids (see artefacts-at-rest.ts).
import { errors, type Adapter } from 'oidc-provider';
import type { Clock } from '../kernel/clock.js';
import type { OidcPayload, Store } from '../store/port.js';
import { createArtefactsAtRest, type ArtefactsAtRest } from './artefacts-at-rest.js';
import { toOidcClientMetadata } from './client-metadata.js';
import { withHeldAccount, withoutHeldAccount } from './held-sign-ins.js';
import { initialAccessTokenAdapter, registeringClientAdapter, type RegistrationDeps } from './registration.js';
import { withoutVisits } from './session-apps.js';
import { withDevice } from './session-device.js';

const mapDefined = <T, U>(value: T | undefined, map: (value: T) => U): U | undefined => (value === undefined ? undefined : map(value));

function clientAdapter(store: Store, serverSecret: Buffer): Adapter {
  const readOnly = async () => {
    throw new Error('clients are managed with the admin CLI, not through oidc-provider');
  };
  return {
    async find(id) {
      const client = await store.clients.find(id);
      return client && toOidcClientMetadata(client, serverSecret);
    },
    upsert: readOnly,
    destroy: readOnly,
    consume: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    revokeByGrantId: async () => undefined,
  };
}

/** The models oidc-provider revokes by grant when a grant source is replayed (its revoke helper). */
const GRANT_BOUND_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'];

const REPLAY_LABELS: Readonly<Record<string, string>> = {
  AuthorizationCode: 'authorization code already consumed',
  RefreshToken: 'refresh token already used',
  DeviceCode: 'device code already consumed',
  BackchannelAuthenticationRequest: 'backchannel authentication request already consumed',
};

/**
 * oidc-provider reads an artefact, checks `consumed`, then consumes it; two requests between
 * those steps would both pass the check. The store's consume is conditional, so exactly one
 * wins; the others are refused as oidc-provider refuses a replay seen one request later: the
 * grant is revoked with everything issued under it (RFC 6749 section 4.1.2 for codes; refresh
 * token reuse detection for rotated refresh tokens) and the request gets invalid_grant.
 */
async function refuseReplay(model: string, key: string, store: Store, atRest: ArtefactsAtRest, now: number): Promise<never> {
  if (model === 'PushedAuthorizationRequest') throw new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  const grantId = (await store.oidc.find(model, key, now))?.grantId;
  if (typeof grantId === 'string') {
    await Promise.all([...GRANT_BOUND_MODELS.map((bound) => store.oidc.revokeByGrantId(bound, grantId)), store.oidc.destroy('Grant', atRest.key(grantId))]);
  }
  throw new errors.InvalidGrant(REPLAY_LABELS[model] ?? 'grant already used');
}

/**
 * What oidc-provider reads back of some models: an interaction without its held account
 * (held-sign-ins.ts), a session without the entries of apps it only passed through (session-apps.ts).
 */
const READ_BACK: Readonly<Record<string, ((payload: OidcPayload) => OidcPayload) | undefined>> = {
  Interaction: withoutHeldAccount,
  Session: withoutVisits,
};

/**
 * A device code (RFC 8628) stays readable this long after it expires, so the device polling for it
 * hears `expired_token` and the person typing its user code `device_code_expired`, rather than
 * both being told it never existed (and the person's typing counted as a guess).
 */
const DEVICE_CODE_GRACE_MS = 10 * 60 * 1000;

/**
 * Whether a device code has expired is this adapter's clock's to say (every other artefact simply
 * stops being found): one past its `exp` comes back with `exp` set to its `iat`, which oidc-provider
 * reads as expired whatever its own clock says.
 */
/**
 * oidc-provider's replay check (ReplayDetection.unique: DPoP proofs, client assertions) finds the
 * proof's id and, when it is not there, saves it: two copies of one proof arriving together would
 * both pass between the find and the save. So the find claims the id itself, in one conditional
 * write (insertIfAbsent), and answers "not seen" only to the request that claimed it; the save that
 * follows then sets the proof's own expiry. A claim whose save never came lives this long.
 */
const REPLAY_CLAIM_MS = 60 * 60 * 1000;

const expiredBy =
  (now: number) =>
  (payload: OidcPayload): OidcPayload =>
    typeof payload.exp === 'number' && payload.exp * 1000 <= now ? { ...payload, exp: typeof payload.iat === 'number' ? payload.iat : 1 } : payload;

function modelAdapter(model: string, store: Store, clock: Clock, atRest: ArtefactsAtRest): Adapter {
  const models = store.oidc;
  const opened = (stored: OidcPayload | undefined, id?: string) => stored && atRest.fromRest(model, stored, id);
  const readBack = READ_BACK[model];
  const deviceCode = model === 'DeviceCode';
  const restored = (stored: OidcPayload | undefined, id?: string) => {
    const payload = opened(stored, id);
    if (payload && deviceCode) return expiredBy(clock.now())(payload);
    return readBack ? mapDefined(payload, readBack) : payload;
  };
  const replayDetection = model === 'ReplayDetection';
  return {
    async upsert(id, payload, expiresIn) {
      const expiresAt = expiresIn ? clock.now() + expiresIn * 1000 + (deviceCode ? DEVICE_CODE_GRACE_MS : 0) : null;
      const saved = model === 'Session' ? withDevice(payload, clock.now()) : model === 'Interaction' ? withHeldAccount(payload) : payload;
      await models.upsert(model, atRest.key(id), atRest.toRest(model, id, saved), expiresAt);
    },
    async find(id) {
      const key = atRest.key(id);
      const now = clock.now();
      if (replayDetection) {
        const claim: OidcPayload = { jti: id, kind: model };
        if (await models.insertIfAbsent(model, key, atRest.toRest(model, id, claim), now + REPLAY_CLAIM_MS, now)) return undefined;
        return restored(await models.find(model, key, now), id) ?? claim;
      }
      return restored(await models.find(model, key, now), id);
    },
    findByUid: async (uid) => restored(await models.findByUid(model, uid, clock.now())),
    findByUserCode: async (userCode) => restored(await models.findByUserCode(model, atRest.userCodeKey(userCode), clock.now())),
    async consume(id) {
      const key = atRest.key(id);
      const now = clock.now();
      if (!(await models.consume(model, key, now))) await refuseReplay(model, key, store, atRest, now);
    },
    destroy: (id) => models.destroy(model, atRest.key(id)),
    revokeByGrantId: (grantId) => models.revokeByGrantId(model, grantId),
  };
}

/**
 * `registration`: with dynamic registration on, registered clients are stored through its
 * registrar and initial access tokens are linkid's own (registration.ts).
 */
export function createAdapterFactory(store: Store, clock: Clock, serverSecret: Buffer, registration?: Pick<RegistrationDeps, 'registrar' | 'newClientId'>) {
  const atRest = createArtefactsAtRest(serverSecret);
  return (name: string): Adapter => {
    if (name === 'Client') {
      const clients = clientAdapter(store, serverSecret);
      return registration ? registeringClientAdapter(clients, { store, clock, serverSecret, ...registration }) : clients;
    }
    if (name === 'InitialAccessToken' && registration) return initialAccessTokenAdapter({ store, clock, serverSecret });
    return modelAdapter(name, store, clock, atRest);
  };
}
