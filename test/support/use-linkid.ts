// Most flow suites start a fresh linkid per test (its own DATA_DIR, limits and clock) and must
// close every one, or ports, SQLite handles and send-queue timers leak into the next test.
// useLinkid() registers that clean-up once, in the file or describe block that calls it, and
// hands out the two ways suites start one.
import { afterEach } from 'vitest';
import type { CreateClientInput } from '../../src/admin/clients.js';
import { registerApp } from './factories.js';
import { startLinkid, type RunningLinkid, type StartOptions } from './linkid.js';
import type { RelyingParty } from './relying-party.js';

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
