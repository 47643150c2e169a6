// Nothing live at rest. oidc-provider names its artefacts by bearer values (an authorization
// code, an access or refresh token, the session cookie, the interaction cookie and URL are each
// the artefact's id) and repeats some of them inside payloads (`jti`; an interaction's resume URL
// and its session's cookie value; a device's user code). This is the one place, for every model
// and both stores, that turns them into what the store keeps, and back:
// - the row id is an HMAC-SHA256 of the id under a key derived from the server secret. A plain
//   sha256 would do for the 256-bit ids, but not for a short user code, which could be guessed
//   offline from its hash; keyed, a copy of the database confirms no guess of anything, and one
//   rule serves every model. Changing the server secret therefore orphans every artefact, as it
//   already orphans every derived client secret: everyone signs in again.
// - `jti` is dropped: whoever asks by id already holds it. Where a payload can be found without
//   its id (by `uid` or `userCode`), it is kept sealed (AES-256-GCM, key derived from the server
//   secret), as are the other copies of bearer values, so they come back on read and nowhere
//   else. The seal is bound to its model only: binding it to its row would guard against nothing
//   that whoever can write the database cannot do more simply to the clear part of a payload.
// - a user code, the one bearer value looked up by value, is stored as its digest.
import { createHmac, createSecretKey } from 'node:crypto';
import { createSealer, deriveKey } from '../secrets/sealing.js';
import type { OidcPayload } from '../store/port.js';

type MemberPath = readonly string[];

/** Payload members, by model, that carry a bearer value; stored sealed, never in clear. */
const BEARER_MEMBERS: Readonly<Record<string, readonly MemberPath[]>> = {
  // returnTo is /auth/<the interaction's own id>; session.cookie is the session cookie's value;
  // deviceCode and parJti name a device code and a pushed request_uri.
  Interaction: [['returnTo'], ['session', 'cookie'], ['deviceCode'], ['parJti']],
};

const SEALED_MEMBER = 'linkidSealed';

interface Bag {
  jti?: string;
  userCode?: string;
  members: [string, unknown][];
}

export interface ArtefactsAtRest {
  /** The row id for an artefact's id (or a grant id, when destroying a grant). */
  key(id: string): string;
  /** What the store's findByUserCode is asked for. */
  userCodeKey(userCode: string): string;
  toRest(model: string, id: string, payload: OidcPayload): OidcPayload;
  /**
   * The payload oidc-provider saved; `id` is the one it was asked by, if any. Undefined when the
   * sealed part does not open (the server secret changed): the artefact is lost, not broken.
   */
  fromRest(model: string, stored: OidcPayload, id?: string): OidcPayload | undefined;
}

function take(payload: Record<string, unknown>, path: MemberPath): unknown {
  let parent: unknown = payload;
  for (const name of path.slice(0, -1)) parent = parent && typeof parent === 'object' ? (parent as Record<string, unknown>)[name] : undefined;
  const last = path.at(-1);
  if (!parent || typeof parent !== 'object' || last === undefined) return undefined;
  const value = (parent as Record<string, unknown>)[last];
  delete (parent as Record<string, unknown>)[last];
  return value;
}

function put(payload: Record<string, unknown>, path: MemberPath, value: unknown): void {
  let parent = payload;
  for (const name of path.slice(0, -1)) {
    if (!parent[name] || typeof parent[name] !== 'object') parent[name] = {};
    parent = parent[name] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) parent[last] = value;
}

export function createArtefactsAtRest(serverSecret: Buffer): ArtefactsAtRest {
  // A KeyObject made once: handed a Buffer, every HMAC would build one itself (about 9 µs each).
  const idKey = createSecretKey(deriveKey(serverSecret, 'linkid oidc artefact ids v1'));
  const sealer = createSealer(serverSecret, 'linkid oidc artefacts v1');
  const digest = (kind: string, value: string) => createHmac('sha256', idKey).update(`${kind}\0${value}`).digest('base64url');
  const key = (id: string) => digest('id', id);
  const userCodeKey = (userCode: string) => digest('user-code', userCode);

  return {
    key,
    userCodeKey,
    toRest(model, id, payload) {
      // A JSON copy: undefined members vanish, as in both stores, and oidc-provider's object is untouched.
      const stored = JSON.parse(JSON.stringify(payload)) as OidcPayload;
      delete stored.jti;
      const bag: Bag = { members: [] };
      for (const path of BEARER_MEMBERS[model] ?? []) {
        const value = take(stored, path);
        if (value !== undefined) bag.members.push([path.join('.'), value]);
      }
      if (typeof stored.uid === 'string' || typeof stored.userCode === 'string') bag.jti = id;
      if (typeof stored.userCode === 'string') {
        bag.userCode = stored.userCode;
        stored.userCode = userCodeKey(stored.userCode);
      }
      if (bag.jti !== undefined || bag.members.length > 0) stored[SEALED_MEMBER] = sealer.seal(JSON.stringify(bag), model);
      return stored;
    },
    fromRest(model, stored, id) {
      const { [SEALED_MEMBER]: sealed, ...payload } = stored;
      let bag: Bag = { members: [] };
      if (typeof sealed === 'string') {
        try {
          bag = JSON.parse(sealer.open(sealed, model)) as Bag;
        } catch {
          return undefined;
        }
      }
      for (const [path, value] of bag.members) put(payload, path.split('.'), value);
      if (bag.userCode !== undefined) payload.userCode = bag.userCode;
      const jti = id ?? bag.jti;
      return jti === undefined ? payload : { ...payload, jti };
    },
  };
}
