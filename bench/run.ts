// `npm run bench [-- --quick] [-- --out FILE] [-- --only a,b] [-- --rss 10000,50000]`: linkid, the
// bare oidc-provider it wraps, and a Koa "hello", measured side by side in one run on loopback. See
// docs/performance.md. Prints a table and the issue's targets, writes bench/results.json
// (--quick: bench/results-quick.json, ignored by git); exits non-zero only if a scenario fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bareClientOf, ROOT, startLinkid } from './linkid.ts';
import { Mailbox } from './mailbox.ts';
import { freePort, hasTaskset, pinSelf, startServer, stopAll } from './processes.ts';
import { checkTargets, KEYCLOAK_SIZING, perVcpuLines, reported, storeLines, table, targetLines, type Reported } from './report.ts';
import type { Context, ScenarioResult, Servers, Settings } from './scenario.ts';
import { discovery, introspection, jwks, refreshGrant } from './scenarios/endpoints.ts';
import { slowMailProvider } from './scenarios/mail-provider.ts';
import { memoryAfterSessions } from './scenarios/memory.ts';
import { emailFormOpenLoop, emailFormSaturation, fullSignIn } from './scenarios/sign-ins.ts';
import { stepBreakdown } from './scenarios/steps.ts';
import { postmarkSend } from './scenarios/postmark-send.ts';
import { workers } from './scenarios/workers.ts';

const FULL: Settings = {
  quick: false,
  repeats: 3,
  seconds: 4,
  warmupSeconds: 1,
  connections: 16,
  refreshChains: 16,
  signInUsers: 16,
  signInSeconds: 5,
  openLoopRate: 100,
  openLoopCount: 600,
  saturationCount: 600,
  saturationConnections: 32,
  slowMailRate: 100,
  slowMailCount: 800,
  slowMailDelayMs: 150,
  slowMailSignInUsers: 32,
  // The issue's check: RSS flat from 10k to 50k sessions (about 8 minutes of sign-ins here).
  rssCheckpoints: [10000, 50000],
  workers: [1, 2],
  workerRepeats: 2,
};

const QUICK: Settings = {
  ...FULL,
  quick: true,
  repeats: 1,
  seconds: 1,
  warmupSeconds: 0.3,
  connections: 8,
  refreshChains: 4,
  signInUsers: 4,
  signInSeconds: 1.5,
  openLoopCount: 100,
  saturationCount: 100,
  saturationConnections: 8,
  slowMailCount: 150,
  slowMailSignInUsers: 8,
  rssCheckpoints: [50, 100],
  workerRepeats: 1,
};

const SCENARIOS: Record<string, (ctx: Context) => Promise<ScenarioResult>> = {
  discovery,
  jwks,
  introspection,
  refresh: refreshGrant,
  'sign-in': fullSignIn,
  steps: stepBreakdown,
  'postmark-send': postmarkSend,
  'email-form-open': emailFormOpenLoop,
  'email-form-saturation': emailFormSaturation,
  'slow-mail': slowMailProvider,
  rss: memoryAfterSessions,
  workers,
};

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    rss: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});

const settings: Settings = { ...(args.quick ? QUICK : FULL), ...(args.rss ? { rssCheckpoints: args.rss.split(',').map(Number) } : {}) };
const outFile = path.resolve(args.out ?? path.join(ROOT, 'bench', args.quick ? 'results-quick.json' : 'results.json'));
const chosen = args.only ? args.only.split(',') : Object.keys(SCENARIOS);
const unknown = chosen.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);

const log = (line: string) => process.stdout.write(`${line}\n`);
const cores = os.availableParallelism();
// The load generator on core 0, the servers on the others: they do not take CPU from each other.
const pinned = hasTaskset && cores >= 2 && pinSelf('0');
const cpus = pinned
  ? { load: '0', servers: cores === 2 ? '1' : `1-${cores - 1}`, all: `0-${cores - 1}` }
  : { load: undefined, servers: undefined, all: undefined };
const pinning = pinned
  ? `load generator (this process, autocannon, the Postmark stand-in) on core ${cpus.load}; linkid, bare and hello on core(s) ${cpus.servers}; workers scenario: linkid on cores ${cpus.all}`
  : `not pinned (${hasTaskset ? `${cores} core(s)` : 'taskset not found'}): load generator and servers share every core`;

const machine = {
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  cores,
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  date: new Date().toISOString(),
  pinning,
};

