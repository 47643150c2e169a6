// What must hold before linkid listens: the mail provider accepts our token, the keys exist and
// the store answers with its schema current. The process that starts first does all of it (the
// single process, or a cluster's primary before it forks), so workers find keys and schema in
// place instead of racing to create them, and every refusal is found, and said once, before any
// worker exists.
import { systemClock } from '../kernel/clock.js';
import type { Config } from '../config/env.js';
import type { MailTransport } from '../mail/mail-transport.js';
import { createTransport } from '../mail/transport-from-config.js';
import { loadOrCreateSecrets, type Secrets } from '../secrets/key-files.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/port.js';

export interface Started {
  readonly transport: MailTransport;
  readonly secrets: Secrets;
  readonly store: Store;
}

/** `checkMail: false` for a worker: its primary asked the provider already (once, not once per worker). */
export async function startChecks(config: Config, { checkMail }: { readonly checkMail: boolean }): Promise<Started> {
  const transport = createTransport(config, systemClock);
  // First: a refused Postmark token stops the start before anything is created.
  if (checkMail) await transport.check?.();
  // Creates DATA_DIR/keys and the key files on first start; later starts, and workers, read them.
  const secrets = await loadOrCreateSecrets(config);
  // Creates the SQLite file and migrates it (or connects to MongoDB and brings its indexes up to date).
  const store = await openStore(config);
  return { transport, secrets, store };
}
