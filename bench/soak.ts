// `npm run soak -- --minutes N [--rate F] [--out FILE] [--no-build]`: a built linkid in its own
// process on a temporary DATA_DIR, under mixed traffic at a fixed rate for N minutes, sending its
// mail through a slow and sometimes failing Postmark stand-in, with the purge job running often
// and short lifetimes so it has work. Every minute one line: the server's RSS and heap (scraped
// from its own /metrics), event-loop delay, store size, and per kind of traffic the operations,
// errors and p99 latency in that minute. At the end a table and a JSON file (bench/soak-results.json
// unless --out). Exits non-zero if any answer was a 5xx or not what that request should get.
// Not part of `npm test`. See docs/performance.md#soak.
//
// The load is open-loop: every kind starts its operations on a schedule (rate × elapsed time),
// whether or not the earlier ones have finished, and latency counts from the scheduled start; a
// slow server cannot slow the clock that measures it. --rate scales every kind's rate.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { formOn, type Browser } from '../test/support/browser.ts';
import { postForm } from './http-client.ts';
import { ROOT, startLinkid, type Linkid } from './linkid.ts';
import { percentile } from './load.ts';
import type { Mail } from './mailbox.ts';
import { freePort, startServer, stopAll, type Server } from './processes.ts';
import { openInteraction, redeem, submitLogin, type OpenInteraction, type Target, type Tokens } from './sign-in.ts';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rate: { type: 'string', default: '1' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});
const minutes = Number(args.minutes);
const scale = Number(args.rate);
if (!(minutes > 0) || !(scale > 0)) throw new Error('usage: npm run soak -- --minutes N [--rate F] [--out FILE] [--no-build]');
const outFile = path.resolve(args.out ?? path.join(ROOT, 'bench', 'soak-results.json'));

/** Operations started per second, by kind, before --rate. */
const RATES = {
  /** A returning person signs in to the app: authorize, email form, the mail, confirm, consent, code, token. */
  'sign-in': 2,
  /** An app trades a refresh token for new tokens (rotation: each chain is used by one request at a time). */
  refresh: 4,
  /** An API checks an access token. */
  introspect: 6,
  /** A signed-in browser opens its account page. */
  account: 1.5,
  /** The email form with bad input: malformed or overlong address, a body over the limit, another origin. */
  'bad-form': 1,
  /** The email form with an address Postmark refuses as inactive (422, ErrorCode 406): accepted, no mail. */
  inactive: 0.5,
} as const;
type Kind = keyof typeof RATES;
const KINDS = Object.keys(RATES) as Kind[];

/** The conditions, also written to the JSON file. */
const POSTMARK = { delayMs: 150, failRate: 0.05, inactivePrefix: 'inactive-' };
const SERVER_ENV = {
  PURGE_INTERVAL_SECONDS: '10',
  LOGIN_TOKEN_TTL_SECONDS: '60',
  SESSION_IDLE_TTL_SECONDS: '300',
  SESSION_ABSOLUTE_TTL_SECONDS: '300',
  AUDIT_RETENTION_DAYS: '1',
};
/** Returning people: sign-ins cycle through this many addresses, so accounts stop growing. */
const PEOPLE = 1000;
/** A refresh chain or signed-in browser is used only this long after its sign-in (lifetimes are 300 s). */
const USABLE_MS = 200_000;
const TOKEN = 'soak-postmark-token';

const log = (line: string) => process.stdout.write(`${line}\n`);