function build(): void {
  if (args['no-build']) return;
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

async function startServers(logDir: string): Promise<Servers & { mailbox: Mailbox }> {
  const linkid = await startLinkid({ name: 'linkid', cpus: cpus.servers, logDir });
  const client = linkid.createClient('bench');
  const startBare = async (name: string, env: Record<string, string> = {}) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    return startServer({
      name,
      args: [path.join(ROOT, 'bench/servers/bare-provider.ts')],
      env: { PORT: String(port), ISSUER: url, SIGNING_KEYS_FILE: linkid.signingKeysFile, CLIENTS: JSON.stringify([bareClientOf(client)]), ...env },
      cpus: cpus.servers,
      url,
      readyUrl: `${url}/.well-known/openid-configuration`,
      logDir,
    });
  };
  const bare = await startBare('bare');
  const bareStore = await startBare('bare-store', { STORE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-bench-bare-store-')) });
  const bareSqlite = await startBare('bare-sqlite', { PLAIN_STORE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-bench-bare-sqlite-')) });
  const helloPort = await freePort();
  const helloUrl = `http://127.0.0.1:${helloPort}`;
  const hello = await startServer({
    name: 'hello',
    args: [path.join(ROOT, 'bench/servers/hello.ts')],
    env: { PORT: String(helloPort) },
    cpus: cpus.servers,
    url: helloUrl,
    readyUrl: helloUrl,
    logDir,
  });
  const mailbox = new Mailbox(linkid.dataDir);
  return {
    linkid,
    bare,
    bareStore,
    bareSqlite,
    hello,
    mailbox,
    targets: {
      linkid: { kind: 'linkid', url: linkid.url, client, mailbox },
      bare: { kind: 'bare', url: bare.url, client },
      bareStore: { kind: 'bare', url: bareStore.url, client },
      bareSqlite: { kind: 'bare', url: bareSqlite.url, client },
    },
  };
}

async function main(): Promise<number> {
  build();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-bench-logs-'));
  log(`linkid bench (${settings.quick ? 'quick' : 'full'}): ${machine.cpuModel}, ${cores} cores, Node ${machine.node}`);
  log(`pinning: ${pinning}`);
  log(`server logs: ${logDir}`);
  const started = performance.now();
  const results: Reported[] = [];
  const failures: string[] = [];
  const servers = await startServers(logDir);
  try {
    const ctx: Context = { settings, servers, logDir, cpus, log };
    for (const name of chosen) {
      const scenario = SCENARIOS[name] as (ctx: Context) => Promise<ScenarioResult>;
      log(`${name}:`);
      try {
        results.push(reported(await scenario(ctx)));
      } catch (error) {
        failures.push(`${name}: ${(error as Error).stack ?? String(error)}`);
        log(`  FAILED: ${(error as Error).message}`);
      }
    }
  } finally {
    servers.mailbox.close();
    await servers.linkid.stop();
    await stopAll();
  }
  const freeServerCores = pinned ? cores - 1 : 0;
  const targets = checkTargets(results, freeServerCores);
  const seconds = (performance.now() - started) / 1000;
  fs.writeFileSync(outFile, `${JSON.stringify({ machine, settings, seconds, scenarios: results, targets, failures }, null, 2)}\n`);
  log(`\n${table(results)}\n`);
  log('Each figure is the median of the repeats; "other CPU" is what processes outside the bench used during the runs (1.00 = one core busy).');
  log(`\nTargets (issues 11 and 28):\n${targetLines(targets)}\n`);
  const perVcpu = perVcpuLines(results);
  if (perVcpu) log(`Per vCPU (1 / server CPU per op) beside Keycloak's sizing guide (${KEYCLOAK_SIZING.source}):\n${perVcpu}\n`);
  const floors = storeLines(results);
  if (floors) log(`The bare provider on linkid's store, against the bare provider in memory:\n${floors}\n`);
  log(`${results.length} scenarios in ${seconds.toFixed(0)} s; results in ${path.relative(process.cwd(), outFile)}`);
  if (failures.length > 0) {
    process.stderr.write(`\n${failures.length} scenario(s) FAILED:\n${failures.join('\n\n')}\nserver logs kept in ${logDir}\n`);
    return 1;
  }
  fs.rmSync(logDir, { recursive: true, force: true });
  return 0;
}

const stopOnSignal = () => void stopAll().finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);
process.on('unhandledRejection', (error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  void stopAll().finally(() => process.exit(1));
});

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    await stopAll();
    process.exit(1);
  },
);
