// linkid as `npm start` runs it: `node dist/main.js` in a child process with its own DATA_DIR and
// port (and, under `npm run test:mongo`, its own database, dropped by cleanUp), its JSON log lines
// collected as they come. For what only a real process shows: WORKERS (a cluster of processes),
// signals, exit codes and the one line a refused start writes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TEST_MONGODB_URI, dropDatabase, newTestDatabaseUri } from './test-databases.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface LogLine {
  readonly msg: string;
  readonly worker?: number;
  readonly pid?: number;
  readonly requestId?: string;
  readonly [field: string]: unknown;
}

export interface LinkidProcess {
  readonly issuer: string;
  readonly port: number;
  readonly dataDir: string;
  /** Its own database under test:mongo; undefined on SQLite. Commands run next to it need this one. */
  readonly mongodbUri: string | undefined;
  /** The environment that points a command (linkid-admin) at this process's store. */
  readonly storeEnv: Record<string, string>;
  readonly child: ChildProcessWithoutNullStreams;
  /** Every log line written so far (the primary's and every worker's: they share stdout). */
  logs(): LogLine[];
  stderr(): string;
  /** Resolves with the first log line `match` accepts, once it is written. */
  logLine(match: (line: LogLine) => boolean): Promise<LogLine>;
  /** Resolves with the exit code (null if killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGKILLs it if still running and removes DATA_DIR (and drops its database). */
  cleanUp(): Promise<void>;
}

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `probe` until it returns something other than undefined or false (the test's timeout bounds it). */
export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, everyMs = 50): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface SpawnOptions {
  readonly dataDir?: string;
  readonly port?: number;
  /** Start again where this one (killed or stopped) left off: its DATA_DIR, port (so its ISSUER) and database. */
  readonly restartOf?: Pick<LinkidProcess, 'dataDir' | 'port' | 'mongodbUri'>;
}

export async function spawnLinkid(env: Record<string, string>, options: SpawnOptions = {}): Promise<LinkidProcess> {
  const port = options.restartOf?.port ?? options.port ?? (await freePort());
  const dataDir = options.restartOf?.dataDir ?? options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-process-'));
  // test:mongo's MONGODB_URI names the server only (database `test`): never hand that on.
  const mongodbUri = options.restartOf ? options.restartOf.mongodbUri : TEST_MONGODB_URI ? newTestDatabaseUri('linkid_process') : undefined;
  const storeEnv: Record<string, string> = { DATA_DIR: dataDir, ...(mongodbUri ? { MONGODB_URI: mongodbUri } : {}) };
  const child = spawn('node', ['dist/main.js'], {
    cwd: root,
    env: { ...process.env, ...storeEnv, PORT: String(port), LOG_LEVEL: 'info', ...env },
  });
  const lines: LogLine[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) lines.push(JSON.parse(part) as LogLine);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  return {
    issuer: `http://localhost:${port}`,
    port,
    dataDir,
    mongodbUri,
    storeEnv,
    child,
    logs: () => lines,
    stderr: () => stderr,
    logLine: (match) =>
      eventually(() => {
        const found = lines.find(match);
        if (!found && !running) throw new Error(`linkid exited without that log line; stderr: ${stderr}`);
        return found;
      }),
    exited,
    async cleanUp() {
      if (running) child.kill('SIGKILL');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (mongodbUri) await dropDatabase(mongodbUri);
    },
  };
}
