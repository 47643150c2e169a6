// Starts a real linkid on a loopback port with a fresh DATA_DIR and a real SQLite file, and gives
// tests what a user has: the issuer URL, the outbox, the admin operations, and the logs.
// buildLinkid() is the same linkid before anything listens, for route tests that drive
// app.callback() themselves (supertest).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ClientView, CreateClientInput, UpdateClientInput } from '../../src/admin/clients.js';
import { systemClock, type Clock } from '../../src/kernel/clock.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createApp, type App } from '../../src/http/app.js';
import { reasonRenderer } from '../../src/http/errors.js';
import { pageRenderer } from '../../src/http/render.js';
import type { MailTransport } from '../../src/mail/mail-transport.js';
import { createTransport } from '../../src/mail/transport-from-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { loadOrCreateSecrets } from '../../src/secrets/key-files.js';
import type { Store } from '../../src/store/port.js';
import { openStore } from '../../src/store/open-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { createServices, type Services } from '../../src/services.js';
import { TEST_MONGODB_URI, databaseUri, dropDatabase } from './test-databases.js';

export { TEST_MONGODB_URI };

/** A linkid built as src/main.ts builds one, not listening anywhere. */
export interface BuiltLinkid {
  readonly issuer: string;
  readonly config: Config;
  readonly dataDir: string;
  readonly store: Store;
  /** The clock linkid runs on (the test's fake one, if it gave one). */
  readonly clock: Clock;
  /** Every service, built by src/services.ts as the server builds them. */
  readonly services: Services;
  /** The HTTP application over them (src/http/app.ts). */
  readonly app: App;
  /** Every log line written so far, as text. */
  readonly logs: string[];
  createClient(input: Partial<CreateClientInput>): Promise<ClientView>;
  /** `linkid-admin client update`, in this process. */
  updateClient(clientId: string, input: UpdateClientInput): Promise<ClientView>;
  /** Waits until no sign-in email is still being prepared or sent. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface RunningLinkid extends BuiltLinkid {
  /** The loopback HTTP server linkid answers on. */
  readonly server: http.Server;
}

export interface StartOptions {
  readonly clock?: Clock;
  readonly env?: Record<string, string>;
  readonly sqliteBusyTimeoutMs?: number;
  /** Advertise an https issuer (the test server itself still listens on plain http). */
  readonly https?: boolean;
  /** Wraps or replaces the mail transport, e.g. to hold a send back. */
  readonly transport?: (outbox: MailTransport) => MailTransport;
  /** Reuse this DATA_DIR (a restart) instead of a fresh one. */
  readonly dataDir?: string;
  /** Leave DATA_DIR in place on close, so another instance can start on it. */
  readonly keepData?: boolean;
  /** Wraps the opened store, e.g. to give SQLite a networked store's latency or to watch its calls. */
  readonly wrapStore?: (store: Store) => Store;
  /** Start the send-queue worker (default true); false leaves queued mail for another instance. */
  readonly startWorker?: boolean;
  /** Faster retries for tests that drive them with a fake clock. */
  readonly sendQueueOptions?: { baseDelayMs?: number; maxDelayMs?: number; leaseMs?: number };
  /** Waits between back-channel logout retries (short ones for tests of the retry). */
  readonly backchannelRetryDelaysMs?: readonly number[];
}

export async function startLinkid(options: StartOptions = {}): Promise<RunningLinkid> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const built = await buildLinkid({ ...options, port }).catch((error: unknown) => {
    server.close();
    throw error;
  });
  server.on('request', built.app.app.callback());
  return {
    ...built,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await built.close();
    },
  };
}

/** linkid for `port` (default 3000, where nothing need listen): ISSUER is http(s)://127.0.0.1:port. */
export async function buildLinkid(options: StartOptions & { readonly port?: number } = {}): Promise<BuiltLinkid> {
  const port = options.port ?? 3000;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-test-'));
  const config = loadConfig({
    PORT: String(port),
    ISSUER: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    // An https issuer needs the outbox chosen by name (live links in plain files); Postmark tests set a token instead.
    ...(options.https && !options.env?.POSTMARK_SERVER_TOKEN ? { MAIL_TRANSPORT: 'outbox' } : {}),
    // Under `npm run test:mongo` the flows run against MongoDB too, each in its own database.
    ...(TEST_MONGODB_URI ? { MONGODB_URI: databaseUri(TEST_MONGODB_URI, `linkid_flow_${path.basename(dataDir).replace(/\W/g, '_')}`) } : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger(
    config.logLevel,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        if (process.env.LINKID_TEST_LOGS) process.stderr.write(chunk);
        done();
      },
    }),
  );
  const clock = options.clock ?? systemClock;
  const secrets = await loadOrCreateSecrets(config);
  const opened = options.sqliteBusyTimeoutMs === undefined ? await openStore(config) : openSqliteStore(dataDir, { busyTimeoutMs: options.sqliteBusyTimeoutMs });
  const store = options.wrapStore ? options.wrapStore(opened) : opened;
  // As src/main.ts: Postmark or SMTP when configured (tests point POSTMARK_API_URL at a local fake, SMTP_URL at a local relay).
  const outbox = createTransport(config, clock, { timeoutMs: 2_000 });
  const transport = options.transport ? options.transport(outbox) : outbox;
  const services = createServices(config, {
    store,
    transport,
    clock,
    logger,
    secrets,
    sendQueueOptions: options.sendQueueOptions,
    backchannelRetryDelaysMs: options.backchannelRetryDelaysMs,
    renderPages: pageRenderer,
    renderReasons: reasonRenderer,
  });
  const app = createApp(services);
  if (options.startWorker !== false) services.sendQueue.start();
  const admin = services.admin.clients;
  return {
    issuer: config.issuer,
    config,
    dataDir,
    store,
    clock,
    services,
    app,
    logs,
    settle: () => services.settle(),
    createClient: (input) => admin.create({ name: 'Test App', redirectUris: ['http://localhost:4000/callback'], ...input }),
    updateClient: (clientId, input) => admin.update(clientId, input),
    async close() {
      services.backchannel.stop();
      await services.sendQueue.stop();
      outbox.close?.();
      await store.close();
      if (config.mongodbUri && !options.keepData) await dropDatabase(config.mongodbUri);
      if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
