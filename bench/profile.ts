// `npm run bench:profile -- SCENARIO [--server linkid|bare|bare-store|bare-sqlite] [--seconds N]`: one server under one
// scenario's load with `node --cpu-prof`, then the places its main thread spent its busy time
// (idle left out), by function and by module, and the server's CPU per operation. The profile
// stays in bench/profiles/ for Chrome DevTools or speedscope. Where docs/performance.md's "Where the
// time goes" comes from. Scenarios: discovery, jwks, introspection, refresh, sign-in.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bareClientOf, ROOT, startLinkid } from './linkid.ts';
import { closedLoop, hammer, type LoadResult } from './load.ts';
import { Mailbox } from './mailbox.ts';
import { freePort, hasTaskset, pinSelf, startServer, stopAll, type Server } from './processes.ts';
import { freshAddress, measured } from './scenario.ts';
import { refresh, signIn, type Target } from './sign-in.ts';

const SCENARIOS = ['discovery', 'jwks', 'introspection', 'refresh', 'sign-in'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { server: { type: 'string', default: 'linkid' }, seconds: { type: 'string', default: '8' }, top: { type: 'string', default: '25' } },
});
const scenario = positionals[0] as Scenario;
const SERVERS = ['linkid', 'bare', 'bare-store', 'bare-sqlite'];
if (!SCENARIOS.includes(scenario)) throw new Error(`usage: npm run bench:profile -- ${SCENARIOS.join('|')} [--server ${SERVERS.join('|')}] [--seconds N]`);
if (!SERVERS.includes(args.server)) throw new Error(`--server is one of ${SERVERS.join(', ')}`);
const seconds = Number(args.seconds);
const profileDir = path.join(ROOT, 'bench', 'profiles');
fs.mkdirSync(profileDir, { recursive: true });
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-profile-logs-'));
const pinned = hasTaskset && os.availableParallelism() >= 2 && pinSelf('0');
const cpus = pinned ? '1' : undefined;
const profiled = { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` };

/** linkid always runs (its key file and admin CLI make the client both servers serve). */
async function servers(): Promise<{ server: Server; target: Target; close: () => Promise<void> }> {
  const linkid = await startLinkid({ name: 'linkid', cpus, logDir, env: args.server === 'linkid' ? profiled : {} });
  const client = linkid.createClient('profile');
  const mailbox = new Mailbox(linkid.dataDir);
  const close = async () => {
    mailbox.close();
    await linkid.stop();
    await stopAll();
  };
  if (args.server === 'linkid') return { server: linkid, target: { kind: 'linkid', url: linkid.url, client, mailbox }, close };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const storeDir = args.server === 'bare-store' ? fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-profile-bare-store-')) : undefined;
  const plainStoreDir = args.server === 'bare-sqlite' ? fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-profile-bare-sqlite-')) : undefined;
  const bare = await startServer({
    name: args.server,
    args: [path.join(ROOT, 'bench/servers/bare-provider.ts')],
    env: {
      ...profiled,
      PORT: String(port),
      ISSUER: url,
      SIGNING_KEYS_FILE: linkid.signingKeysFile,
      CLIENTS: JSON.stringify([bareClientOf(client)]),
      ...(storeDir ? { STORE_DIR: storeDir } : {}),
      ...(plainStoreDir ? { PLAIN_STORE_DIR: plainStoreDir } : {}),
    },
    cpus,
    url,
    readyUrl: `${url}/.well-known/openid-configuration`,
    logDir,
  });
  return { server: bare, target: { kind: 'bare', url, client }, close };
}

function loadFor(target: Target): Promise<(seconds: number) => Promise<LoadResult>> | ((seconds: number) => Promise<LoadResult>) {
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(target.client.id)}:${encodeURIComponent(target.client.secret)}`).toString('base64')}`;
  switch (scenario) {
    case 'discovery':
      return (s) => hammer({ url: `${target.url}/.well-known/openid-configuration` }, 16, s);
    case 'jwks':
      return (s) => hammer({ url: `${target.url}/jwks` }, 16, s);
    case 'introspection':
      return signIn(target, freshAddress('profile')).then(
        (tokens) => (s: number) =>
          hammer(
            {
              url: `${target.url}/token/introspection`,
              method: 'POST',
              headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ token: tokens.access_token }).toString(),
            },
            16,
            s,
          ),
      );
    case 'refresh':
      return Promise.all(
        Array.from({ length: 16 }, () => signIn(target, freshAddress('profile'), { scope: 'openid email offline_access', prompt: 'consent' })),
      ).then((tokens) => {
        const heads = tokens.map((token) => token.refresh_token ?? '');
        return (s: number) =>
          closedLoop(heads.length, { seconds: s }, async (chain) => {
            const reply = await refresh(target, heads[chain] ?? '');
            if (reply.status !== 200) throw new Error(`refresh: ${reply.status} ${reply.body.slice(0, 200)}`);
            heads[chain] = (JSON.parse(reply.body) as { refresh_token: string }).refresh_token;
          });
      });
    case 'sign-in':
      return (s) => closedLoop(16, { seconds: s }, async () => void (await signIn(target, freshAddress('profile'))));
  }
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time by function and by module, as shares of the busy (not idle) time. */
function summarise(file: string, top: number): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)?.callFrame;
    const took = profile.timeDeltas[index] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    busy += took;
    const where = frame.url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, '')
      .replace(`${ROOT}/`, '');
    const fn = `${frame.functionName || '(anonymous)'}${where ? ` ${where.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}` : ''}`;
    const parts = where.split('/');
    const module = !where
      ? frame.functionName
      : where.startsWith('dist/') || where.startsWith('node:')
        ? where
        : parts.slice(0, parts[0]?.startsWith('@') ? 2 : 1).join('/');
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + took);
    byModule.set(module, (byModule.get(module) ?? 0) + took);
  });
  const lines = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, took]) => `  ${((100 * took) / busy).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  return `busy ${(busy / 1e6).toFixed(2)} s of the main thread\nby function (self time):\n${lines(byFunction)}\nby module:\n${lines(byModule)}`;
}

const before = new Set(fs.readdirSync(profileDir));
const running = await servers();
const { server, target } = running;
let result: { opsPerSecond: number; cpuUsPerOp: number; otherCores: number } | undefined;
try {
  const run = await loadFor(target);
  await run(1);
  result = await measured(server, 0, () => run(seconds));
} finally {
  await running.close();
}
const written = fs.readdirSync(profileDir).filter((name) => !before.has(name) && name.includes(`.${server.pid}.`));
const [file] = written;
if (!file) throw new Error(`no profile of ${server.name} (pid ${server.pid}) was written to ${profileDir}`);
const named = path.join(profileDir, `${scenario}-${server.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
fs.renameSync(path.join(profileDir, file), named);
for (const other of fs.readdirSync(profileDir).filter((name) => !before.has(name) && name.startsWith('CPU.'))) fs.rmSync(path.join(profileDir, other));
fs.rmSync(logDir, { recursive: true, force: true });
process.stdout.write(
  `${scenario} on ${server.name}: ${result.opsPerSecond.toFixed(0)} ops/s, ${result.cpuUsPerOp.toFixed(0)} µs of server CPU per op, other CPU ${result.otherCores.toFixed(2)} cores${pinned ? '' : ' (not pinned)'}\n` +
    `${summarise(named, Number(args.top))}\nprofile: ${path.relative(process.cwd(), named)}\n`,
);
