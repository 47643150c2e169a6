// The Store contract: one set of tests every Store implementation must pass. Each store's test
// file calls storeContract() with a factory that opens a fresh, empty store.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DuplicateError,
  type AuditRecord,
  type ClientRecord,
  type EmailChangeRecord,
  type LinkRequestRecord,
  type LoginTokenRecord,
  type QueuedMail,
  type RegistrationTokenRecord,
  type ResourceRecord,
  type Store,
} from '../../src/store/port.js';
import { addressHash } from '../../src/kernel/email-address.js';

export interface StoreFactory {
  open(): Promise<Store>;
  /** Removes whatever open() created. */
  cleanup?(): Promise<void>;
}

/**
 * Fixture times begin an hour after the real clock, on a whole second. The store functions take
 * `now` from the test, so the logic runs on these times; but a real MongoDB's TTL monitor deletes
 * by the server's own clock, and would remove a fixture whose expiry lies in the real past in the
 * middle of a test (a fixed epoch does that from the day it passes). An hour ahead, even the
 * fixtures a test means to be expired (T0 - 1) are still in the real future for the whole run.
 */
export const FIXTURE_LEAD_MS = 3_600_000;
export const fixtureEpoch = (realNow: number = Date.now()): number => Math.ceil(realNow / 1000) * 1000 + FIXTURE_LEAD_MS;
export const T0 = fixtureEpoch();
const id = () => randomBytes(12).toString('base64url');
const hex = () => randomBytes(32).toString('hex');

export function loginToken(overrides: Partial<LoginTokenRecord> = {}): LoginTokenRecord {
  return {
    hash: hex(),
    email: 'someone@example.com',
    interactionUid: id(),
    clientId: 'client-1',
    bindingHash: hex(),
    codeHmac: hex(),
    ip: '127.0.0.1',
    userAgent: 'test',
    createdAt: T0,
    expiresAt: T0 + 600_000,
    usedAt: null,
    codeAttempts: 0,
    approvalRequestedAt: null,
    approvedAt: null,
    approvalFinishedAt: null,
    ...overrides,
  };
}

export function emailChangeToken(overrides: Partial<EmailChangeRecord> = {}): EmailChangeRecord {
  return {
    hash: hex(),
    kind: 'confirm',
    accountId: 'u-1',
    email: 'new@example.com',
    otherEmail: 'old@example.com',
    bindingHash: hex(),
    createdAt: T0,
    expiresAt: T0 + 600_000,
    usedAt: null,
    ...overrides,
  };
}

