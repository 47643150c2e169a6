// Which address hashes (addressHash, src/login/email-address.ts) belong to an account, for
// AuditStore.forgetAddress in both stores. An event's own fields say whose address a hash is only
// where it records a change of the account's address: `previousEmailHash` (the address it had)
// or `undoneEmailHash` (the address an undo took away), next to `emailHash` (the one it then
// had). Elsewhere an account's `emailHash` may be of an address it only asked for, which another
// account holds (a change refused as email_taken): wiping that value from every event would let
// anyone delete another person's hashes from the trail by asking for their address and then
// deleting their own account.

/** The fields of an event that hold an address hash. */
export const ADDRESS_HASH_FIELDS = ['emailHash', 'previousEmailHash', 'undoneEmailHash'] as const;

/** The fields that make an event of the account a record of a change of its own address. */
export const ADDRESS_CHANGE_FIELDS = ['previousEmailHash', 'undoneEmailHash'] as const;

/**
 * The hashes of every address the account held: `current` (its address at deletion) and both
 * sides of each change of address among `changes` (the fields of its events that have an
 * ADDRESS_CHANGE_FIELDS field).
 */
export function addressesHeld(current: string, changes: readonly Record<string, unknown>[]): string[] {
  const held = new Set([current]);
  for (const fields of changes) {
    for (const field of ADDRESS_HASH_FIELDS) {
      const value = fields[field];
      if (typeof value === 'string') held.add(value);
    }
  }
  return [...held];
}

/** `fields` without the address hashes an event keeps no longer: all of them in the account's own events, else only those of `held`. */
export function withoutAddressHashes(fields: Record<string, unknown>, own: boolean, held: ReadonlySet<string>): Record<string, unknown> {
  const drop = (key: string, value: unknown) =>
    (ADDRESS_HASH_FIELDS as readonly string[]).includes(key) && (own || (typeof value === 'string' && held.has(value)));
  return Object.fromEntries(Object.entries(fields).filter(([key, value]) => !drop(key, value)));
}
