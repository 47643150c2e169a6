// The email form's promise, kept durable. The form answers "check your email" before anything
// about the address is looked up (request-link.ts); the work that depends on the address runs
// after the answer (deliver-link.ts). A process killed between the two would break the promise,
// so before answering the form stores a link request: one insert, the same for every address,
// holding what deliverLink needs, sealed (AES-256-GCM under a key derived from the server secret
// and bound to the row's id), so the address and IP are not readable from the store.
//
// Rules:
// - the process that answered holds the request's lease for a grace (LINK_REQUEST_GRACE_SECONDS,
//   15 s): it runs deliverLink after the answer and then deletes the request;
// - a request whose lease ran out (its process died, or the store failed under it) is claimed by
//   a sweep, in every serving process at start and then every few seconds; the claim is one
//   atomic write, so one claimer (worker or instance) does the work; a claimer that dies leaves
//   its lease to run out in turn;
// - the work can run again safely: the email's id is the request's id and the queue stores one
//   message per id, so a run after "queued, not yet deleted" queues nothing; a run after "token
//   stored, not yet queued" stores a new token and mails that one (the first was never mailed, so
//   nobody holds it, and it expires unused);
// - a request outlives no link: it expires with the longest link lifetime (the global cap), is
//   never claimed after that, and is purged; a sign-in cancelled meanwhile still gets nothing
//   (deliverLink checks).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '../kernel/ports.js';
import { createSealer } from '../secrets/sealing.js';
import { createDeliverLink, type Delivery } from './steps/deliver-link.js';
import type { SignInDeps } from './steps/step-kit.js';

/** How long a sweep holds a request it claimed. */
const SWEEP_LEASE_MS = 60_000;
/** The most requests one sweep claims; the next sweep takes the rest. */
const SWEEP_BATCH = 50;

export interface LinkRequests {
  /** Stores the promise before the answer; resolves with its id. */
  record(delivery: Delivery): Promise<string>;
  /** Does what was promised (deliverLink), then forgets the promise. */
  fulfil(id: string, delivery: Delivery): Promise<void>;
  /** Claims the requests whose lease ran out and fulfils each; resolves with how many it fulfilled. */
  recover(): Promise<number>;
}

/** How often a serving process sweeps, for a grace of `graceMs`: a few times per grace, at most every 5 s. */
export const sweepEveryMs = (graceMs: number): number => Math.max(1000, Math.min(5000, Math.round(graceMs / 3)));

/** `graceMs`: how long the process that answered holds its request before a sweep may take it. */
export function createLinkRequests(deps: SignInDeps, graceMs: number): LinkRequests {
  const deliverLink = createDeliverLink(deps);
  const sealer = createSealer(deps.serverSecret, 'linkid link requests v1');
  const owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const store = deps.store.linkRequests;

  const fulfil = async (id: string, delivery: Delivery): Promise<void> => {
    await deliverLink(delivery, id);
    await store.delete(id);
  };

  return {
    async record(delivery) {
      const id = randomUUID();
      const now = deps.clock.now();
      await store.insert({
        id,
        sealed: sealer.seal(JSON.stringify(delivery), id),
        createdAt: now,
        expiresAt: now + deps.ttlSeconds * 1000,
        leaseOwner: owner,
        leaseUntil: now + graceMs,
      });
      return id;
    },
    fulfil,
    async recover() {
      const claimed = await store.claim(owner, deps.clock.now(), SWEEP_LEASE_MS, SWEEP_BATCH);
      const failures: unknown[] = [];
      let fulfilled = 0;
      for (const request of claimed) {
        let delivery: Delivery;
        try {
          delivery = JSON.parse(sealer.open(request.sealed, request.id)) as Delivery;
        } catch (error) {
          // Sealed under another server secret (or altered): nothing can ever open it.
          await store.delete(request.id);
          failures.push(error);
          continue;
        }
        try {
          await fulfil(request.id, delivery);
          fulfilled += 1;
        } catch (error) {
          // Left for its lease to run out, and taken again by a later sweep until it expires.
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} of ${claimed.length} link requests could not be fulfilled`);
      return fulfilled;
    },
  };
}

/**
 * Runs `recover` now and every `everyMs` (one indexed query when there is nothing to do), never two
 * at once; returns the function that stops it, which resolves once a sweep under way has finished.
 */
export function startLinkRequestRecovery(recover: () => Promise<number>, logger: Logger, everyMs: number): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweep = () => {
    running ??= recover()
      .then((fulfilled) => {
        if (fulfilled > 0) logger.info({ fulfilled }, 'sign-in emails of interrupted requests queued');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'recovery of interrupted sign-in requests failed'))
      .finally(() => {
        running = undefined;
      });
  };
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
