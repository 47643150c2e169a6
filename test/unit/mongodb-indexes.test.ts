// Index upgrades on MongoDB, planned without a server: what start-up drops and creates when the
// code's index definitions differ from what an older linkid left in the database. A small
// in-memory collection answers like mongod does (IndexOptionsConflict / IndexKeySpecsConflict
// when a definition changes under a name or keys are reused under another), so the test shows
// both why createIndex alone fails and that reconciling succeeds.
import { describe, expect, it } from 'vitest';
import { declaredIndexes, indexDefinition, planIndexes, reconcileIndexes, type IndexDefinition } from '../../src/store/mongodb/indexes.js';
import { loginTokenSchema, mailSchema, oidcSchema } from '../../src/store/mongodb/schemas.js';

const idIndex = { v: 2, key: { _id: 1 }, name: '_id_' };

/** What listIndexes() answers, turned into definitions as reconcileIndexes does. */
const listed = (...indexes: { key: Record<string, number>; name: string; [option: string]: unknown }[]) =>
  indexes.map(({ key, ...options }) => indexDefinition(key, options));

class FakeCollection {
  readonly calls: string[] = [];
  constructor(
    readonly collectionName: string,
    public indexes: { key: Record<string, number>; name: string; [option: string]: unknown }[],
  ) {}
  listIndexes() {
    return { toArray: async () => this.indexes.map((index) => ({ v: 2, ...index })) };
  }
  async dropIndex(name: string) {
    this.calls.push(`drop ${name}`);
    if (!this.indexes.some((index) => index.name === name)) throw Object.assign(new Error(`index not found with name [${name}]`), { code: 27 });
    this.indexes = this.indexes.filter((index) => index.name !== name);
  }
  async createIndex(key: Record<string, number>, options: { name: string; [option: string]: unknown }) {
    this.calls.push(`create ${options.name}`);
    const wanted = indexDefinition(key, options);
    for (const index of this.indexes) {
      const { key: existingKey, ...existingOptions } = index;
      const same = JSON.stringify(indexDefinition(existingKey, existingOptions)) === JSON.stringify(wanted);
      if (same) return options.name;
      const sameKey = JSON.stringify(Object.entries(existingKey)) === JSON.stringify(Object.entries(key));
      // As mongod: same keys with other options or another name is IndexOptionsConflict, the same name on other keys IndexKeySpecsConflict.
      if (sameKey) throw Object.assign(new Error(`An equivalent index already exists with different options or name: ${index.name}`), { code: 85 });
      if (index.name === options.name) throw Object.assign(new Error(`An existing index has the same name as the requested index`), { code: 86 });
    }
    this.indexes.push({ key, ...options });
    return options.name;
  }
}