function build(): void {
  if (args['no-build']) return;
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/** Sign-in links as the Postmark stand-in received them (GET /links), handed to whoever waits for the address. */
class PostmarkInbox {
  private next = 0;
  private readonly waiting = new Map<string, { resolve: (mail: Mail) => void; timer: NodeJS.Timeout }>();
  private readonly early = new Map<string, Mail>();
  private readonly poller: NodeJS.Timeout;
  private polling = false;
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
    this.poller = setInterval(() => void this.poll(), 100);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const response = await fetch(`${this.url}/links?after=${this.next}`);
      const links = (await response.json()) as [string, string][];
      this.next += links.length;
      for (const [to, link] of links) {
        const mail = { link, seenAt: performance.now() };
        const waiter = this.waiting.get(to.toLowerCase());
        if (waiter) {
          clearTimeout(waiter.timer);
          this.waiting.delete(to.toLowerCase());
          waiter.resolve(mail);
        } else this.early.set(to.toLowerCase(), mail);
      }
    } finally {
      this.polling = false;
    }
  }

  /** A failed send is retried after 2, 4, 8… s (with jitter): a minute covers several failures in a row. */
  waitFor(email: string, timeoutMs = 60_000): Promise<Mail> {
    const to = email.toLowerCase();
    const ready = this.early.get(to);
    if (ready) {
      this.early.delete(to);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(to);
        reject(new Error(`no sign-in mail to ${email} at the Postmark stand-in after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(to, { resolve, timer });
    });
  }

  close(): void {
    clearInterval(this.poller);
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
  }
}

/** A completed sign-in: its browser (signed in to linkid) and its tokens. */
interface Signed {
  readonly email: string;
  readonly browser: Browser;
  readonly at: number;
  accessToken: string;
  refreshToken: string;
  busy: boolean;
}

/** Recent sign-ins, for refreshes, introspections and account pages to use. */
const signedIn: Signed[] = [];
const usable = () => {
  const now = Date.now();
  while (signedIn.length > 0 && now - (signedIn[0] as Signed).at > USABLE_MS) signedIn.shift();
  return signedIn;
};
const pick = (list: readonly Signed[], free = false): Signed | undefined => {
  const candidates = free ? list.filter((entry) => !entry.busy) : list;
  return candidates[Math.floor(Math.random() * candidates.length)];
};

class Unexpected extends Error {}
function expect(condition: boolean, what: string, status: number, body: string): void {
  if (!condition) throw new Unexpected(`${what}: got ${status} ${body.replace(/\s+/g, ' ').slice(0, 300)}`);
}

let personCounter = 0;
let inactiveCounter = 0;
let badCounter = 0;
/** This minute's waits from the email form's answer to the link at the Postmark stand-in. */
const mailWaits: number[] = [];

/** The operations, each throwing on an answer it should not get; `skipped`: no recent sign-in to use yet. */
function operations(target: Target, inbox: PostmarkInbox): Record<Kind, () => Promise<'done' | 'skipped'>> {
  const basic = { id: target.client.id, secret: target.client.secret };
  return {
    async 'sign-in'() {
      const email = `soak-${(personCounter++ % PEOPLE) + 1}@bench.example`;
      const open = await openInteraction(target, 'openid email offline_access', 'consent');
      await submitLogin(target, open, email);
      const asked = performance.now();
      const mail = await inbox.waitFor(email);
      mailWaits.push(mail.seenAt - asked);
      const confirm = await open.browser.request(mail.link);
      expect(confirm.status === 200, 'confirm page', confirm.status, confirm.body);
      const form = formOn(confirm, /\/verify$/);
      const finished = await open.browser.request(form.action, { form: form.hidden });
      expect(finished.status === 303, 'verify', finished.status, finished.body);
      let page = await open.browser.follow(finished.location as string, target.client.redirectUri);
      if (page.status === 200) page = await open.browser.submit(page, /\/consent$/, { decision: 'allow' }, target.client.redirectUri);
      expect(page.location?.startsWith(target.client.redirectUri) === true, 'back to the app', page.status, page.body);
      const tokens: Tokens = await redeem(target, page.location as string, open.verifier);
      expect(typeof tokens.refresh_token === 'string', 'refresh token', 200, JSON.stringify(Object.keys(tokens)));
      signedIn.push({
        email,
        browser: open.browser,
        at: Date.now(),
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token as string,
        busy: false,
      });
      return 'done';
    },
    async refresh() {
      const chain = pick(usable(), true);
      if (!chain) return 'skipped';
      chain.busy = true;
      try {
        const reply = await postForm(`${target.url}/token`, { grant_type: 'refresh_token', refresh_token: chain.refreshToken }, basic);
        expect(reply.status === 200, 'refresh grant', reply.status, reply.body);
        const tokens = JSON.parse(reply.body) as Tokens;
        chain.refreshToken = tokens.refresh_token as string;
        chain.accessToken = tokens.access_token;
      } finally {
        chain.busy = false;
      }
      return 'done';
    },
    async introspect() {
      const chain = pick(usable());
      if (!chain) return 'skipped';
      const token = chain.accessToken;
      const reply = await postForm(`${target.url}/token/introspection`, { token }, basic);
      // The chain may have been refreshed meanwhile: the old access token stays valid (rotation
      // replaces the refresh token only), so active:true is the only right answer.
      expect(reply.status === 200 && (JSON.parse(reply.body) as { active: boolean }).active, 'introspection', reply.status, reply.body);
      return 'done';
    },
    async account() {
      const visitor = pick(usable(), true);
      if (!visitor) return 'skipped';
      visitor.busy = true;
      try {
        const page = await visitor.browser.follow(`${target.url}/account`);
        expect(page.status === 200 && page.body.includes(visitor.email), 'account page', page.status, page.body);
      } finally {
        visitor.busy = false;
      }
      return 'done';
    },
    async 'bad-form'() {
      const open = await openInteraction(target);
      const variant = badCounter++ % 4;
      const send = (email: string, headers: Record<string, string> = {}) => open.browser.request(open.action, { form: { ...open.hidden, email }, headers });
      if (variant === 0) {
        const reply = await send('not an address');
        expect(reply.status === 400 && reply.body.includes('name="email"'), 'malformed address', reply.status, reply.body);
      } else if (variant === 1) {
        const reply = await send(`${'a'.repeat(250)}@bench.example`);
        expect(reply.status === 400 && reply.body.includes('name="email"'), 'overlong address', reply.status, reply.body);
      } else if (variant === 2) {
        // Over the 16 kB form limit: the body parser's 413 is answered as invalid_request (src/http/errors.ts).
        const reply = await send(randomBytes(30_000).toString('hex'));
        expect(reply.status === 400 && !reply.body.includes('name="email"'), 'body over the limit', reply.status, reply.body);
      } else {
        const reply = await send(`soak-other-origin@bench.example`, { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' });
        expect(reply.status === 403, 'another origin', reply.status, reply.body);
      }
      return 'done';
    },
    async inactive() {
      const open: OpenInteraction = await openInteraction(target);
      await submitLogin(target, open, `${POSTMARK.inactivePrefix}${(inactiveCounter++ % PEOPLE) + 1}@bench.example`);
      return 'done';
    },
  };
}

/** One minute's figures for one kind. */
interface KindWindow {
  started: number;
  done: number;
  skipped: number;
  errors: number;
  latencies: number[];
}
const newWindow = (): KindWindow => ({ started: 0, done: 0, skipped: 0, errors: 0, latencies: [] });

interface Row {
  readonly minute: number;
  readonly loadAverage1m: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly eventLoopP99Ms: number;
  readonly serverCpuPercent: number;
  readonly storeMiB: number;
  readonly walMiB: number;
  readonly httpRequests: number;
  readonly http5xx: number;
  readonly mailQueueDepth: number;
  readonly store: Contents;
  readonly mailWaitP99Ms: number;
  readonly kinds: Record<Kind, { ops: number; skipped: number; errors: number; p50Ms: number; p99Ms: number }>;
}

type Samples = Map<string, number>;
/** Prometheus text format, one series a line: `name{labels} value`. */
function parseMetrics(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}
const sumOf = (samples: Samples, prefix: string, filter: (series: string) => boolean = () => true) =>
  [...samples].filter(([series]) => series.startsWith(prefix) && filter(series)).reduce((sum, [, value]) => sum + value, 0);

function cpuSeconds(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const fileBytes = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);
const MiB = (bytes: number) => bytes / 1024 / 1024;

/** What the store holds: rows per table (and per oidc-provider model), KiB per table with its indexes, free pages. */
interface Contents {
  readonly rows: Record<string, number>;
  readonly kib: Record<string, number>;
  readonly freeKiB: number;
  /** Rows past their expiry still in the store: what the purge job has yet to delete (it runs every PURGE_INTERVAL_SECONDS). */
  readonly expiredRows: number;
}

/** The tables the purge job deletes expired rows from, and their expiry column (ms since the epoch; src/store/sqlite/index.ts). */
const EXPIRING = [
  ['oidc_models', 'expires_at'],
  ['login_tokens', 'expires_at'],
  ['email_change_tokens', 'expires_at'],
  ['rate_limits', 'expire'],
  ['audit_events', 'expires_at'],
  ['registration_tokens', 'expires_at'],
] as const;

/** Read from a read-only connection of our own (WAL: it does not block the server's writes). */
function storeContents(file: string): Contents {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const rows: Record<string, number> = {};
    for (const { model, n } of db.prepare('SELECT model, count(*) AS n FROM oidc_models GROUP BY model').all() as { model: string; n: number }[])
      rows[model] = n;
    for (const table of ['users', 'login_tokens', 'mail_queue', 'suppressed_addresses', 'rate_limits', 'audit_events']) {
      rows[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    }
    const kib: Record<string, number> = {};
    const sizes = db
      .prepare(
        `SELECT coalesce(m.tbl_name, s.name) AS name, sum(s.pgsize) AS bytes FROM dbstat s LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY 1 ORDER BY 2 DESC`,
      )
      .all() as { name: string; bytes: number }[];
    for (const { name, bytes } of sizes) kib[name] = Math.round(bytes / 1024);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const now = Date.now();
    const expiredRows = EXPIRING.reduce(
      (sum, [table, column]) =>
        sum + (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} IS NOT NULL AND ${column} <= ?`).get(now) as { n: number }).n,
      0,
    );
    return { rows, kib, freeKiB: Math.round((pageSize * free) / 1024), expiredRows };
  } finally {
    db.close();
  }
}

