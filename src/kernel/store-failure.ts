// Why the store cannot serve right now, as one of a few kinds: the label of
// linkid_store_errors_total, the `cause` /readyz gives, and what the operator's alert names. The
// stores decide the kind of their own driver's errors (by code and name, never message text); the
// file-system errors of what linkid writes next to the store (the mail outbox in DATA_DIR) are
// decided here, so both say "full" for the same full disk.

/** Every kind, a fixed set: a label value never comes from an error's text. */
export const STORE_FAILURE_KINDS = ['full', 'readonly', 'io', 'busy', 'unreachable'] as const;

export type StoreFailureKind = (typeof STORE_FAILURE_KINDS)[number];

/**
 * The kinds that say writes fail while reads may still work (a full or read-only disk, failing
 * I/O): linkid then refuses what would write, and /readyz says so, until writes work again.
 */
export const WRITE_FAILURES: ReadonlySet<StoreFailureKind> = new Set<StoreFailureKind>(['full', 'readonly', 'io']);

/** Thrown before work that needs a write is accepted, when the store is known not to take writes. */
export class StoreUnavailableError extends Error {
  readonly kind: StoreFailureKind;
  constructor(kind: StoreFailureKind) {
    super(`the store cannot take writes (${kind})`);
    this.name = 'StoreUnavailableError';
    this.kind = kind;
  }
}

const FILE_ERRORS: ReadonlyMap<string, StoreFailureKind> = new Map([
  ['ENOSPC', 'full'],
  ['EDQUOT', 'full'],
  ['EFBIG', 'full'],
  ['EROFS', 'readonly'],
  ['EIO', 'io'],
]);

/** The kind of a Node.js file-system error (`code` ENOSPC, EROFS, ...); undefined for any other error. */
export function fileFailureKind(error: unknown): StoreFailureKind | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? FILE_ERRORS.get(code) : undefined;
}
