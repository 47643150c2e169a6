// What the adapter hands the store for oidc-provider's artefacts: digests for ids, payloads with
// no bearer value in clear, and exactly the saved payload back on every kind of read.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createArtefactsAtRest } from '../../src/oidc/artefacts-at-rest.js';

const secret = randomBytes(32);
const atRest = createArtefactsAtRest(secret);
const value = () => randomBytes(32).toString('base64url');

describe('oidc artefacts at rest', () => {
  it('keys a row by a keyed digest: stable for one server secret, different under another, never the id', () => {
    const id = value();
    expect(atRest.key(id)).toBe(createArtefactsAtRest(secret).key(id));
    expect(atRest.key(id)).not.toBe(createArtefactsAtRest(randomBytes(32)).key(id));
    expect(atRest.key(id)).not.toContain(id);
    expect(atRest.key(id)).toMatch(/^[\w-]{43}$/);
  });

  it('drops jti from a token and gives it back from the id it is found by', () => {
    const jti = value();
    const payload = { jti, kind: 'AccessToken', grantId: 'g', accountId: 'a', exp: 2, iat: 1 };
    const stored = atRest.toRest('AccessToken', jti, payload);
    expect(stored).toEqual({ kind: 'AccessToken', grantId: 'g', accountId: 'a', exp: 2, iat: 1 });
    expect(payload.jti).toBe(jti);
    expect(atRest.fromRest('AccessToken', stored, jti)).toEqual(payload);
  });

  it("seals an interaction's resume URL and its session's cookie value, and restores them", () => {
    const uid = value();
    const cookie = value();
    const payload = {
      jti: uid,
      kind: 'Interaction',
      returnTo: `https://id.example/auth/${uid}`,
      session: { accountId: 'a', uid: 's', cookie },
      params: { client_id: 'c' },
      parJti: value(),
    };
    const stored = atRest.toRest('Interaction', uid, payload);
    const text = JSON.stringify(stored);
    for (const secretValue of [uid, cookie, payload.parJti]) expect(text).not.toContain(secretValue);
    expect(stored.session).toEqual({ accountId: 'a', uid: 's' });
    expect(atRest.fromRest('Interaction', JSON.parse(text), uid)).toEqual(payload);
  });

  it('restores the id of a session found by its uid, which the caller does not know', () => {
    const id = value();
    const payload = { jti: id, kind: 'Session', uid: 'u1', accountId: 'a' };
    const stored = atRest.toRest('Session', id, payload);
    expect(JSON.stringify(stored)).not.toContain(id);
    expect(stored.uid).toBe('u1');
    expect(atRest.fromRest('Session', stored)).toEqual(payload);
  });

  it('stores a user code as its digest, found by the same digest', () => {
    const id = value();
    const payload = { jti: id, kind: 'DeviceCode', userCode: 'BCDF-GHJK', grantId: 'g' };
    const stored = atRest.toRest('DeviceCode', id, payload);
    expect(stored.userCode).toBe(atRest.userCodeKey('BCDF-GHJK'));
    expect(JSON.stringify(stored)).not.toContain('BCDF-GHJK');
    expect(JSON.stringify(stored)).not.toContain(id);
    expect(atRest.fromRest('DeviceCode', stored)).toEqual(payload);
  });

  it('loses, rather than breaks, what was sealed under another server secret or for another model', () => {
    const id = value();
    const stored = atRest.toRest('Session', id, { jti: id, uid: 'u', accountId: 'a' });
    expect(createArtefactsAtRest(randomBytes(32)).fromRest('Session', stored, id)).toBeUndefined();
    expect(atRest.fromRest('Interaction', stored, id)).toBeUndefined();
  });
});