describe('planIndexes', () => {
  const declared = declaredIndexes(mailSchema);

  it('creates every declared index in an empty collection and drops nothing', () => {
    expect(planIndexes(declared, [])).toEqual({ drop: [], create: declared });
  });

  it('does nothing when the collection already has exactly the declared indexes (extra fields such as v ignored)', () => {
    const existing = listed(idIndex, ...declared.map(({ name, key, ...options }) => ({ name, key: { ...key }, v: 2, background: true, ...options })));
    expect(planIndexes(declared, existing)).toEqual({ drop: [], create: [] });
  });

  it("replaces the worker's old claim index, whose keys the new one extends", () => {
    const old = listed(idIndex, { key: { status: 1, nextAttemptAt: 1 }, name: 'status_1_nextAttemptAt_1' });
    const plan = planIndexes(declared, old);
    expect(plan.drop).toEqual(['status_1_nextAttemptAt_1']);
    expect(plan.create.map((index) => index.name)).toContain('status_1_nextAttemptAt_1_createdAt_1');
  });

  it('drops an index the code no longer declares (the old interactionUid_1 on login_tokens)', () => {
    const tokens = declaredIndexes(loginTokenSchema);
    const existing = listed(idIndex, ...tokens.map(({ key, ...options }) => ({ key: { ...key }, ...options })), {
      key: { interactionUid: 1 },
      name: 'interactionUid_1',
    });
    expect(planIndexes(tokens, existing)).toEqual({ drop: ['interactionUid_1'], create: [] });
  });

  it('drops and recreates an index whose options changed under the same name', () => {
    const cases: [IndexDefinition, Record<string, unknown>][] = [
      [indexDefinition({ expiresAt: 1 }, { expireAfterSeconds: 0 }), { expireAfterSeconds: 3600 }],
      [indexDefinition({ hash: 1 }, { unique: true }), {}],
      [indexDefinition({ 'payload.uid': 1 }, { partialFilterExpression: { 'payload.uid': { $exists: true } } }), {}],
      [indexDefinition({ a: 1 }, { partialFilterExpression: { a: { $type: 'string' } } }), { partialFilterExpression: { a: { $exists: true } } }],
    ];
    for (const [wanted, oldOptions] of cases) {
      const existing = listed({ key: { ...wanted.key }, name: wanted.name, ...oldOptions });
      expect(planIndexes([wanted], existing), wanted.name).toEqual({ drop: [wanted.name], create: [wanted] });
    }
  });

  it('treats key order and direction as part of the index', () => {
    const wanted = indexDefinition({ a: 1, b: -1 }, { name: 'ab' });
    expect(planIndexes([wanted], listed({ key: { b: -1, a: 1 }, name: 'ab' }))).toEqual({ drop: ['ab'], create: [wanted] });
    expect(planIndexes([wanted], listed({ key: { a: 1, b: 1 }, name: 'ab' }))).toEqual({ drop: ['ab'], create: [wanted] });
  });

  it('never drops _id_', () => {
    expect(planIndexes([], listed(idIndex)).drop).toEqual([]);
  });

  it('names indexes as the server does', () => {
    expect(declaredIndexes(oidcSchema).map((index) => index.name)).toEqual([
      'payload.uid_1',
      'payload.userCode_1',
      'payload.grantId_1',
      'payload.accountId_1',
      'expiresAt_1',
    ]);
  });
});

describe('reconcileIndexes', () => {
  const oldMailIndexes = (): { key: Record<string, number>; name: string; [option: string]: unknown }[] => [
    { key: { _id: 1 }, name: '_id_' },
    { key: { status: 1, nextAttemptAt: 1 }, name: 'status_1_nextAttemptAt_1' },
    { key: { updatedAt: 1 }, name: 'updatedAt_1', expireAfterSeconds: 86_400 },
  ];

  it('is needed: creating the new definitions over the old ones fails as mongod fails', async () => {
    const collection = new FakeCollection('mail_queue', oldMailIndexes());
    const creates = declaredIndexes(mailSchema).map(({ name, key, ...options }) => collection.createIndex({ ...key }, { name, ...options }));
    await expect(Promise.all(creates)).rejects.toMatchObject({ code: expect.toBeOneOf([85, 86]) });
  });

  it('drops first, then creates, and ends with exactly the declared indexes; a second run does nothing', async () => {
    const collection = new FakeCollection('mail_queue', oldMailIndexes());
    const declared = declaredIndexes(mailSchema);
    await reconcileIndexes(collection as never, declared);
    expect(collection.calls.slice(0, 2)).toEqual(['drop status_1_nextAttemptAt_1', 'drop updatedAt_1']);
    expect(collection.indexes.map((index) => index.name).sort()).toEqual(['_id_', ...declared.map((index) => index.name)].sort());
    const again = await reconcileIndexes(collection as never, declared);
    expect(again).toEqual({ drop: [], create: [] });
  });

  it('accepts an index another instance dropped in the meantime', async () => {
    const collection = new FakeCollection('login_tokens', [{ key: { interactionUid: 1 }, name: 'interactionUid_1' }]);
    const listing = collection.listIndexes();
    collection.listIndexes = () => ({
      toArray: async () => {
        const indexes = await listing.toArray();
        collection.indexes = [];
        return indexes;
      },
    });
    await expect(reconcileIndexes(collection as never, declaredIndexes(loginTokenSchema))).resolves.toMatchObject({ drop: ['interactionUid_1'] });
  });

  it('says which collection, which step and which index failed', async () => {
    const collection = new FakeCollection('users', []);
    collection.createIndex = async () => {
      throw Object.assign(new Error('E11000 duplicate key error collection: linkid.users index: emailKey_1'), { code: 11000 });
    };
    await expect(reconcileIndexes(collection as never, [indexDefinition({ emailKey: 1 }, { unique: true })])).rejects.toThrow(
      'creating index emailKey_1 {"key":{"emailKey":1},"unique":true} on collection users failed: E11000 duplicate key error',
    );
  });
});