const pad = (value: string, width: number) => value.padStart(width);
const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(0));

function line(row: Row): string {
  const kinds = KINDS.map((kind) => {
    const k = row.kinds[kind];
    return `${kind} ${k.ops}${k.errors > 0 ? `/${k.errors}err` : ''} p99 ${ms(k.p99Ms)}`;
  }).join(', ');
  return (
    `min ${pad(String(row.minute), 3)}: rss ${row.rssMiB.toFixed(0)} MiB, heap ${row.heapUsedMiB.toFixed(0)} MiB, loop p99 ${row.eventLoopP99Ms.toFixed(1)} ms, ` +
    `cpu ${row.serverCpuPercent.toFixed(0)}%, store ${row.storeMiB.toFixed(1)}+${row.walMiB.toFixed(1)} MiB (${row.store.expiredRows} expired rows), ${row.httpRequests} req (${row.http5xx} 5xx), ` +
    `mail queue ${row.mailQueueDepth} (wait p99 ${ms(row.mailWaitP99Ms)}), load ${row.loadAverage1m.toFixed(2)} | ${kinds}`
  );
}

function table(rows: readonly Row[]): string {
  const header = [
    'min',
    'RSS MiB',
    'heap MiB',
    'loop p99 ms',
    'cpu %',
    'store MiB',
    'WAL MiB',
    'req',
    '5xx',
    'load',
    ...KINDS.map((kind) => `${kind} p99`),
    'errors',
  ];
  const body = rows.map((row) => [
    String(row.minute),
    row.rssMiB.toFixed(0),
    row.heapUsedMiB.toFixed(1),
    row.eventLoopP99Ms.toFixed(1),
    row.serverCpuPercent.toFixed(0),
    row.storeMiB.toFixed(1),
    row.walMiB.toFixed(1),
    String(row.httpRequests),
    String(row.http5xx),
    row.loadAverage1m.toFixed(2),
    ...KINDS.map((kind) => ms(row.kinds[kind].p99Ms)),
    String(KINDS.reduce((sum, kind) => sum + row.kinds[kind].errors, 0)),
  ]);
  const widths = header.map((title, index) => Math.max(title.length, ...body.map((cells) => (cells[index] ?? '').length)));
  const format = (cells: readonly string[]) => cells.map((cell, index) => cell.padStart(widths[index] ?? 0)).join('  ');
  return [format(header), ...body.map(format)].join('\n');
}

