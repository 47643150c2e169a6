// Index upgrades at start. createIndexes() cannot change an index: a definition that changed under
// the same name (IndexOptionsConflict, IndexKeySpecsConflict) or the same keys under a new name
// fails, and an index the code stopped declaring stays forever. So start compares what each
// collection has with what the code declares (planIndexes, a pure function the unit tests drive),
// drops what no longer matches and creates what is missing. linkid owns the indexes of its own
// collections: an index added by hand to one of them is dropped at the next start. Between a drop
// and its create the index is absent (a unique one enforces nothing), so an upgrade that changes
// indexes is best started on one instance before the others.
import type { Connection, Schema, mongo } from 'mongoose';

type Collection = mongo.Collection<mongo.Document>;

/** The parts of an index that change what it does; anything else (v, ns, background) is ignored. */
export interface IndexDefinition {
  readonly name: string;
  readonly key: Readonly<Record<string, 1 | -1>>;
  readonly unique?: boolean;
  readonly sparse?: boolean;
  readonly expireAfterSeconds?: number;
  readonly partialFilterExpression?: Readonly<Record<string, unknown>>;
}

export interface IndexPlan {
  /** Names of existing indexes to drop, first. */
  readonly drop: readonly string[];
  /** Declared indexes to create, after the drops. */
  readonly create: readonly IndexDefinition[];
}

/** The name the server gives an index when none is set: keys and directions joined by "_". */
export const defaultIndexName = (key: Readonly<Record<string, unknown>>): string =>
  Object.entries(key)
    .map(([field, direction]) => `${field}_${String(direction)}`)
    .join('_');

/** An index as listIndexes() or a mongoose schema describes it, reduced to what matters. */
export function indexDefinition(key: Record<string, unknown>, options: Record<string, unknown> = {}): IndexDefinition {
  return {
    name: typeof options.name === 'string' ? options.name : defaultIndexName(key),
    key: Object.fromEntries(Object.entries(key).map(([field, direction]) => [field, Number(direction) === -1 ? -1 : 1])),
    ...(options.unique === true ? { unique: true } : {}),
    ...(options.sparse === true ? { sparse: true } : {}),
    ...(typeof options.expireAfterSeconds === 'number' ? { expireAfterSeconds: options.expireAfterSeconds } : {}),
    ...(options.partialFilterExpression ? { partialFilterExpression: options.partialFilterExpression as Record<string, unknown> } : {}),
  };
}

// Key order matters in an index (and in JSON), so the comparison is on the ordered form.
const canonical = (index: IndexDefinition) =>
  JSON.stringify([
    index.name,
    Object.entries(index.key),
    index.unique ?? false,
    index.sparse ?? false,
    index.expireAfterSeconds ?? null,
    index.partialFilterExpression ?? null,
  ]);

/**
 * What to do so that `existing` becomes `declared`: every existing index (but _id's) that is not
 * exactly a declared one is dropped, every declared one not exactly present is created. Dropping
 * first frees the name and the key pattern for the new definition.
 */
export function planIndexes(declared: readonly IndexDefinition[], existing: readonly IndexDefinition[]): IndexPlan {
  const wanted = new Set(declared.map(canonical));
  const present = new Set(existing.map(canonical));
  return {
    drop: existing.filter((index) => index.name !== '_id_' && !wanted.has(canonical(index))).map((index) => index.name),
    create: declared.filter((index) => !present.has(canonical(index))),
  };
}

/** Start-up could not bring a collection's indexes to what the code declares. */
export class IndexUpgradeError extends Error {
  constructor(
    readonly collection: string,
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step} on collection ${collection} failed: ${(cause as Error).message}`, { cause });
    this.name = 'IndexUpgradeError';
  }
}

const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
const codeOf = (error: unknown) => (error as { code?: unknown }).code;

async function existingIndexes(collection: Collection): Promise<IndexDefinition[]> {
  try {
    const listed = await collection.listIndexes().toArray();
    return listed.map(({ key, ...options }) => indexDefinition(key as Record<string, unknown>, options as Record<string, unknown>));
  } catch (error) {
    // A collection that does not exist yet has no indexes; createIndex creates it.
    if (codeOf(error) === NAMESPACE_NOT_FOUND) return [];
    throw error;
  }
}

/** What reconcileIndexes would do to one collection, without doing it (`linkid-admin migrate --dry-run`). */
export async function planCollectionIndexes(collection: Collection, declared: readonly IndexDefinition[]): Promise<IndexPlan> {
  return planIndexes(declared, await existingIndexes(collection));
}

/**
 * Brings one collection's indexes to `declared`. Several instances may start at once: an index
 * another one already dropped is not an error, and creating an identical index is a no-op.
 */
export async function reconcileIndexes(collection: Collection, declared: readonly IndexDefinition[]): Promise<IndexPlan> {
  const existing = await existingIndexes(collection).catch((error: unknown) => {
    throw new IndexUpgradeError(collection.collectionName, 'listing indexes', error);
  });
  const plan = planIndexes(declared, existing);
  for (const name of plan.drop) {
    try {
      await collection.dropIndex(name);
    } catch (error) {
      if (codeOf(error) !== INDEX_NOT_FOUND)
        throw new IndexUpgradeError(collection.collectionName, `dropping index ${name} (no longer declared as it is)`, error);
    }
  }
  for (const { name, key, ...options } of plan.create) {
    try {
      await collection.createIndex({ ...key }, { name, ...options });
    } catch (error) {
      throw new IndexUpgradeError(collection.collectionName, `creating index ${name} ${JSON.stringify({ key, ...options })}`, error);
    }
  }
  return plan;
}

/** The indexes a mongoose schema declares, as definitions. */
export const declaredIndexes = (schema: Schema): IndexDefinition[] =>
  schema.indexes().map(([key, options]) => indexDefinition(key as Record<string, unknown>, (options ?? {}) as Record<string, unknown>));

/** The driver's own collection, so index commands go straight to the server. */
export function nativeCollection(connection: Connection, name: string): Collection {
  if (!connection.db) throw new Error('MongoDB connection is not open');
  return connection.db.collection(name);
}
