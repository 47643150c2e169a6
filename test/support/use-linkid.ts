// Most flow suites start a fresh linkid per test (its own DATA_DIR, limits and clock) and must
// close every one, or ports, SQLite handles and send-queue timers leak into the next test.
// useLinkid() registers that clean-up once, in the file or describe block that calls it, and
// hands out the two ways suites start one.
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { CreateClientInput } from '../../src/admin/clients.js';
import { registerApp } from './factories.js';
import { startLinkid, type RunningLinkid, type StartOptions } from './linkid.js';
import type { RelyingParty } from './relying-party.js';
import { pendingLink } from './sign-in.js';

export interface LinkidSuite {
  /** A linkid that is closed after the current test. */
  readonly start: (options?: StartOptions) => Promise<RunningLinkid>;
  /** start(), plus an app registered with it (NOTES unless `client` is given). */
  readonly setup: (options?: StartOptions, client?: Partial<CreateClientInput>) => Promise<{ linkid: RunningLinkid; rp: RelyingParty }>;
}

export function useLinkid(): LinkidSuite {
  const running: RunningLinkid[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((linkid) => linkid.close()));
  });
  const start = async (options: StartOptions = {}) => {
    const linkid = await startLinkid(options);
    running.push(linkid);
    return linkid;
  };
  return {
    start,
    setup: async (options = {}, client) => {
      const linkid = await start(options);
      return { linkid, rp: await registerApp(linkid, client) };
    },
  };
}

export interface SharedLinkid {
  /** The block's linkid (started in beforeAll). */
  readonly linkid: RunningLinkid;
  /** The app registered with it. */
  readonly rp: RelyingParty;
  /** A sign-in waiting at "check your email" in a fresh browser, on the shared linkid. */
  readonly pendingLink: (email: string) => ReturnType<typeof pendingLink>;
}

/**
 * One linkid and one app for a whole describe block, for tests that change none of its settings
 * and so need not pay for a fresh one each: started before the block's first test, closed after its last.
 */
export function useSharedLinkid(options: StartOptions = {}): SharedLinkid {
  let started: { linkid: RunningLinkid; rp: RelyingParty } | undefined;
  beforeAll(async () => {
    const linkid = await startLinkid(options);
    started = { linkid, rp: await registerApp(linkid) };
  });
  afterAll(() => started?.linkid.close());
  const get = () => {
    if (!started) throw new Error('the shared linkid is only there inside the tests of its block');
    return started;
  };
  return {
    get linkid() {
      return get().linkid;
    },
    get rp() {
      return get().rp;
    },
    pendingLink: (email) => pendingLink(get().linkid, get().rp, email),
  };
}