async function main(): Promise<number> {
  build();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-soak-logs-'));
  const machine = { cpuModel: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, date: new Date().toISOString() };
  const rates = Object.fromEntries(KINDS.map((kind) => [kind, RATES[kind] * scale])) as Record<Kind, number>;
  log(`linkid soak: ${minutes} min on ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; server logs in ${logDir}`);
  log(`rates per second: ${KINDS.map((kind) => `${kind} ${rates[kind]}`).join(', ')}`);
  log(
    `Postmark stand-in: ${POSTMARK.delayMs} ms, ${POSTMARK.failRate * 100}% 500s, ${POSTMARK.inactivePrefix}* inactive (422); ` +
      Object.entries(SERVER_ENV)
        .map(([name, value]) => `${name}=${value}`)
        .join(' '),
  );

  const postmarkPort = await freePort();
  const postmarkUrl = `http://127.0.0.1:${postmarkPort}`;
  const postmark: Server = await startServer({
    name: 'postmark',
    args: [path.join(ROOT, 'bench/servers/slow-postmark.ts')],
    env: {
      PORT: String(postmarkPort),
      POSTMARK_TOKEN: TOKEN,
      DELAY_MS: String(POSTMARK.delayMs),
      FAIL_RATE: String(POSTMARK.failRate),
      INACTIVE_PREFIX: POSTMARK.inactivePrefix,
    },
    cpus: undefined,
    url: postmarkUrl,
    readyUrl: `${postmarkUrl}/received`,
    logDir,
  });
  const linkid: Linkid = await startLinkid({
    name: 'linkid-soak',
    cpus: undefined,
    logDir,
    env: { POSTMARK_SERVER_TOKEN: TOKEN, POSTMARK_API_URL: postmarkUrl, ...SERVER_ENV },
  });
  const inbox = new PostmarkInbox(postmarkUrl);
  const storeFile = path.join(linkid.dataDir, 'linkid.sqlite');
  const rows: Row[] = [];
  const failures: string[] = [];
  let failureCount = 0;
  try {
    const target: Target = { kind: 'linkid', url: linkid.url, client: linkid.createClient('soak') };
    const ops = operations(target, inbox);
    const windows = Object.fromEntries(KINDS.map((kind) => [kind, newWindow()])) as Record<Kind, KindWindow>;
    const running = new Set<Promise<void>>();
    const started = performance.now();
    const endAt = started + minutes * 60_000;

    const scrape = async () => parseMetrics(await (await fetch(`${linkid.url}/metrics`)).text());
    let before = await scrape();
    let cpuBefore = cpuSeconds(linkid.pid);
    let minuteStarted = performance.now();

    const report = async (minute: number) => {
      const now = await scrape();
      const cpuNow = cpuSeconds(linkid.pid);
      const elapsed = (performance.now() - minuteStarted) / 1000;
      const status5xx = (series: string) => /status="5\d\d"/.test(series);
      const kinds = Object.fromEntries(
        KINDS.map((kind) => {
          const w = windows[kind];
          w.latencies.sort((a, b) => a - b);
          const figures = { ops: w.done, skipped: w.skipped, errors: w.errors, p50Ms: percentile(w.latencies, 50), p99Ms: percentile(w.latencies, 99) };
          windows[kind] = newWindow();
          return [kind, figures];
        }),
      ) as Row['kinds'];
      const row: Row = {
        minute,
        loadAverage1m: os.loadavg()[0] ?? Number.NaN,
        rssMiB: MiB(now.get('process_resident_memory_bytes') ?? Number.NaN),
        heapUsedMiB: MiB(now.get('nodejs_heap_size_used_bytes') ?? Number.NaN),
        eventLoopP99Ms: (now.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
        serverCpuPercent: ((cpuNow - cpuBefore) / elapsed) * 100,
        storeMiB: MiB(fileBytes(storeFile)),
        walMiB: MiB(fileBytes(`${storeFile}-wal`)),
        httpRequests: sumOf(now, 'linkid_http_request_duration_seconds_count') - sumOf(before, 'linkid_http_request_duration_seconds_count'),
        http5xx: sumOf(now, 'linkid_http_request_duration_seconds_count', status5xx) - sumOf(before, 'linkid_http_request_duration_seconds_count', status5xx),
        mailQueueDepth: sumOf(now, 'linkid_mail_queue_depth'),
        store: storeContents(storeFile),
        mailWaitP99Ms: percentile(
          [...mailWaits].sort((a, b) => a - b),
          99,
        ),
        kinds,
      };
      mailWaits.length = 0;
      before = now;
      cpuBefore = cpuNow;
      minuteStarted = performance.now();
      rows.push(row);
      log(line(row));
    };

    // One scheduler per kind: the nth operation is due at started + n / rate, whatever came before.
    const schedule = async (kind: Kind) => {
      const rate = rates[kind];
      for (let n = 0; ; n += 1) {
        const due = started + (n * 1000) / rate;
        if (due >= endAt) return;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        windows[kind].started += 1;
        const op = ops[kind]().then(
          (outcome) => {
            const w = windows[kind];
            if (outcome === 'skipped') w.skipped += 1;
            else {
              w.done += 1;
              w.latencies.push(performance.now() - due);
            }
          },
          (error: unknown) => {
            windows[kind].errors += 1;
            failureCount += 1;
            if (failures.length < 50) failures.push(`${new Date().toISOString()} ${kind}: ${(error as Error).message.split('\n').slice(0, 4).join(' ')}`);
            if (failures.length <= 5) log(`  ${kind} FAILED: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
          },
        );
        running.add(op);
        void op.finally(() => running.delete(op));
      }
    };

    const schedulers = Promise.all(KINDS.map((kind) => schedule(kind)));
    for (let minute = 1; minute <= Math.ceil(minutes); minute += 1) {
      const due = started + Math.min(minute, minutes) * 60_000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      if (minute === Math.ceil(minutes)) {
        await schedulers;
        await Promise.all(running);
      }
      await report(minute);
    }

    const http5xxTotal = rows.reduce((sum, row) => sum + row.http5xx, 0);
    log(`\n${table(rows)}\n`);
    log(
      'p99 per kind in ms, from the scheduled start (a sign-in includes its mail: Postmark 150 ms, retries after a 500); loop p99: nodejs_eventloop_lag_p99_seconds',
    );
    log(`store at the end: ${JSON.stringify(rows.at(-1)?.store ?? {})}`);
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(
      outFile,
      `${JSON.stringify({ machine, minutes, rates, postmark: POSTMARK, serverEnv: SERVER_ENV, people: PEOPLE, rows, failureCount, failures, http5xxTotal }, null, 2)}\n`,
    );
    log(`results in ${path.relative(process.cwd(), outFile)}`);
    if (failureCount > 0 || http5xxTotal > 0) {
      process.stderr.write(`\nsoak FAILED: ${failureCount} unexpected answer(s), ${http5xxTotal} 5xx; server logs kept in ${logDir}\n${failures.join('\n')}\n`);
      return 1;
    }
    fs.rmSync(logDir, { recursive: true, force: true });
    return 0;
  } finally {
    inbox.close();
    await linkid.stop();
    await postmark.stop();
    await stopAll();
  }
}

const stopOnSignal = () => void stopAll().finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
    await stopAll();
    process.exit(1);
  },
);
