// Which address hashes (addressHash, src/kernel/email-address.ts) belong to an account, for
// AuditStore.forgetAddress in both stores. An event's own fields say whose address a hash is only
// where it records a change of the account's address: `previousEmailHash` (the address it had)
// or `undoneEmailHash` (the address an undo took away), next to `emailHash` (the one it then
// had). Elsewhere an account's `emailHash` may be of an address it only asked for, which another
// account holds (a change refused as email_taken): wiping that value from every event would let
// anyone delete another person's hashes from the trail by asking for their address and then
// deleting their own account.
//
// The same holds for addresses in clear: an account's own events and the events of the requests
// it changed its address in (the confirm link mailed to the new address, the notice to the old
// one, the in-use notice to another account's address) name addresses it held and addresses it
// only asked for alike. An address found there counts as held only if its hash is one of
// addressesHeld: only then is it forgotten in every event that names it. A change or an undo
// names the address it gave the account (`email`), so with account.created the account's own
// events name every address it held; events written before they did name hashes only, and for
// them the mail queued in the same request names the address (the notice goes to the old one).
import { addressHash } from '../kernel/email-address.js';
import { addressKey } from './address-key.js';

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

/** An event of the account that carries an address hash (ADDRESS_HASH_FIELDS), as a store reads it. */
export interface AddressEvent {
  readonly requestId?: string | null;
  readonly fields: Record<string, unknown>;
}

/**
 * From the account's events that carry an address hash: the hashes of the addresses it held
 * (addressesHeld over its changes of address), and the requests those events were made in, whose
 * events name in clear the addresses behind old, hash-only changes.
 */
export function heldHashesAndRequests(current: string, events: readonly AddressEvent[]): { held: string[]; requestIds: string[] } {
  const changes = events.map((event) => event.fields).filter((fields) => ADDRESS_CHANGE_FIELDS.some((field) => typeof fields[field] === 'string'));
  const requestIds = new Set(events.flatMap((event) => (typeof event.requestId === 'string' ? [event.requestId] : [])));
  return { held: addressesHeld(current, changes), requestIds: [...requestIds] };
}

/**
 * The keys (addressKey) of the addresses the account held, to find every event that names one in
 * clear: `current` (its address at deletion), and each of `named` (addresses in clear in its own
 * events and in the requests of its address events) whose hash is one of `held` (addressesHeld).
 * Any other address named there is one it only asked for, or another person's: not its to forget.
 */
export function addressKeysHeld(current: string, named: Iterable<string>, held: readonly string[]): string[] {
  const hashes = new Set(held);
  const keys = new Set([addressKey(current)]);
  for (const email of named) {
    const key = addressKey(email);
    if (hashes.has(addressHash(key))) keys.add(key);
  }
  return [...keys];
}