export function clientRecord(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: id(),
    name: 'App',
    redirectUris: ['https://app.example.com/cb'],
    postLogoutRedirectUris: [],
    isPublic: false,
    firstParty: false,
    secretSalt: id(),
    metadata: {},
    settings: {},
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function queuedMail(overrides: Partial<QueuedMail> = {}): QueuedMail {
  return {
    id: id(),
    to: 'someone@example.com',
    tag: 'sign-in',
    interactionUid: id(),
    bindingHash: hex(),
    requestId: id(),
    sealed: 'sealed-content',
    status: 'queued',
    attempts: 0,
    nextAttemptAt: T0,
    leaseUntil: null,
    giveUpAt: T0 + 600_000,
    lastError: null,
    providerMessageId: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function auditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    at: T0,
    event: 'login.requested',
    requestId: id(),
    interactionUid: id(),
    clientId: 'client-1',
    accountId: null,
    email: 'someone@example.com',
    ip: '127.0.0.1',
    userAgent: 'test',
    reason: null,
    providerMessageId: null,
    versions: { policy: 'p1', templates: 't1' },
    fields: { binding: 'present', sinceQueuedMs: 1200 },
    expiresAt: T0 + 86_400_000,
    ...overrides,
  };
}

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await store.close();
      await factory.cleanup?.();
    });

    it('names the version of its data layout', () => {
      expect(store.schemaVersion).toMatch(new RegExp(`^${store.kind}:\\d+$`));
    });

    describe('oidc models', () => {
      it('upserts, finds and replaces a payload', async () => {
        await store.oidc.upsert('Session', 's1', { uid: 'u1', accountId: 'a' }, T0 + 1000);
        expect(await store.oidc.find('Session', 's1', T0)).toEqual({ uid: 'u1', accountId: 'a' });
        await store.oidc.upsert('Session', 's1', { uid: 'u2', accountId: 'b' }, T0 + 1000);
        expect(await store.oidc.find('Session', 's1', T0)).toEqual({ uid: 'u2', accountId: 'b' });
        expect(await store.oidc.findByUid('Session', 'u1', T0)).toBeUndefined();
        expect(await store.oidc.findByUid('Session', 'u2', T0)).toEqual({ uid: 'u2', accountId: 'b' });
      });

      it('keeps models apart: the same id in two models is two things', async () => {
        await store.oidc.upsert('AccessToken', 'x', { kind: 'at' }, null);
        await store.oidc.upsert('RefreshToken', 'x', { kind: 'rt' }, null);
        expect(await store.oidc.find('AccessToken', 'x', T0)).toEqual({ kind: 'at' });
        expect(await store.oidc.find('RefreshToken', 'x', T0)).toEqual({ kind: 'rt' });
      });

      it('hides expired payloads from every read, before any purge', async () => {
        await store.oidc.upsert('DeviceCode', 'd1', { uid: 'u', userCode: 'ABCD' }, T0 + 1000);
        expect(await store.oidc.find('DeviceCode', 'd1', T0 + 999)).toBeDefined();
        expect(await store.oidc.find('DeviceCode', 'd1', T0 + 1000)).toBeUndefined();
        expect(await store.oidc.findByUid('DeviceCode', 'u', T0 + 1000)).toBeUndefined();
        expect(await store.oidc.findByUserCode('DeviceCode', 'ABCD', T0 + 1000)).toBeUndefined();
        expect(await store.oidc.findByUserCode('DeviceCode', 'ABCD', T0)).toEqual({ uid: 'u', userCode: 'ABCD' });
      });

      it('keeps payloads without expiry forever', async () => {
        await store.oidc.upsert('Grant', 'g', { accountId: 'a' }, null);
        expect(await store.oidc.find('Grant', 'g', T0 + 10 ** 12)).toEqual({ accountId: 'a' });
      });

      it('consume marks the payload consumed in epoch seconds, and says it did', async () => {
        await store.oidc.upsert('AuthorizationCode', 'c', { grantId: 'g' }, T0 + 60_000);
        expect(await store.oidc.consume('AuthorizationCode', 'c', T0 + 5_000)).toBe(true);
        expect(await store.oidc.find('AuthorizationCode', 'c', T0 + 6_000)).toEqual({ grantId: 'g', consumed: Math.floor((T0 + 5_000) / 1000) });
      });

      it('consumes an instance once: a second consume loses and leaves the first time in place', async () => {
        await store.oidc.upsert('RefreshToken', 'r', { grantId: 'g' }, T0 + 60_000);
        expect(await store.oidc.consume('RefreshToken', 'r', T0 + 1_000)).toBe(true);
        expect(await store.oidc.consume('RefreshToken', 'r', T0 + 9_000)).toBe(false);
        expect(await store.oidc.find('RefreshToken', 'r', T0 + 10_000)).toEqual({ grantId: 'g', consumed: Math.floor((T0 + 1_000) / 1000) });
      });

      it('refuses to consume an expired, unknown or other-model instance', async () => {
        await store.oidc.upsert('AuthorizationCode', 'old', { grantId: 'g' }, T0 + 1_000);
        expect(await store.oidc.consume('AuthorizationCode', 'old', T0 + 1_000)).toBe(false);
        expect(await store.oidc.find('AuthorizationCode', 'old', T0)).toEqual({ grantId: 'g' });
        expect(await store.oidc.consume('AuthorizationCode', 'nothing', T0)).toBe(false);
        await store.oidc.upsert('AccessToken', 'x', {}, null);
        expect(await store.oidc.consume('RefreshToken', 'x', T0)).toBe(false);
        expect(await store.oidc.find('AccessToken', 'x', T0)).toEqual({});
      });

      it('consumes an instance without expiry', async () => {
        await store.oidc.upsert('PushedAuthorizationRequest', 'p', {}, null);
        expect(await store.oidc.consume('PushedAuthorizationRequest', 'p', T0)).toBe(true);
      });

      it('lets exactly one of 20 concurrent consumes of one instance win', async () => {
        await store.oidc.upsert('AuthorizationCode', 'raced', { grantId: 'g' }, T0 + 60_000);
        const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.oidc.consume('AuthorizationCode', 'raced', T0 + i)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        const consumed = (await store.oidc.find('AuthorizationCode', 'raced', T0 + 100))?.consumed;
        expect(consumed).toBe(Math.floor((T0 + wins.indexOf(true)) / 1000));
      });

      it('inserts an instance only where no live one has its id: of 20 concurrent inserts exactly one wins', async () => {
        const wins = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.oidc.insertIfAbsent('ReplayDetection', 'proof', { iss: `c${i}` }, T0 + 60_000, T0 + i)),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect(await store.oidc.find('ReplayDetection', 'proof', T0 + 100)).toEqual({ iss: `c${wins.indexOf(true)}` });
        expect(await store.oidc.insertIfAbsent('ReplayDetection', 'proof', { iss: 'late' }, T0 + 120_000, T0 + 59_999)).toBe(false);
        // An expired one is replaced; one without expiry never is; other models are apart.
        expect(await store.oidc.insertIfAbsent('ReplayDetection', 'proof', { iss: 'after' }, T0 + 120_000, T0 + 60_000)).toBe(true);
        expect(await store.oidc.find('ReplayDetection', 'proof', T0 + 60_001)).toEqual({ iss: 'after' });
        await store.oidc.upsert('ReplayDetection', 'forever', {}, null);
        expect(await store.oidc.insertIfAbsent('ReplayDetection', 'forever', { iss: 'x' }, T0 + 60_000, T0)).toBe(false);
        expect(await store.oidc.insertIfAbsent('AccessToken', 'proof', {}, T0 + 60_000, T0)).toBe(true);
      });

      it('destroy removes one instance', async () => {
        await store.oidc.upsert('Session', 'a', {}, null);
        await store.oidc.upsert('Session', 'b', {}, null);
        await store.oidc.destroy('Session', 'a');
        expect(await store.oidc.find('Session', 'a', T0)).toBeUndefined();
        expect(await store.oidc.find('Session', 'b', T0)).toEqual({});
      });

      it('revokeByGrantId removes every instance of that model with the grant, and nothing else', async () => {
        await store.oidc.upsert('AccessToken', 'a1', { grantId: 'g1' }, null);
        await store.oidc.upsert('AccessToken', 'a2', { grantId: 'g1' }, null);
        await store.oidc.upsert('AccessToken', 'a3', { grantId: 'g2' }, null);
        await store.oidc.upsert('RefreshToken', 'r1', { grantId: 'g1' }, null);
        await store.oidc.revokeByGrantId('AccessToken', 'g1');
        expect(await store.oidc.find('AccessToken', 'a1', T0)).toBeUndefined();
        expect(await store.oidc.find('AccessToken', 'a2', T0)).toBeUndefined();
        expect(await store.oidc.find('AccessToken', 'a3', T0)).toEqual({ grantId: 'g2' });
        expect(await store.oidc.find('RefreshToken', 'r1', T0)).toEqual({ grantId: 'g1' });
      });

      it('drops undefined members instead of storing null', async () => {
        await store.oidc.upsert('Session', 'u', { accountId: 'a', acr: undefined, nested: { x: undefined, y: 1 } }, null);
        const found = await store.oidc.find('Session', 'u', T0);
        expect(found).toEqual({ accountId: 'a', nested: { y: 1 } });
        expect(found && 'acr' in found).toBe(false);
      });

      it('lists the live instances of one model that belong to an account, with the ids they are stored under', async () => {
        await store.oidc.upsert('Session', 's-ann', { uid: 'u1', accountId: 'ann' }, T0 + 1000);
        await store.oidc.upsert('Session', 's-ann-old', { uid: 'u2', accountId: 'ann' }, T0 - 1);
        await store.oidc.upsert('Session', 's-bob', { uid: 'u3', accountId: 'bob' }, T0 + 1000);
        await store.oidc.upsert('Session', 's-nobody', { uid: 'u4' }, T0 + 1000);
        await store.oidc.upsert('Grant', 'g-ann', { accountId: 'ann', clientId: 'c1' }, null);
        expect(await store.oidc.listByAccount('Session', 'ann', T0)).toEqual([{ id: 's-ann', payload: { uid: 'u1', accountId: 'ann' } }]);
        expect(await store.oidc.listByAccount('Grant', 'ann', T0)).toEqual([{ id: 'g-ann', payload: { accountId: 'ann', clientId: 'c1' } }]);
        expect(await store.oidc.listByAccount('AccessToken', 'ann', T0)).toEqual([]);
      });

      it('follows an instance whose account changes on upsert', async () => {
        await store.oidc.upsert('Session', 's', { uid: 'u', accountId: 'ann' }, null);
        await store.oidc.upsert('Session', 's', { uid: 'u', accountId: 'bob' }, null);
        expect(await store.oidc.listByAccount('Session', 'ann', T0)).toEqual([]);
        expect(await store.oidc.listByAccount('Session', 'bob', T0)).toHaveLength(1);
      });

      it('destroyByAccount removes every instance of one model of the account, expired or not, and nothing else', async () => {
        await store.oidc.upsert('AccessToken', 'a1', { accountId: 'ann', grantId: 'g1' }, T0 + 1000);
        await store.oidc.upsert('AccessToken', 'a2', { accountId: 'ann', grantId: 'g2' }, T0 - 1);
        await store.oidc.upsert('AccessToken', 'b1', { accountId: 'bob', grantId: 'g3' }, T0 + 1000);
        await store.oidc.upsert('RefreshToken', 'r1', { accountId: 'ann', grantId: 'g1' }, T0 + 1000);
        expect(await store.oidc.destroyByAccount('AccessToken', 'ann')).toBe(2);
        expect(await store.oidc.find('AccessToken', 'a1', T0)).toBeUndefined();
        expect(await store.oidc.find('AccessToken', 'a2', T0 - 10)).toBeUndefined();
        expect(await store.oidc.find('AccessToken', 'b1', T0)).toBeDefined();
        expect(await store.oidc.find('RefreshToken', 'r1', T0)).toBeDefined();
        expect(await store.oidc.destroyByAccount('AccessToken', 'ann')).toBe(0);
      });

      it('round-trips nested JSON and unicode', async () => {
        const payload = { claims: { email: 'ünïcødé@bücher.example', nested: [1, { a: null }] }, uid: '∂' };
        await store.oidc.upsert('Interaction', 'i', payload, null);
        expect(await store.oidc.find('Interaction', 'i', T0)).toEqual(payload);
      });
    });

    describe('users', () => {
      it('creates a user once per address, case-insensitively, and races safely', async () => {
        const results = await Promise.all(
          ['Ana@Example.com', 'ana@example.com', 'ANA@EXAMPLE.COM'].map((email, i) => store.users.findOrCreate(email, `id-${i}`, T0)),
        );
        expect(results.filter((result) => result.created)).toHaveLength(1);
        expect(new Set(results.map((result) => result.user.id)).size).toBe(1);
        const user = results[0]!.user;
        expect(await store.users.findById(user.id)).toEqual(user);
        expect(await store.users.findByEmail('aNa@example.COM')).toEqual(user);
      });

      it('never folds a non-ASCII look-alike into an ASCII account (the Kelvin sign K is not k)', async () => {
        const karl = await store.users.findOrCreate('karl@example.com', 'u-karl', T0);
        const kelvin = await store.users.findOrCreate('\u212Aarl@example.com', 'u-kelvin', T0);
        expect(kelvin.created).toBe(true);
        expect(kelvin.user.id).not.toBe(karl.user.id);
        expect((await store.users.findByEmail('\u212Aarl@example.com'))?.id).toBe('u-kelvin');
        expect((await store.users.findByEmail('KARL@example.com'))?.id).toBe('u-karl');
      });

      it('keeps unicode addresses distinct and intact', async () => {
        const { user } = await store.users.findOrCreate('jürgen@bücher.example', 'u-1', T0);
        expect(user.email).toBe('jürgen@bücher.example');
        expect((await store.users.findOrCreate('jurgen@bücher.example', 'u-2', T0)).created).toBe(true);
      });

      it('records the last login', async () => {
        const { user } = await store.users.findOrCreate('x@example.com', 'u-x', T0);
        expect(user.lastLoginAt).toBeNull();
        await store.users.recordLogin(user.id, T0 + 5);
        expect((await store.users.findById(user.id))?.lastLoginAt).toBe(T0 + 5);
      });

      it('starts enabled, and is disabled and enabled again by id', async () => {
        const { user } = await store.users.findOrCreate('d@example.com', 'u-d', T0);
        expect(user.disabledAt).toBeNull();
        expect(await store.users.setDisabled('u-d', T0 + 7)).toBe(true);
        expect((await store.users.findById('u-d'))?.disabledAt).toBe(T0 + 7);
        expect((await store.users.findByEmail('d@example.com'))?.disabledAt).toBe(T0 + 7);
        expect((await store.users.findOrCreate('d@example.com', 'u-other', T0)).user).toMatchObject({ id: 'u-d', disabledAt: T0 + 7 });
        expect(await store.users.setDisabled('u-d', null)).toBe(true);
        expect((await store.users.findById('u-d'))?.disabledAt).toBeNull();
        expect(await store.users.setDisabled('nobody', T0)).toBe(false);
      });

      it('marks its sign-ins ended at a time that only moves forward, and survives an enable', async () => {
        const { user } = await store.users.findOrCreate('e@example.com', 'u-e', T0);
        expect(user.signInsEndedAt).toBeNull();
        expect(await store.users.endSignIns('u-e', T0 + 9)).toBe(true);
        expect((await store.users.findById('u-e'))?.signInsEndedAt).toBe(T0 + 9);
        expect(await store.users.endSignIns('u-e', T0 + 3)).toBe(true);
        expect((await store.users.findByEmail('e@example.com'))?.signInsEndedAt).toBe(T0 + 9);
        await store.users.setDisabled('u-e', T0 + 10);
        await store.users.setDisabled('u-e', null);
        expect(await store.users.endSignIns('u-e', T0 + 12)).toBe(true);
        expect((await store.users.findById('u-e'))?.signInsEndedAt).toBe(T0 + 12);
        expect(await store.users.endSignIns('nobody', T0)).toBe(false);
      });

      it('deletes an account once; its address can sign up again as a new account', async () => {
        await store.users.findOrCreate('gone@example.com', 'u-gone', T0);
        expect(await store.users.delete('u-gone')).toBe(true);
        expect(await store.users.delete('u-gone')).toBe(false);
        expect(await store.users.findById('u-gone')).toBeUndefined();
        expect(await store.users.findByEmail('gone@example.com')).toBeUndefined();
        expect((await store.users.findOrCreate('gone@example.com', 'u-new', T0)).created).toBe(true);
      });

      it('changes an address in place: same id, found by the new address only, the old one free again', async () => {
        const { user } = await store.users.findOrCreate('first@example.com', 'u-change', T0);
        expect(await store.users.changeEmail('u-change', 'second@example.com')).toBe('changed');
        expect(await store.users.findById('u-change')).toEqual({ ...user, email: 'second@example.com' });
        expect((await store.users.findByEmail('SECOND@example.com'))?.id).toBe('u-change');
        expect(await store.users.findByEmail('first@example.com')).toBeUndefined();
        expect((await store.users.findOrCreate('first@example.com', 'u-next', T0)).created).toBe(true);
        expect(await store.users.changeEmail('nobody', 'third@example.com')).toBe('unknown');
      });

      it('refuses an address another account holds (ASCII case folded) and changes nothing', async () => {
        await store.users.findOrCreate('mine@example.com', 'u-mine', T0);
        await store.users.findOrCreate('theirs@example.com', 'u-theirs', T0);
        expect(await store.users.changeEmail('u-mine', 'Theirs@Example.com')).toBe('taken');
        expect((await store.users.findById('u-mine'))?.email).toBe('mine@example.com');
        expect((await store.users.findByEmail('theirs@example.com'))?.id).toBe('u-theirs');
      });

      it('gives a contested address to exactly one of several accounts changing to it at once', async () => {
        for (let i = 0; i < 6; i += 1) await store.users.findOrCreate(`racer-${i}@example.com`, `u-racer-${i}`, T0);
        const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => store.users.changeEmail(`u-racer-${i}`, 'prize@example.com')));
        expect(outcomes.filter((outcome) => outcome === 'changed')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome === 'taken')).toHaveLength(5);
        const winner = outcomes.indexOf('changed');
        expect((await store.users.findByEmail('prize@example.com'))?.id).toBe(`u-racer-${winner}`);
      });

      it('lists accounts by address, a page at a time after a cursor, filtered by a literal part of the address', async () => {
        for (const [i, email] of ['cy@b.example', 'Al@a.example', 'bo@a.example', 'a_b@c.example', 'axb@c.example', 'd%@c.example'].entries()) {
          await store.users.findOrCreate(email, `u-${i}`, T0);
        }
        const emails = (users: { email: string }[]) => users.map((user) => user.email);
        expect(emails(await store.users.list({ limit: 10 }))).toEqual([
          'a_b@c.example',
          'Al@a.example',
          'axb@c.example',
          'bo@a.example',
          'cy@b.example',
          'd%@c.example',
        ]);
        expect(emails(await store.users.list({ limit: 2 }))).toEqual(['a_b@c.example', 'Al@a.example']);
        expect(emails(await store.users.list({ limit: 2, after: 'Al@a.example' }))).toEqual(['axb@c.example', 'bo@a.example']);
        expect(emails(await store.users.list({ limit: 2, after: 'cy@b.example' }))).toEqual(['d%@c.example']);
        expect(emails(await store.users.list({ limit: 10, emailContains: '@A.EXAMPLE' }))).toEqual(['Al@a.example', 'bo@a.example']);
        expect(emails(await store.users.list({ limit: 1, emailContains: '@a.example', after: 'al@a.example' }))).toEqual(['bo@a.example']);
        // _ . % are letters here, not wildcards.
        expect(emails(await store.users.list({ limit: 10, emailContains: 'a_b' }))).toEqual(['a_b@c.example']);
        expect(emails(await store.users.list({ limit: 10, emailContains: 'd%' }))).toEqual(['d%@c.example']);
        expect(emails(await store.users.list({ limit: 10, emailContains: '.' }))).toHaveLength(6);
        expect(emails(await store.users.list({ limit: 10, emailContains: 'a.b' }))).toEqual([]);
        expect(await store.users.list({ limit: 10, emailContains: 'nobody' })).toEqual([]);
      });

      it('answers undefined for unknown users', async () => {
        expect(await store.users.findById('nope')).toBeUndefined();
        expect(await store.users.findByEmail('nope@example.com')).toBeUndefined();
      });
    });

    describe('login tokens', () => {
      it('stores and finds a token by hash, whatever its state', async () => {
        const token = loginToken();
        await store.loginTokens.insert(token);
        expect(await store.loginTokens.findByHash(token.hash)).toEqual(token);
        expect(await store.loginTokens.findByHash(hex())).toBeUndefined();
      });

      it('refuses a second token with the same hash', async () => {
        const token = loginToken();
        await store.loginTokens.insert(token);
        await expect(store.loginTokens.insert({ ...token, email: 'other@example.com' })).rejects.toThrow();
        expect((await store.loginTokens.findByHash(token.hash))?.email).toBe(token.email);
      });

      it('consumes once, then says token_used', async () => {
        const token = loginToken();
        await store.loginTokens.insert(token);
        const first = await store.loginTokens.consume(token.hash, T0 + 1);
        expect(first).toEqual({ consumed: true, token: { ...token, usedAt: T0 + 1 } });
        expect(await store.loginTokens.consume(token.hash, T0 + 2)).toEqual({ consumed: false, reason: 'token_used' });
      });

      it('does not consume an expired token: token_expired, and it stays unused', async () => {
        const token = loginToken();
        await store.loginTokens.insert(token);
        expect(await store.loginTokens.consume(token.hash, token.expiresAt)).toEqual({ consumed: false, reason: 'token_expired' });
        expect((await store.loginTokens.findByHash(token.hash))?.usedAt).toBeNull();
      });

      it('says token_unknown for a hash it never saw', async () => {
        expect(await store.loginTokens.consume(hex(), T0)).toEqual({ consumed: false, reason: 'token_unknown' });
      });

      describe('approval from another browser', () => {
        it('marks a pending token once (a second ask keeps the first time), and never a used or expired one', async () => {
          const token = loginToken();
          const used = loginToken();
          const expired = loginToken({ expiresAt: T0 + 10 });
          for (const each of [token, used, expired]) await store.loginTokens.insert(each);
          await store.loginTokens.consume(used.hash, T0 + 1);
          expect(await store.loginTokens.requestApproval(token.hash, T0 + 5)).toEqual({ ...token, approvalRequestedAt: T0 + 5 });
          expect((await store.loginTokens.requestApproval(token.hash, T0 + 9))?.approvalRequestedAt).toBe(T0 + 5);
          expect((await store.loginTokens.requestApproval(used.hash, T0 + 5))?.approvalRequestedAt).toBeNull();
          expect((await store.loginTokens.requestApproval(expired.hash, T0 + 10))?.approvalRequestedAt).toBeNull();
          expect(await store.loginTokens.requestApproval(hex(), T0)).toBeUndefined();
        });

        it('approves only a token asked to be approved, once, consuming it', async () => {
          const asked = loginToken();
          const notAsked = loginToken();
          for (const each of [asked, notAsked]) await store.loginTokens.insert(each);
          await store.loginTokens.requestApproval(asked.hash, T0 + 1);
          expect(await store.loginTokens.approve(notAsked.hash, T0 + 2)).toMatchObject({ consumed: false });
          expect((await store.loginTokens.findByHash(notAsked.hash))?.usedAt).toBeNull();
          expect(await store.loginTokens.approve(asked.hash, T0 + 2)).toEqual({
            consumed: true,
            token: { ...asked, approvalRequestedAt: T0 + 1, usedAt: T0 + 2, approvedAt: T0 + 2 },
          });
          expect(await store.loginTokens.approve(asked.hash, T0 + 3)).toEqual({ consumed: false, reason: 'token_used' });
          // A token consumed some other way (its code, a confirm) is not approved.
          const coded = loginToken();
          await store.loginTokens.insert(coded);
          await store.loginTokens.requestApproval(coded.hash, T0 + 1);
          await store.loginTokens.consume(coded.hash, T0 + 2);
          expect(await store.loginTokens.approve(coded.hash, T0 + 3)).toEqual({ consumed: false, reason: 'token_used' });
          expect((await store.loginTokens.findByHash(coded.hash))?.approvedAt).toBeNull();
        });

        it('gives exactly one of many concurrent approvals the token', async () => {
          const token = loginToken();
          await store.loginTokens.insert(token);
          await store.loginTokens.requestApproval(token.hash, T0 + 1);
          const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.loginTokens.approve(token.hash, T0 + 2)));
          expect(outcomes.filter((outcome) => outcome.consumed)).toHaveLength(1);
        });

        it("lists one interaction's asked tokens, newest first, whatever their state", async () => {
          const uid = id();
          const older = loginToken({ interactionUid: uid, createdAt: T0 });
          const newer = loginToken({ interactionUid: uid, createdAt: T0 + 10 });
          const notAsked = loginToken({ interactionUid: uid, createdAt: T0 + 20 });
          for (const each of [older, newer, notAsked, loginToken()]) await store.loginTokens.insert(each);
          await store.loginTokens.requestApproval(older.hash, T0 + 30);
          await store.loginTokens.requestApproval(newer.hash, T0 + 30);
          await store.loginTokens.approve(older.hash, T0 + 31);
          expect((await store.loginTokens.listApprovals(uid)).map((token) => [token.hash, token.approvedAt])).toEqual([
            [newer.hash, null],
            [older.hash, T0 + 31],
          ]);
          expect(await store.loginTokens.listApprovals(id())).toEqual([]);
        });

        it('lets the starting browser claim an approved token once, and not after it expires', async () => {
          const token = loginToken();
          const late = loginToken({ expiresAt: T0 + 100 });
          const unapproved = loginToken();
          for (const each of [token, late, unapproved]) {
            await store.loginTokens.insert(each);
            await store.loginTokens.requestApproval(each.hash, T0 + 1);
          }
          for (const each of [token, late]) await store.loginTokens.approve(each.hash, T0 + 2);
          expect(await store.loginTokens.claimApproval(unapproved.hash, T0 + 3)).toBe(false);
          expect(await store.loginTokens.claimApproval(late.hash, T0 + 100)).toBe(false);
          const claims = await Promise.all(Array.from({ length: 5 }, () => store.loginTokens.claimApproval(token.hash, T0 + 3)));
          expect(claims.filter(Boolean)).toHaveLength(1);
          expect((await store.loginTokens.findByHash(token.hash))?.approvalFinishedAt).toBe(T0 + 3);
        });
      });

      it('lists the pending tokens of an interaction, newest first, skipping used and expired ones', async () => {
        const uid = id();
        const older = loginToken({ interactionUid: uid, createdAt: T0 });
        const newer = loginToken({ interactionUid: uid, createdAt: T0 + 10 });
        const used = loginToken({ interactionUid: uid, createdAt: T0 + 20 });
        const expired = loginToken({ interactionUid: uid, createdAt: T0 + 30, expiresAt: T0 + 40 });
        for (const token of [older, newer, used, expired, loginToken()]) await store.loginTokens.insert(token);
        await store.loginTokens.consume(used.hash, T0 + 25);
        expect((await store.loginTokens.listPending(uid, T0 + 50)).map((token) => token.hash)).toEqual([newer.hash, older.hash]);
        expect(await store.loginTokens.listPending(id(), T0)).toEqual([]);
      });

      it('counts the links still pending: unused and unexpired', async () => {
        expect(await store.loginTokens.countPending(T0)).toBe(0);
        const used = loginToken();
        for (const token of [loginToken(), loginToken({ expiresAt: T0 + 10 }), used]) await store.loginTokens.insert(token);
        await store.loginTokens.consume(used.hash, T0);
        expect(await store.loginTokens.countPending(T0)).toBe(2);
        expect(await store.loginTokens.countPending(T0 + 10)).toBe(1);
      });

      it('removes every token of one address, pending, used or expired, and no other', async () => {
        const pending = loginToken({ email: 'ann@example.com' });
        const used = loginToken({ email: 'ann@example.com' });
        const expired = loginToken({ email: 'ann@example.com', expiresAt: T0 + 10 });
        const other = loginToken({ email: 'bob@example.com' });
        for (const token of [pending, used, expired, other]) await store.loginTokens.insert(token);
        await store.loginTokens.consume(used.hash, T0);
        expect(await store.loginTokens.deleteByEmail('ann@example.com')).toBe(3);
        for (const token of [pending, used, expired]) expect(await store.loginTokens.findByHash(token.hash)).toBeUndefined();
        expect(await store.loginTokens.findByHash(other.hash)).toEqual(other);
        expect(await store.loginTokens.deleteByEmail('ann@example.com')).toBe(0);
      });

      it('reserves at most maxAttempts code attempts, even when they race', async () => {
        const token = loginToken();
        await store.loginTokens.insert(token);
        const reserved = await Promise.all(Array.from({ length: 12 }, () => store.loginTokens.reserveCodeAttempt(token.hash, 5, T0)));
        expect(reserved.filter(Boolean)).toHaveLength(5);
        expect((await store.loginTokens.findByHash(token.hash))?.codeAttempts).toBe(5);
        // A used or expired token takes no attempts at all.
        const other = loginToken();
        await store.loginTokens.insert(other);
        expect(await store.loginTokens.reserveCodeAttempt(other.hash, 5, other.expiresAt)).toBe(false);
        await store.loginTokens.consume(other.hash, T0);
        expect(await store.loginTokens.reserveCodeAttempt(other.hash, 5, T0)).toBe(false);
      });

      it('lets exactly one of 20 concurrent consumes win', async () => {
        const token = loginToken();
        await store.loginTokens.insert(token);
        const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.loginTokens.consume(token.hash, T0 + i)));
        expect(outcomes.filter((outcome) => outcome.consumed)).toHaveLength(1);
        expect(outcomes.filter((outcome) => !outcome.consumed).every((outcome) => !outcome.consumed && outcome.reason === 'token_used')).toBe(true);
      });
    });

    describe('email change tokens', () => {
      it('stores and finds a token by hash, whatever its state, and refuses a second with the same hash', async () => {
        const confirm = emailChangeToken();
        const undo = emailChangeToken({ kind: 'undo', bindingHash: null, expiresAt: T0 + 7 * 86_400_000 });
        await store.emailChanges.insert(confirm);
        await store.emailChanges.insert(undo);
        expect(await store.emailChanges.findByHash(confirm.hash)).toEqual(confirm);
        expect(await store.emailChanges.findByHash(undo.hash)).toEqual(undo);
        expect(await store.emailChanges.findByHash(hex())).toBeUndefined();
        await expect(store.emailChanges.insert({ ...confirm, email: 'other@example.com' })).rejects.toThrow();
      });

      it('consumes once, then says token_used; an expired one stays unused; an unknown one is token_unknown', async () => {
        const token = emailChangeToken();
        await store.emailChanges.insert(token);
        expect(await store.emailChanges.consume(token.hash, T0 + 1)).toEqual({ consumed: true, token: { ...token, usedAt: T0 + 1 } });
        expect(await store.emailChanges.consume(token.hash, T0 + 2)).toEqual({ consumed: false, reason: 'token_used' });
        const old = emailChangeToken();
        await store.emailChanges.insert(old);
        expect(await store.emailChanges.consume(old.hash, old.expiresAt)).toEqual({ consumed: false, reason: 'token_expired' });
        expect((await store.emailChanges.findByHash(old.hash))?.usedAt).toBeNull();
        expect(await store.emailChanges.consume(hex(), T0)).toEqual({ consumed: false, reason: 'token_unknown' });
      });

      it('lets exactly one of 20 concurrent consumes win', async () => {
        const token = emailChangeToken({ kind: 'undo', bindingHash: null });
        await store.emailChanges.insert(token);
        const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.emailChanges.consume(token.hash, T0 + i)));
        expect(outcomes.filter((outcome) => outcome.consumed)).toHaveLength(1);
        expect(outcomes.filter((outcome) => !outcome.consumed && outcome.reason === 'token_used')).toHaveLength(19);
      });

      it("voids on undo the account's pending confirms and later undos, never an earlier undo or another account's", async () => {
        const first = emailChangeToken({ kind: 'undo', bindingHash: null, createdAt: T0, expiresAt: T0 + 86_400_000 });
        const later = emailChangeToken({ kind: 'undo', bindingHash: null, createdAt: T0 + 10, expiresAt: T0 + 86_400_000 });
        const olderConfirm = emailChangeToken({ createdAt: T0 - 5 });
        const newerConfirm = emailChangeToken({ createdAt: T0 + 20 });
        const stranger = emailChangeToken({ accountId: 'u-2', createdAt: T0 + 20 });
        for (const token of [first, later, olderConfirm, newerConfirm, stranger]) await store.emailChanges.insert(token);

        expect(await store.emailChanges.voidAfterUndo('u-1', later.createdAt, T0 + 30)).toBe(2);
        expect((await store.emailChanges.findByHash(first.hash))?.usedAt).toBeNull();
        expect(await store.emailChanges.voidAfterUndo('u-1', first.createdAt, T0 + 40)).toBe(1);
        expect((await store.emailChanges.findByHash(later.hash))?.usedAt).toBe(T0 + 40);
        for (const token of [olderConfirm, newerConfirm]) expect((await store.emailChanges.consume(token.hash, T0 + 50)).consumed).toBe(false);
        expect((await store.emailChanges.consume(stranger.hash, T0 + 50)).consumed).toBe(true);
        expect((await store.emailChanges.consume(first.hash, T0 + 50)).consumed).toBe(true);
      });

      it("are removed with their account, whatever their state, and no other account's", async () => {
        const used = emailChangeToken({ kind: 'undo', bindingHash: null });
        const pending = emailChangeToken();
        const stranger = emailChangeToken({ accountId: 'u-2' });
        for (const token of [used, pending, stranger]) await store.emailChanges.insert(token);
        await store.emailChanges.consume(used.hash, T0 + 1);
        expect(await store.emailChanges.deleteForAccount('u-1')).toBe(2);
        expect(await store.emailChanges.findByHash(used.hash)).toBeUndefined();
        expect(await store.emailChanges.findByHash(pending.hash)).toBeUndefined();
        expect(await store.emailChanges.findByHash(stranger.hash)).toEqual(stranger);
        expect(await store.emailChanges.deleteForAccount('u-1')).toBe(0);
      });

      it('are purged once expired', async () => {
        const gone = emailChangeToken({ expiresAt: T0 - 1 });
        const live = emailChangeToken();
        await store.emailChanges.insert(gone);
        await store.emailChanges.insert(live);
        while ((await store.purgeExpired(T0, 100)) > 0);
        expect(await store.emailChanges.findByHash(gone.hash)).toBeUndefined();
        expect(await store.emailChanges.findByHash(live.hash)).toEqual(live);
      });
    });

    describe('clients', () => {
      it('creates, finds, lists in creation order and deletes', async () => {
        const a = clientRecord({ createdAt: T0, name: 'Ä App', redirectUris: ['https://a.example/cb', 'http://localhost:3000/cb'] });
        const b = clientRecord({ createdAt: T0 + 1, isPublic: true, secretSalt: null, firstParty: true });
        await store.clients.create(a);
        await store.clients.create(b);
        expect(await store.clients.find(a.clientId)).toEqual(a);
        expect(await store.clients.list()).toEqual([a, b]);
        expect(await store.clients.delete(a.clientId)).toBe(true);
        expect(await store.clients.delete(a.clientId)).toBe(false);
        expect(await store.clients.find(a.clientId)).toBeUndefined();
      });

      it('refuses a duplicate client id with DuplicateError and keeps the first', async () => {
        const a = clientRecord();
        await store.clients.create(a);
        await expect(store.clients.create({ ...a, name: 'Other' })).rejects.toBeInstanceOf(DuplicateError);
        expect((await store.clients.find(a.clientId))?.name).toBe('App');
      });

      it('replaces the secret salt and says whether the client existed', async () => {
        const a = clientRecord();
        await store.clients.create(a);
        expect(await store.clients.setSecretSalt(a.clientId, 'new-salt', T0 + 9)).toBe(true);
        expect(await store.clients.find(a.clientId)).toEqual({ ...a, secretSalt: 'new-salt', updatedAt: T0 + 9 });
        expect(await store.clients.setSecretSalt('missing', 'x', T0)).toBe(false);
      });

      it('updates only the fields given, keeps metadata and settings as JSON objects', async () => {
        const a = clientRecord({ metadata: { logo_uri: 'https://app.example.com/logo.png' }, settings: { signup: 'closed' } });
        await store.clients.create(a);
        expect(await store.clients.find(a.clientId)).toEqual(a);
        const metadata = { token_endpoint_auth_method: 'client_secret_post', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } };
        expect(await store.clients.update(a.clientId, { name: 'Renamed', metadata }, T0 + 5)).toBe(true);
        expect(await store.clients.find(a.clientId)).toEqual({ ...a, name: 'Renamed', metadata, updatedAt: T0 + 5 });
        expect(await store.clients.update(a.clientId, { redirectUris: ['https://b.example.com/cb'], firstParty: true, settings: {} }, T0 + 6)).toBe(true);
        expect(await store.clients.find(a.clientId)).toEqual({
          ...a,
          name: 'Renamed',
          metadata,
          settings: {},
          redirectUris: ['https://b.example.com/cb'],
          firstParty: true,
          updatedAt: T0 + 6,
        });
        expect(await store.clients.update('missing', { name: 'x' }, T0)).toBe(false);
      });
    });

    describe('audit trail', () => {
      it('keeps every field of an event and finds it by each identifier', async () => {
        const event = auditRecord({ accountId: 'sub-1', reason: 'token_used', providerMessageId: 'pm-1' });
        await store.audit.append([event]);
        await store.audit.append([auditRecord()]);
        for (const query of [
          { requestId: event.requestId ?? '' },
          { interactionUid: event.interactionUid ?? '' },
          { accountId: 'sub-1' },
          { reason: 'token_used' },
          { providerMessageId: 'pm-1' },
        ]) {
          expect(await store.audit.search(query, T0)).toEqual([event]);
        }
        expect(await store.audit.search({ clientId: 'client-1' }, T0)).toHaveLength(2);
        expect(await store.audit.search({ clientId: 'client-2' }, T0)).toEqual([]);
      });

      it('appends several events in one call, in the order given (ties of one millisecond included)', async () => {
        const interactionUid = id();
        const events = ['login.requested', 'mail.queued', 'mail.sent', 'login.confirmed'];
        await store.audit.append(events.map((event) => auditRecord({ at: T0 + 5, event, interactionUid })));
        await store.audit.append([]);
        expect((await store.audit.search({ interactionUid }, T0)).map((event) => event.event)).toEqual(events);
      });

      it('finds an address whatever its ASCII case, and only that address', async () => {
        await store.audit.append([auditRecord({ email: 'ann@example.com' })]);
        await store.audit.append([auditRecord({ email: 'bob@example.com' })]);
        await store.audit.append([auditRecord({ email: null })]);
        const found = await store.audit.search({ email: 'Ann@Example.COM' }, T0);
        expect(found.map((event) => event.email)).toEqual(['ann@example.com']);
      });

      it('answers oldest first, ties in the order appended, within since (inclusive) and until (exclusive)', async () => {
        const interactionUid = id();
        for (const [at, event] of [
          [T0 + 20, 'login.confirmed'],
          [T0, 'login.requested'],
          [T0 + 10, 'mail.queued'],
          [T0 + 10, 'mail.sent'],
          [T0 + 30, 'login.completed'],
        ] as const) {
          await store.audit.append([auditRecord({ at, event, interactionUid })]);
        }
        const story = await store.audit.search({ interactionUid }, T0);
        expect(story.map((event) => event.event)).toEqual(['login.requested', 'mail.queued', 'mail.sent', 'login.confirmed', 'login.completed']);
        const window = await store.audit.search({ interactionUid, since: T0 + 10, until: T0 + 30 }, T0);
        expect(window.map((event) => event.event)).toEqual(['mail.queued', 'mail.sent', 'login.confirmed']);
        expect(await store.audit.search({ interactionUid, limit: 2 }, T0)).toHaveLength(2);
        expect(await store.audit.search({ since: T0 + 30 }, T0)).toHaveLength(1);
      });

      it("forgets a deleted account's address: by account, by address and by its hash in fields, keeping the events", async () => {
        const ofAccount = auditRecord({ accountId: 'sub-1', email: 'ann@example.com', fields: { via: 'link' } });
        const beforeAccount = auditRecord({ accountId: null, email: 'Ann@example.com' });
        const adminEvent = auditRecord({ event: 'user.disabled', accountId: 'sub-1', email: null, fields: { emailHash: 'h-ann', via: 'admin-cli' } });
        const hashOnly = auditRecord({ event: 'suppression.lifted', accountId: null, email: null, fields: { emailHash: 'h-ann', reason: 'HardBounce' } });
        const someoneElse = auditRecord({ accountId: 'sub-2', email: 'bob@example.com', fields: { emailHash: 'h-bob' } });
        for (const event of [ofAccount, beforeAccount, adminEvent, hashOnly, someoneElse]) await store.audit.append([event]);

        expect(await store.audit.forgetAddress({ accountId: 'sub-1', email: 'ann@example.com', emailHash: 'h-ann' })).toBe(4);
        const found = async (event: AuditRecord) => (await store.audit.search({ requestId: event.requestId ?? '' }, T0))[0];
        expect(await found(ofAccount)).toEqual({ ...ofAccount, email: null });
        expect(await found(beforeAccount)).toEqual({ ...beforeAccount, email: null });
        expect(await found(adminEvent)).toEqual({ ...adminEvent, fields: { via: 'admin-cli' } });
        expect(await found(hashOnly)).toEqual({ ...hashOnly, fields: { reason: 'HardBounce' } });
        expect(await found(someoneElse)).toEqual(someoneElse);
        expect(await store.audit.search({ email: 'ann@example.com' }, T0)).toEqual([]);
        expect(await store.audit.search({ accountId: 'sub-1' }, T0)).toHaveLength(2);
        expect(await store.audit.forgetAddress({ accountId: 'sub-1', email: 'ann@example.com', emailHash: 'h-ann' })).toBe(0);
      });

      it("forgets every address hash of a deleted account: all of its own events', and its addresses' anywhere, keeping other hashes", async () => {
        const changed = auditRecord({
          event: 'account.email_changed',
          accountId: 'sub-1',
          email: null,
          fields: { emailHash: 'h-new', previousEmailHash: 'h-old', tokenId: 'tok' },
        });
        const undone = auditRecord({
          event: 'account.email_change_undone',
          accountId: 'sub-1',
          email: null,
          fields: { emailHash: 'h-ann', undoneEmailHash: 'h-undone', voided: 1 },
        });
        // An address the account only asked for, which another account holds.
        const asked = auditRecord({ event: 'account.email_change_requested', accountId: 'sub-1', email: null, fields: { emailHash: 'h-taken' } });
        const oldByHash = auditRecord({ event: 'suppression.lifted', accountId: null, email: null, fields: { emailHash: 'h-old', reason: 'HardBounce' } });
        const newByHash = auditRecord({ event: 'user.disabled', accountId: 'sub-3', email: null, fields: { emailHash: 'h-new', via: 'admin-cli' } });
        const otherChange = auditRecord({
          event: 'account.email_changed',
          accountId: 'sub-2',
          email: null,
          fields: { emailHash: 'h-bob', previousEmailHash: 'h-undone', tokenId: 'tok2' },
        });
        const otherUndo = auditRecord({
          event: 'account.email_change_undone',
          accountId: 'sub-3',
          email: null,
          fields: { emailHash: 'h-carl', undoneEmailHash: 'h-new' },
        });
        const takenOwner = auditRecord({ event: 'user.disabled', accountId: 'sub-2', email: null, fields: { emailHash: 'h-taken', via: 'admin-cli' } });
        const all = [changed, undone, asked, oldByHash, newByHash, otherChange, otherUndo, takenOwner];
        await store.audit.append(all);

        expect(await store.audit.forgetAddress({ accountId: 'sub-1', email: 'ann@example.com', emailHash: 'h-ann' })).toBe(7);
        const found = async (event: AuditRecord) => (await store.audit.search({ requestId: event.requestId ?? '' }, T0))[0];
        expect(await found(changed)).toEqual({ ...changed, fields: { tokenId: 'tok' } });
        expect(await found(undone)).toEqual({ ...undone, fields: { voided: 1 } });
        expect(await found(asked)).toEqual({ ...asked, fields: {} });
        expect(await found(oldByHash)).toEqual({ ...oldByHash, fields: { reason: 'HardBounce' } });
        expect(await found(newByHash)).toEqual({ ...newByHash, fields: { via: 'admin-cli' } });
        expect(await found(otherChange)).toEqual({ ...otherChange, fields: { emailHash: 'h-bob', tokenId: 'tok2' } });
        expect(await found(otherUndo)).toEqual({ ...otherUndo, fields: { emailHash: 'h-carl' } });
        expect(await found(takenOwner)).toEqual(takenOwner);
        const trail = JSON.stringify(await store.audit.search({}, T0));
        for (const hash of ['h-ann', 'h-new', 'h-old', 'h-undone']) expect(trail).not.toContain(`"${hash}"`);
        expect(await store.audit.forgetAddress({ accountId: 'sub-1', email: 'ann@example.com', emailHash: 'h-ann' })).toBe(0);
      });

      it('forgets in clear every address a deleted account held, in every event naming it; not an address it only asked for', async () => {
        const [first, second, taken, unconfirmed, wished] = ['ann@example.com', 'ann@example.org', 'bob@example.com', 'cid@example.com', 'dee@example.com'];
        const h = addressHash;
        const [r1, r2, r3, r4, r5] = [id(), id(), id(), id(), id()];
        const held = [
          auditRecord({ event: 'account.created', accountId: 'sub-1', email: first, fields: {} }),
          auditRecord({ event: 'mail.queued', accountId: null, email: first, fields: { tag: 'sign-in' } }),
          auditRecord({ event: 'login.requested', accountId: null, email: 'Ann@Example.com', fields: {} }),
          auditRecord({ event: 'account.email_change_requested', requestId: r1, accountId: 'sub-1', email: null, fields: { emailHash: h(second) } }),
          auditRecord({ event: 'mail.queued', requestId: r1, accountId: null, email: second, fields: { tag: 'email-change' } }),
          auditRecord({
            event: 'account.email_changed',
            requestId: r2,
            accountId: 'sub-1',
            email: second,
            fields: { emailHash: h(second), previousEmailHash: h(first), tokenId: 'tok' },
          }),
          auditRecord({ event: 'mail.sent', requestId: r2, accountId: null, email: first, fields: { tag: 'email-change' } }),
          // It asked for another account's address (refused as email_taken) and for a free one it never confirmed.
          auditRecord({ event: 'account.email_change_requested', requestId: r3, accountId: 'sub-1', email: null, fields: { emailHash: h(taken) } }),
          auditRecord({ event: 'login.refused', requestId: r3, accountId: 'sub-1', email: null, reason: 'email_taken', fields: { emailHash: h(taken) } }),
          auditRecord({ event: 'account.email_change_requested', requestId: r4, accountId: 'sub-1', email: null, fields: { emailHash: h(unconfirmed) } }),
          // Even an event of its own naming the taken address in clear does not make it the account's.
          auditRecord({ event: 'login.refused', accountId: 'sub-1', email: taken, reason: 'account_disabled', fields: {} }),
        ];
        const untouched = [
          auditRecord({ event: 'mail.queued', requestId: r3, accountId: null, email: taken, fields: { tag: 'email-change' } }),
          auditRecord({ event: 'login.completed', accountId: 'sub-2', email: taken, fields: { via: 'link' } }),
          auditRecord({ event: 'login.requested', accountId: null, email: taken, fields: {} }),
          auditRecord({ event: 'mail.queued', requestId: r4, accountId: null, email: unconfirmed, fields: { tag: 'email-change' } }),
          // A third person signed up later with the address the account asked for and never confirmed.
          auditRecord({ event: 'account.created', accountId: 'sub-3', email: unconfirmed, fields: {} }),
          // Another account asked for an address it never held.
          auditRecord({ event: 'account.email_change_requested', requestId: r5, accountId: 'sub-4', email: null, fields: { emailHash: h(wished) } }),
          auditRecord({ event: 'mail.queued', requestId: r5, accountId: null, email: wished, fields: { tag: 'email-change' } }),
        ];
        await store.audit.append([...held, ...untouched]);

        expect(await store.audit.forgetAddress({ accountId: 'sub-1', email: second, emailHash: h(second) })).toBe(held.length);
        const found = async (event: AuditRecord) => (await store.audit.search({ requestId: event.requestId ?? '' }, T0)).find((e) => e.event === event.event);
        for (const event of untouched) expect(await found(event)).toEqual(event);
        for (const event of held) expect((await found(event))?.email).toBeNull();
        for (const address of [first, second]) expect(await store.audit.search({ email: address }, T0)).toEqual([]);
        const trail = JSON.stringify(await store.audit.search({}, T0));
        for (const address of [first, second]) expect(trail.toLowerCase()).not.toContain(address);
        expect(await store.audit.search({ email: taken }, T0)).toHaveLength(3);
        expect(await store.audit.forgetAddress({ accountId: 'sub-1', email: second, emailHash: h(second) })).toBe(0);
      });

      it('forgets the earlier addresses of change events that name hashes only, by the mail of their requests', async () => {
        const [old, mid, undone, stranger] = ['old@example.com', 'mid@example.com', 'gone@example.com', 'eve@example.com'];
        const h = addressHash;
        const [r1, r2, r3, r4] = [id(), id(), id(), id()];
        // Its first address appears in clear only in events that name no account (account.created is past retention).
        const named = [
          auditRecord({ event: 'login.requested', accountId: null, email: old, fields: {} }),
          auditRecord({ event: 'mail.queued', requestId: r1, accountId: null, email: mid, fields: { tag: 'email-change' } }),
          auditRecord({ event: 'mail.queued', requestId: r2, accountId: null, email: old, fields: { tag: 'email-change' } }),
          auditRecord({ event: 'mail.queued', requestId: r3, accountId: null, email: undone, fields: { tag: 'email-change' } }),
          auditRecord({ event: 'mail.delivered', accountId: null, email: undone, fields: {} }),
          auditRecord({ event: 'mail.queued', requestId: r4, accountId: null, email: mid, fields: { tag: 'email-change' } }),
        ];
        const own = [
          auditRecord({ event: 'account.email_change_requested', requestId: r1, accountId: 'sub-1', email: null, fields: { emailHash: h(mid) } }),
          auditRecord({
            event: 'account.email_changed',
            requestId: r2,
            accountId: 'sub-1',
            email: null,
            fields: { emailHash: h(mid), previousEmailHash: h(old) },
          }),
          auditRecord({ event: 'account.email_change_requested', requestId: r3, accountId: 'sub-1', email: null, fields: { emailHash: h(undone) } }),
          auditRecord({ event: 'account.email_changed', accountId: 'sub-1', email: null, fields: { emailHash: h(undone), previousEmailHash: h(mid) } }),
          auditRecord({
            event: 'account.email_change_undone',
            requestId: r4,
            accountId: 'sub-1',
            email: null,
            fields: { emailHash: h(mid), undoneEmailHash: h(undone) },
          }),
        ];
        const elsewhere = auditRecord({ event: 'login.completed', accountId: 'sub-2', email: stranger, fields: {} });
        await store.audit.append([...named, ...own, elsewhere]);

        expect(await store.audit.forgetAddress({ accountId: 'sub-1', email: mid, emailHash: h(mid) })).toBe(named.length + own.length);
        for (const address of [old, mid, undone]) expect(await store.audit.search({ email: address }, T0)).toEqual([]);
        const trail = JSON.stringify(await store.audit.search({}, T0));
        for (const address of [old, mid, undone]) expect(trail).not.toContain(address);
        expect(await store.audit.search({ email: stranger }, T0)).toEqual([elsewhere]);
      });

      it('hides events past their retention and purges them, keeping the rest', async () => {
        const old = auditRecord({ expiresAt: T0 - 1 });
        const live = auditRecord({ expiresAt: T0 + 1000 });
        await store.audit.append([old]);
        await store.audit.append([live]);
        expect(await store.audit.search({ requestId: old.requestId ?? '' }, T0)).toEqual([]);
        expect(await store.audit.search({ requestId: old.requestId ?? '' }, T0 - 10)).toEqual([old]);
        expect(await store.purgeExpired(T0, 10)).toBe(1);
        expect(await store.audit.search({ requestId: old.requestId ?? '' }, T0 - 10)).toEqual([]);
        expect(await store.audit.search({ requestId: live.requestId ?? '' }, T0)).toEqual([live]);
      });
    });

    describe('recovery codes', () => {
      const digests = (count: number) => Array.from({ length: count }, hex);

      it('stores a set of digests, each consumable once, and counts the unused ones', async () => {
        const set = digests(10);
        await store.recoveryCodes.replaceSet('acct-1', set, T0);
        expect(await store.recoveryCodes.countUnused('acct-1')).toBe(10);
        expect(await store.recoveryCodes.consume('acct-1', set[3]!, T0 + 1)).toBe(true);
        expect(await store.recoveryCodes.consume('acct-1', set[3]!, T0 + 2)).toBe(false);
        expect(await store.recoveryCodes.countUnused('acct-1')).toBe(9);
        expect(await store.recoveryCodes.consume('acct-1', set[4]!, T0 + 3)).toBe(true);
        expect(await store.recoveryCodes.countUnused('acct-1')).toBe(8);
      });

      it("refuses a digest the account does not hold, another account's included", async () => {
        const mine = digests(2);
        const theirs = digests(2);
        await store.recoveryCodes.replaceSet('acct-a', mine, T0);
        await store.recoveryCodes.replaceSet('acct-b', theirs, T0);
        expect(await store.recoveryCodes.consume('acct-a', theirs[0]!, T0)).toBe(false);
        expect(await store.recoveryCodes.consume('acct-a', hex(), T0)).toBe(false);
        expect(await store.recoveryCodes.consume('nobody', mine[0]!, T0)).toBe(false);
        expect(await store.recoveryCodes.countUnused('acct-b')).toBe(2);
        expect(await store.recoveryCodes.countUnused('nobody')).toBe(0);
      });

      it('voids the whole old set, used codes included, when a new one replaces it', async () => {
        const old = digests(3);
        await store.recoveryCodes.replaceSet('acct-r', old, T0);
        expect(await store.recoveryCodes.consume('acct-r', old[0]!, T0)).toBe(true);
        const fresh = digests(3);
        await store.recoveryCodes.replaceSet('acct-r', fresh, T0 + 10);
        expect(await store.recoveryCodes.countUnused('acct-r')).toBe(3);
        for (const digest of old) expect(await store.recoveryCodes.consume('acct-r', digest, T0 + 11)).toBe(false);
        expect(await store.recoveryCodes.consume('acct-r', fresh[0]!, T0 + 11)).toBe(true);
      });

      it('lets exactly one of 20 concurrent consumes of one code win', async () => {
        const set = digests(10);
        await store.recoveryCodes.replaceSet('acct-race', set, T0);
        const results = await Promise.all(Array.from({ length: 20 }, () => store.recoveryCodes.consume('acct-race', set[0]!, T0)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.recoveryCodes.countUnused('acct-race')).toBe(9);
      });

      it('leaves exactly one whole set when sets are replaced concurrently', async () => {
        const sets = Array.from({ length: 5 }, () => digests(10));
        await Promise.all(sets.map((set) => store.recoveryCodes.replaceSet('acct-many', set, T0)));
        expect(await store.recoveryCodes.countUnused('acct-many')).toBe(10);
        const usable = await Promise.all(sets.map(async (set) => ((await store.recoveryCodes.consume('acct-many', set[0]!, T0)) ? set : undefined)));
        const winner = usable.filter((set) => set !== undefined);
        expect(winner).toHaveLength(1);
        for (const digest of winner[0]!.slice(1)) expect(await store.recoveryCodes.consume('acct-many', digest, T0)).toBe(true);
      });

      it("deletes an account's codes and no one else's", async () => {
        await store.recoveryCodes.replaceSet('acct-gone', digests(10), T0);
        await store.recoveryCodes.replaceSet('acct-stays', digests(10), T0);
        expect(await store.recoveryCodes.deleteForAccount('acct-gone')).toBe(10);
        expect(await store.recoveryCodes.deleteForAccount('acct-gone')).toBe(0);
        expect(await store.recoveryCodes.countUnused('acct-gone')).toBe(0);
        expect(await store.recoveryCodes.countUnused('acct-stays')).toBe(10);
      });

      it('voids a whole set in one deletion, used codes included: none consumes afterwards, and of 10 concurrent voids one removes it', async () => {
        const set = digests(10);
        await store.recoveryCodes.replaceSet('acct-void', set, T0);
        expect(await store.recoveryCodes.consume('acct-void', set[0]!, T0)).toBe(true);
        const removed = await Promise.all(Array.from({ length: 10 }, () => store.recoveryCodes.deleteForAccount('acct-void')));
        expect(removed.filter((count) => count > 0)).toEqual([10]);
        for (const digest of set) expect(await store.recoveryCodes.consume('acct-void', digest, T0 + 1)).toBe(false);
        expect(await store.recoveryCodes.countUnused('acct-void')).toBe(0);
        // A set made after the void is the account's again.
        const fresh = digests(10);
        await store.recoveryCodes.replaceSet('acct-void', fresh, T0 + 2);
        expect(await store.recoveryCodes.consume('acct-void', fresh[0]!, T0 + 3)).toBe(true);
      });
    });

    describe('registration tokens', () => {
      const token = (overrides: Partial<RegistrationTokenRecord> = {}): RegistrationTokenRecord => ({
        id: id(),
        digest: hex(),
        createdAt: T0,
        expiresAt: T0 + 60_000,
        uses: 1,
        used: 0,
        revokedAt: null,
        ...overrides,
      });

      it('finds a live token by digest only, and not once it has expired or been revoked', async () => {
        const live = token();
        await store.registrationTokens.insert(live);
        expect(await store.registrationTokens.findLive(live.digest, T0)).toEqual(live);
        expect(await store.registrationTokens.findLive(hex(), T0)).toBeUndefined();
        expect(await store.registrationTokens.findLive(live.digest, live.expiresAt)).toBeUndefined();
        expect(await store.registrationTokens.revoke(live.id, T0 + 1)).toBe(true);
        expect(await store.registrationTokens.revoke(live.id, T0 + 2)).toBe(false);
        expect(await store.registrationTokens.findLive(live.digest, T0 + 3)).toBeUndefined();
        expect(await store.registrationTokens.spend(live.digest, T0 + 3)).toBeUndefined();
        expect(await store.registrationTokens.revoke('nobody', T0)).toBe(false);
      });

      it('lets exactly 3 of 12 concurrent spends of a three-use token win, then finds it no more', async () => {
        const three = token({ uses: 3 });
        await store.registrationTokens.insert(three);
        const spent = await Promise.all(Array.from({ length: 12 }, () => store.registrationTokens.spend(three.digest, T0)));
        const won = spent.filter((record) => record !== undefined);
        expect(won).toHaveLength(3);
        expect(won.map((record) => record.used).sort()).toEqual([1, 2, 3]);
        expect(await store.registrationTokens.findLive(three.digest, T0)).toBeUndefined();
        expect((await store.registrationTokens.list()).find((record) => record.id === three.id)).toMatchObject({ uses: 3, used: 3 });
      });

      it('spends nothing of an expired token, lists newest first, and purges expired ones', async () => {
        const older = token({ createdAt: T0 - 10, expiresAt: T0 - 1 });
        const newer = token({ createdAt: T0 });
        await store.registrationTokens.insert(older);
        await store.registrationTokens.insert(newer);
        expect(await store.registrationTokens.spend(older.digest, T0)).toBeUndefined();
        expect((await store.registrationTokens.list()).map((record) => record.id)).toEqual([newer.id, older.id]);
        while ((await store.purgeExpired(T0, 100)) > 0);
        expect((await store.registrationTokens.list()).map((record) => record.id)).toEqual([newer.id]);
      });
    });

    describe('resources', () => {
      const resource = (overrides: Partial<ResourceRecord> = {}): ResourceRecord => ({
        id: id(),
        identifier: `https://api-${id()}.example.com`,
        scopes: [
          { name: 'notes:read', description: 'Read your notes' },
          { name: 'notes:write', description: 'Change your notes' },
        ],
        accessTokenTtlSeconds: 600,
        introspectionClientId: null,
        createdAt: T0,
        updatedAt: T0,
        ...overrides,
      });

      it('finds a resource by id and by identifier, with its scopes in order, and refuses a second with the same id or identifier', async () => {
        const notes = resource();
        await store.resources.create(notes);
        expect(await store.resources.find(notes.id)).toEqual(notes);
        expect(await store.resources.findByIdentifier(notes.identifier)).toEqual(notes);
        expect(await store.resources.findByIdentifier(`${notes.identifier}/`)).toBeUndefined();
        expect(await store.resources.find('nobody')).toBeUndefined();
        await expect(store.resources.create(resource({ identifier: notes.identifier }))).rejects.toBeInstanceOf(DuplicateError);
        await expect(store.resources.create(resource({ id: notes.id }))).rejects.toBeInstanceOf(DuplicateError);
        expect((await store.resources.list()).filter((listed) => listed.identifier === notes.identifier)).toHaveLength(1);
      });

      it('changes only the fields given, sets and clears the introspection client, lists oldest first and deletes', async () => {
        const older = resource({ createdAt: T0 - 10, updatedAt: T0 - 10 });
        const newer = resource();
        await store.resources.create(newer);
        await store.resources.create(older);
        expect(await store.resources.update(older.id, { introspectionClientId: 'rs-client' }, T0 + 1)).toBe(true);
        expect(await store.resources.update(older.id, { accessTokenTtlSeconds: 60 }, T0 + 2)).toBe(true);
        expect(await store.resources.find(older.id)).toEqual({ ...older, introspectionClientId: 'rs-client', accessTokenTtlSeconds: 60, updatedAt: T0 + 2 });
        const scopes = [{ name: 'calendar', description: 'See your calendar' }];
        expect(await store.resources.update(older.id, { scopes, introspectionClientId: null }, T0 + 3)).toBe(true);
        expect(await store.resources.find(older.id)).toMatchObject({ scopes, introspectionClientId: null, accessTokenTtlSeconds: 60, updatedAt: T0 + 3 });
        expect(await store.resources.update('nobody', { accessTokenTtlSeconds: 60 }, T0)).toBe(false);
        const ids = (await store.resources.list()).map((listed) => listed.id);
        expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
        expect(await store.resources.delete(older.id)).toBe(true);
        expect(await store.resources.delete(older.id)).toBe(false);
        expect(await store.resources.find(older.id)).toBeUndefined();
        expect(await store.resources.find(newer.id)).toEqual(newer);
      });
    });

    describe('link requests', () => {
      const linkRequest = (overrides: Partial<LinkRequestRecord> = {}): LinkRequestRecord => ({
        id: id(),
        sealed: 'sealed-delivery',
        createdAt: T0 - 20_000,
        expiresAt: T0 + 600_000,
        leaseOwner: 'answerer',
        leaseUntil: T0 - 5_000,
        ...overrides,
      });

      it('claims only requests whose lease ran out and that have not expired, with a lease of its own', async () => {
        const later = linkRequest({ leaseUntil: T0 - 1 });
        const earlier = linkRequest({ leaseUntil: T0 - 10 });
        const held = linkRequest({ leaseUntil: T0 + 1 });
        const expired = linkRequest({ expiresAt: T0 });
        for (const request of [later, held, expired, earlier]) await store.linkRequests.insert(request);
        const claimed = await store.linkRequests.claim('sweeper', T0, 60_000, 10);
        const byId = (a: LinkRequestRecord, b: LinkRequestRecord) => a.id.localeCompare(b.id);
        expect(claimed.sort(byId)).toEqual([earlier, later].map((request) => ({ ...request, leaseOwner: 'sweeper', leaseUntil: T0 + 60_000 })).sort(byId));
        // Claimed: leased now, so not claimed again until that lease runs out too.
        expect(await store.linkRequests.claim('other', T0 + 1000, 60_000, 10)).toEqual([{ ...held, leaseOwner: 'other', leaseUntil: T0 + 61_000 }]);
        expect((await store.linkRequests.claim('third', T0 + 60_000, 60_000, 10)).map((request) => request.id).sort()).toEqual([earlier.id, later.id].sort());
      });

      it('claims at most the limit, those whose lease ran out first, and leaves the rest for the next claim', async () => {
        const requests = Array.from({ length: 5 }, (_, i) => linkRequest({ leaseUntil: T0 - 100 + i }));
        for (const request of [...requests].reverse()) await store.linkRequests.insert(request);
        const ids = (claimed: LinkRequestRecord[]) => claimed.map((request) => request.id).sort();
        expect(ids(await store.linkRequests.claim('a', T0, 60_000, 3))).toEqual(ids(requests.slice(0, 3)));
        expect(ids(await store.linkRequests.claim('a', T0, 60_000, 3))).toEqual(ids(requests.slice(3)));
      });

      it('gives each request to exactly one of 8 claimers claiming at once', async () => {
        const requests = Array.from({ length: 24 }, (_, i) => linkRequest({ leaseUntil: T0 - 100 + i }));
        for (const request of requests) await store.linkRequests.insert(request);
        const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => store.linkRequests.claim(`claimer-${i}`, T0, 60_000, 24)));
        const ids = claims.flat().map((request) => request.id);
        expect(ids.sort()).toEqual(requests.map((request) => request.id).sort());
        for (const [i, claim] of claims.entries()) for (const request of claim) expect(request.leaseOwner).toBe(`claimer-${i}`);
      });

      it('deletes a request once, and purges expired ones', async () => {
        const done = linkRequest();
        const expired = linkRequest({ expiresAt: T0 - 1 });
        const live = linkRequest({ leaseUntil: T0 + 10 });
        for (const request of [done, expired, live]) await store.linkRequests.insert(request);
        expect(await store.linkRequests.delete(done.id)).toBe(true);
        expect(await store.linkRequests.delete(done.id)).toBe(false);
        while ((await store.purgeExpired(T0, 100)) > 0);
        expect((await store.linkRequests.claim('sweeper', T0 + 10, 60_000, 10)).map((request) => request.id)).toEqual([live.id]);
        // Expired in place (purged), not merely unclaimable: a claim with the clock moved back finds it gone.
        expect((await store.linkRequests.claim('sweeper', T0 - 2, 0, 10)).map((request) => request.id)).toEqual([]);
      });
    });

    describe('purge', () => {
      it('removes expired rows in batches and leaves live ones', async () => {
        for (let i = 0; i < 7; i += 1) {
          await store.oidc.upsert('AccessToken', `old-${i}`, {}, T0 - 1);
          await store.loginTokens.insert(loginToken({ expiresAt: T0 - 1 }));
        }
        await store.oidc.upsert('AccessToken', 'live', {}, T0 + 1000);
        await store.oidc.upsert('Grant', 'forever', {}, null);
        const live = loginToken({ expiresAt: T0 + 1000 });
        await store.loginTokens.insert(live);

        let removed = 0;
        for (let round = 0; round < 10; round += 1) {
          const batch = await store.purgeExpired(T0, 3);
          expect(batch).toBeLessThanOrEqual(6);
          removed += batch;
          if (batch === 0) break;
        }
        expect(removed).toBe(14);
        expect(await store.oidc.find('AccessToken', 'live', T0)).toEqual({});
        expect(await store.oidc.find('Grant', 'forever', T0)).toEqual({});
        expect(await store.loginTokens.findByHash(live.hash)).toEqual(live);
      });
    });

    describe('rate limiter', () => {
      it('counts points per key across limiter instances and refuses past the limit', async () => {
        const rule = { keyPrefix: `test_${id()}`, points: 3, durationSeconds: 60 };
        const limiter = store.createRateLimiter(rule);
        for (let i = 1; i <= 3; i += 1) expect(await limiter.consume('a@example.com')).toEqual({ allowed: true });
        const refusal = await limiter.consume('a@example.com');
        expect(refusal.allowed).toBe(false);
        expect(!refusal.allowed && refusal.retryAfterMs).toBeGreaterThan(50_000);
        // Another limiter on the same store with the same rule sees the same counters (another instance).
        expect((await store.createRateLimiter(rule).consume('a@example.com')).allowed).toBe(false);
        expect(await limiter.consume('b@example.com')).toEqual({ allowed: true });
      });

      it('keeps rules apart by key prefix', async () => {
        const a = store.createRateLimiter({ keyPrefix: `a_${id()}`, points: 1, durationSeconds: 60 });
        const b = store.createRateLimiter({ keyPrefix: `b_${id()}`, points: 1, durationSeconds: 60 });
        await a.consume('k');
        expect(await b.consume('k')).toEqual({ allowed: true });
        expect((await b.consume('k')).allowed).toBe(false);
      });

      it('gives a point back on reward, and peeks without spending', async () => {
        const limiter = store.createRateLimiter({ keyPrefix: `rw_${id()}`, points: 2, durationSeconds: 60 });
        expect(await limiter.peek('k')).toEqual({ allowed: true });
        await limiter.consume('k');
        await limiter.consume('k');
        expect((await limiter.peek('k')).allowed).toBe(false);
        expect((await limiter.consume('k')).allowed).toBe(false);
        // The refused point and one more come back: one consume is allowed again, not two.
        await limiter.reward('k');
        await limiter.reward('k');
        expect(await limiter.peek('k')).toEqual({ allowed: true });
        expect(await limiter.consume('k')).toEqual({ allowed: true });
        expect((await limiter.consume('k')).allowed).toBe(false);
      });

      it('blocks for blockDurationSeconds once spent', async () => {
        const limiter = store.createRateLimiter({ keyPrefix: `blk_${id()}`, points: 1, durationSeconds: 1, blockDurationSeconds: 120 });
        await limiter.consume('k');
        const refusal = await limiter.consume('k');
        expect(!refusal.allowed && refusal.retryAfterMs).toBeGreaterThan(100_000);
      });
    });

    describe('mail queue', () => {
      const claimOne = async (owner: string, now: number, leaseMs: number) => (await store.mailQueue.claimBatch(owner, now, leaseMs, 1))[0];

      it('claims at most the batch size, oldest due first, and leaves the rest for the next claim', async () => {
        const mails = Array.from({ length: 7 }, (_, i) => queuedMail({ nextAttemptAt: T0 - 100 + ((i * 3) % 7), createdAt: T0 - 200 + i }));
        const notDue = queuedMail({ nextAttemptAt: T0 + 5000 });
        for (const mail of [notDue, ...mails]) await store.mailQueue.enqueue(mail);
        const byDue = [...mails].sort((a, b) => a.nextAttemptAt - b.nextAttemptAt).map((mail) => mail.id);
        const first = await store.mailQueue.claimBatch('w', T0, 30_000, 3);
        expect(first.map((mail) => mail.id)).toEqual(byDue.slice(0, 3));
        for (const mail of first) expect(mail).toMatchObject({ attempts: 1, leaseUntil: T0 + 30_000, sealed: 'sealed-content' });
        const rest = await store.mailQueue.claimBatch('w', T0, 30_000, 50);
        expect(rest.map((mail) => mail.id)).toEqual(byDue.slice(3));
        expect(await store.mailQueue.claimBatch('w', T0, 30_000, 50)).toEqual([]);
      });

      it('stores a message once: a second enqueue with its id changes nothing and says so', async () => {
        const mail = queuedMail();
        expect(await store.mailQueue.enqueue(mail)).toBe(true);
        expect(await store.mailQueue.enqueue({ ...mail, sealed: 'other-content', to: 'other@example.com', createdAt: T0 + 1 })).toBe(false);
        const claimed = await store.mailQueue.claimBatch('w', T0 + 10, 30_000, 10);
        expect(claimed).toHaveLength(1);
        expect(claimed[0]).toMatchObject({ id: mail.id, to: mail.to, sealed: mail.sealed, createdAt: mail.createdAt });
      });

      it('never gives two owners claiming at once the same message', async () => {
        const mails = Array.from({ length: 30 }, (_, i) => queuedMail({ createdAt: T0 - 100 + i }));
        for (const mail of mails) await store.mailQueue.enqueue(mail);
        const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => store.mailQueue.claimBatch(`owner-${i}`, T0, 30_000, 8)));
        const ids = claims.flat().map((mail) => mail.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.sort()).toEqual(mails.map((mail) => mail.id).sort());
        for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(8);
        // Every completion is accepted from the owner that claimed it and no other.
        for (const [i, claim] of claims.entries())
          for (const mail of claim) {
            expect(await store.mailQueue.complete(mail.id, `owner-${(i + 1) % 6}`, { status: 'sent', providerMessageId: `x-${mail.id}` }, T0)).toBe(false);
            expect(await store.mailQueue.complete(mail.id, `owner-${i}`, { status: 'sent', providerMessageId: mail.id }, T0)).toBe(true);
          }
      });

      it('reclaims messages whose lease ran out in a batch, never those still leased', async () => {
        const early = queuedMail({ createdAt: T0 - 20, nextAttemptAt: T0 - 20 });
        const late = queuedMail({ createdAt: T0 - 10, nextAttemptAt: T0 - 10 });
        await store.mailQueue.enqueue(early);
        await store.mailQueue.enqueue(late);
        expect((await store.mailQueue.claimBatch('a', T0, 1000, 1)).map((mail) => mail.id)).toEqual([early.id]);
        expect((await store.mailQueue.claimBatch('b', T0 + 500, 1000, 10)).map((mail) => mail.id)).toEqual([late.id]);
        // a's lease has run out, b's has not: only a's message is taken again, its attempt counted.
        const retaken = await store.mailQueue.claimBatch('c', T0 + 1000, 1000, 10);
        expect(retaken.map((mail) => [mail.id, mail.attempts])).toEqual([[early.id, 2]]);
        expect(await store.mailQueue.complete(early.id, 'a', { status: 'sent', providerMessageId: 'late-a' }, T0 + 1001)).toBe(false);
        expect(await store.mailQueue.claimBatch('d', T0 + 1499, 1000, 10)).toEqual([]);
      });

      it('claims a due message once, with a lease, and counts the attempt', async () => {
        const mail = queuedMail();
        await store.mailQueue.enqueue(mail);
        const claimed = await claimOne('worker-a', T0, 30_000);
        expect(claimed).toMatchObject({ id: mail.id, attempts: 1, leaseUntil: T0 + 30_000, sealed: 'sealed-content' });
        expect(await claimOne('worker-b', T0 + 1, 30_000)).toBeUndefined();
        // The lease runs out (the worker died): another worker takes it over.
        const retaken = await claimOne('worker-b', T0 + 30_000, 30_000);
        expect(retaken).toMatchObject({ id: mail.id, attempts: 2 });
        // The first worker's late completion is ignored; the holder's counts.
        expect(await store.mailQueue.complete(mail.id, 'worker-a', { status: 'sent', providerMessageId: 'pm-1' }, T0 + 30_001)).toBe(false);
        expect(await store.mailQueue.complete(mail.id, 'worker-b', { status: 'sent', providerMessageId: 'pm-1' }, T0 + 30_002)).toBe(true);
        const done = await store.mailQueue.latestFor(mail.interactionUid!, mail.bindingHash!);
        expect(done).toMatchObject({ status: 'sent', sealed: null, providerMessageId: 'pm-1', leaseUntil: null });
      });

      it('lets exactly one of many concurrent workers claim a message', async () => {
        await store.mailQueue.enqueue(queuedMail());
        const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => claimOne(`w${i}`, T0, 30_000)));
        expect(claims.filter(Boolean)).toHaveLength(1);
      });

      it('does not claim messages that are not due yet, and claims the oldest due first', async () => {
        const later = queuedMail({ nextAttemptAt: T0 + 5000 });
        const first = queuedMail({ nextAttemptAt: T0 - 10, createdAt: T0 - 10 });
        const second = queuedMail({ nextAttemptAt: T0 - 5, createdAt: T0 - 5 });
        for (const mail of [later, second, first]) await store.mailQueue.enqueue(mail);
        expect((await claimOne('w', T0, 1000))?.id).toBe(first.id);
        expect((await claimOne('w', T0, 1000))?.id).toBe(second.id);
        expect(await claimOne('w', T0, 1000)).toBeUndefined();
        for (const mail of [first, second]) await store.mailQueue.complete(mail.id, 'w', { status: 'sent', providerMessageId: mail.id }, T0);
        expect((await claimOne('w', T0 + 5000, 1000))?.id).toBe(later.id);
      });

      it('reschedules a retry and gives up with the error, dropping the content', async () => {
        const mail = queuedMail();
        await store.mailQueue.enqueue(mail);
        await claimOne('w', T0, 1000);
        await store.mailQueue.complete(mail.id, 'w', { status: 'retry', nextAttemptAt: T0 + 4000, error: 'HTTP 503' }, T0 + 1);
        expect(await claimOne('w', T0 + 3999, 1000)).toBeUndefined();
        const again = await claimOne('w', T0 + 4000, 1000);
        expect(again).toMatchObject({ attempts: 2, lastError: 'HTTP 503', sealed: 'sealed-content' });
        await store.mailQueue.complete(mail.id, 'w', { status: 'failed', error: 'gave up' }, T0 + 4001);
        expect(await store.mailQueue.latestFor(mail.interactionUid!, mail.bindingHash!)).toMatchObject({
          status: 'failed',
          sealed: null,
          lastError: 'gave up',
        });
        expect(await claimOne('w', T0 + 10 ** 9, 1000)).toBeUndefined();
      });

      it('records delivery reports by provider message id', async () => {
        const mail = queuedMail();
        await store.mailQueue.enqueue(mail);
        await claimOne('w', T0, 1000);
        await store.mailQueue.complete(mail.id, 'w', { status: 'sent', providerMessageId: 'pm-9' }, T0 + 7);
        // The first report says when the message was sent (for the sent-to-delivered latency); later ones cannot.
        expect(await store.mailQueue.recordDelivery('pm-9', 'delivered', null, T0 + 100)).toEqual({ sentAt: T0 + 7 });
        expect((await store.mailQueue.latestFor(mail.interactionUid!, mail.bindingHash!))?.status).toBe('delivered');
        expect(await store.mailQueue.recordDelivery('pm-9', 'suppressed', 'HardBounce', T0 + 200)).toEqual({ sentAt: null });
        expect(await store.mailQueue.latestFor(mail.interactionUid!, mail.bindingHash!)).toMatchObject({ status: 'suppressed', lastError: 'HardBounce' });
        expect(await store.mailQueue.recordDelivery('unknown', 'delivered', null, T0)).toBeUndefined();
      });

      it('counts the messages waiting to be sent and knows when the oldest was queued', async () => {
        expect(await store.mailQueue.queued()).toEqual({ count: 0, oldestCreatedAt: null });
        const sent = queuedMail({ createdAt: T0 - 50, nextAttemptAt: T0 - 50 });
        await store.mailQueue.enqueue(sent);
        await claimOne('w', T0, 1000);
        await store.mailQueue.complete(sent.id, 'w', { status: 'sent', providerMessageId: 'pm-q' }, T0);
        // Waiting for a retry or held by a worker, a message still counts as queued.
        for (const mail of [queuedMail({ createdAt: T0 + 5 }), queuedMail({ createdAt: T0 - 10, nextAttemptAt: T0 + 10 ** 6 })])
          await store.mailQueue.enqueue(mail);
        await claimOne('w', T0 + 5, 1000);
        expect(await store.mailQueue.queued()).toEqual({ count: 2, oldestCreatedAt: T0 - 10 });
      });

      it('sums the queue up by state, with the latest failures and bounces newest first', async () => {
        expect(await store.mailQueue.summary(10)).toEqual({ counts: { queued: 0, sent: 0, delivered: 0, failed: 0, suppressed: 0 }, recentFailures: [] });
        const [given, refused, bounced, delivered] = [1, 2, 3, 4].map((n) => queuedMail({ createdAt: T0 + n, nextAttemptAt: T0 + n }));
        for (const mail of [given!, refused!, bounced!, delivered!]) await store.mailQueue.enqueue(mail);
        await store.mailQueue.enqueue(queuedMail({ createdAt: T0 + 5, nextAttemptAt: T0 + 10 ** 9 }));
        await store.mailQueue.claimBatch('w', T0 + 10, 1000, 4);
        await store.mailQueue.complete(given!.id, 'w', { status: 'failed', error: 'gave up' }, T0 + 20);
        await store.mailQueue.complete(refused!.id, 'w', { status: 'suppressed', error: 'suppressed' }, T0 + 30);
        await store.mailQueue.complete(bounced!.id, 'w', { status: 'sent', providerMessageId: 'pm-summary-1' }, T0 + 11);
        await store.mailQueue.complete(delivered!.id, 'w', { status: 'sent', providerMessageId: 'pm-summary-2' }, T0 + 12);
        await store.mailQueue.recordDelivery('pm-summary-1', 'failed', 'HardBounce', T0 + 40);
        await store.mailQueue.recordDelivery('pm-summary-2', 'delivered', null, T0 + 41);

        const summary = await store.mailQueue.summary(10);
        expect(summary.counts).toEqual({ queued: 1, sent: 0, delivered: 1, failed: 2, suppressed: 1 });
        expect(summary.recentFailures.map((mail) => [mail.id, mail.status, mail.lastError])).toEqual([
          [bounced!.id, 'failed', 'HardBounce'],
          [refused!.id, 'suppressed', 'suppressed'],
          [given!.id, 'failed', 'gave up'],
        ]);
        expect((await store.mailQueue.summary(1)).recentFailures.map((mail) => mail.id)).toEqual([bounced!.id]);
      });

      it('finds the newest message of a sign-in for one browser', async () => {
        const uid = id();
        const binding = hex();
        const older = queuedMail({ interactionUid: uid, bindingHash: binding, createdAt: T0 });
        const newer = queuedMail({ interactionUid: uid, bindingHash: binding, createdAt: T0 + 1 });
        const otherBrowser = queuedMail({ interactionUid: uid, bindingHash: hex(), createdAt: T0 + 2 });
        for (const mail of [older, newer, otherBrowser]) await store.mailQueue.enqueue(mail);
        expect((await store.mailQueue.latestFor(uid, binding))?.id).toBe(newer.id);
        expect(await store.mailQueue.latestFor(uid, hex())).toBeUndefined();
      });

      it('purges finished messages, never queued ones', async () => {
        const finished = queuedMail();
        const waiting = queuedMail({ nextAttemptAt: T0 + 10 ** 9 });
        await store.mailQueue.enqueue(finished);
        await store.mailQueue.enqueue(waiting);
        await claimOne('w', T0, 1000);
        await store.mailQueue.complete(finished.id, 'w', { status: 'sent', providerMessageId: 'pm-p' }, T0);
        expect(await store.mailQueue.purgeFinished(T0 + 1, 10)).toBe(1);
        expect(await store.mailQueue.latestFor(waiting.interactionUid!, waiting.bindingHash!)).toBeDefined();
      });
    });

    describe('suppressions', () => {
      it('suppresses an address case-insensitively, keeping the first reason', async () => {
        expect(await store.suppressions.reasonFor('bounce@example.com')).toBeUndefined();
        await store.suppressions.suppress('Bounce@Example.com', 'HardBounce', T0);
        await store.suppressions.suppress('bounce@example.com', 'SpamComplaint', T0 + 1);
        expect(await store.suppressions.reasonFor('BOUNCE@example.COM')).toBe('HardBounce');
      });

      it('never folds a non-ASCII look-alike into an ASCII suppression', async () => {
        await store.suppressions.suppress('karl@example.com', 'HardBounce', T0);
        expect(await store.suppressions.reasonFor('\u212Aarl@example.com')).toBeUndefined();
        expect(await store.suppressions.lift('\u212Aarl@example.com')).toBe(false);
        expect(await store.suppressions.reasonFor('karl@example.com')).toBe('HardBounce');
      });

      it('lists every suppression by address, with its reason and time', async () => {
        expect(await store.suppressions.list()).toEqual([]);
        await store.suppressions.suppress('zed@example.com', 'SpamComplaint', T0 + 2);
        await store.suppressions.suppress('Ann@Example.com', 'HardBounce', T0 + 1);
        expect(await store.suppressions.list()).toEqual([
          { email: 'ann@example.com', reason: 'HardBounce', createdAt: T0 + 1 },
          { email: 'zed@example.com', reason: 'SpamComplaint', createdAt: T0 + 2 },
        ]);
      });

      it('lifts a suppression once, and the address can be suppressed again afterwards', async () => {
        await store.suppressions.suppress('gone@example.com', 'HardBounce', T0);
        await store.suppressions.suppress('other@example.com', 'HardBounce', T0);
        expect(await store.suppressions.lift('GONE@example.com')).toBe(true);
        expect(await store.suppressions.reasonFor('gone@example.com')).toBeUndefined();
        expect(await store.suppressions.lift('gone@example.com')).toBe(false);
        expect((await store.suppressions.list()).map((entry) => entry.email)).toEqual(['other@example.com']);
        await store.suppressions.suppress('gone@example.com', 'SpamComplaint', T0 + 5);
        expect(await store.suppressions.reasonFor('gone@example.com')).toBe('SpamComplaint');
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
