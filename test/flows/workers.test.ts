// WORKERS=2 as an operator runs it: `node dist/main.js`, a primary and two worker processes on one
// port. Every request here opens its own connection, so the primary hands them to the workers in
// turn, and each request's log line says which worker served it. A sign-in whose steps land on
// both workers completes (interactions, sessions, sign-in tokens live in the store); rate limits
// count together; every worker publishes the keys the primary created; /metrics counts the whole
// cluster whichever process answers; a killed worker is replaced while the other keeps answering;
// SIGTERM lets a request in hand and its email finish, then exits 0; and a start that cannot
// succeed stops with one line, as with one process.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import { openStore } from '../../src/store/open-store.js';
import { Browser, formOn, type Page } from '../support/browser.js';
import { startFakePostmark, type FakePostmark } from '../support/fake-postmark.js';
import { eventually, freePort, spawnLinkid, type LinkidProcess } from '../support/linkid-process.js';
import { parseMetrics, scrape } from '../support/metrics.js';
import { parseSignInMail, readOutbox } from '../support/outbox.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { confirmLink, finishAtApp, submitEmail } from '../support/sign-in.js';
import { TEST_MONGODB_URI, dropDatabase, newTestDatabaseUri } from '../support/test-databases.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** A browser that opens a new connection for every request and keeps each answer's request id. */
class TracedBrowser extends Browser {
  readonly requestIds: string[] = [];

  override async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const page = await super.request(url, { ...init, headers: { connection: 'close', ...init.headers } });
    const id = page.headers.get('x-request-id');
    if (id) this.requestIds.push(id);
    return page;
  }
}

async function startCluster(env: Record<string, string> = {}): Promise<LinkidProcess> {
  const linkid = await spawnLinkid({ WORKERS: '2', ...env });
  await linkid.logLine((line) => line.msg === 'linkid listening');
  return linkid;
}

/** `linkid-admin client create`, against the running cluster's store (DATA_DIR, or its database). */
async function registerApp(linkid: LinkidProcess): Promise<RelyingParty> {
  const args = ['dist/cli/linkid-admin.js', 'client', 'create', '--name', 'Notes', '--first-party', '--redirect-uri', 'http://localhost:4000/callback'];
  const { stdout } = await run('node', args, { cwd: root, env: { ...process.env, ...linkid.storeEnv } });
  return RelyingParty.discover(linkid.issuer, JSON.parse(stdout) as ClientView);
}

/** The worker that served `requestId`, from its log line. */
async function workerOf(linkid: LinkidProcess, requestId: string): Promise<number | undefined> {
  return (await linkid.logLine((line) => line.msg === 'request' && line.requestId === requestId)).worker;
}

async function workersOf(linkid: LinkidProcess, requestIds: string[]): Promise<Set<number | undefined>> {
  return new Set(await Promise.all(requestIds.map((id) => workerOf(linkid, id))));
}

/** From the app to its tokens (the mail read from the outbox the workers share); the address userinfo gives. */
async function signIn(linkid: LinkidProcess, rp: RelyingParty, browser: Browser, email: string): Promise<unknown> {
  const attempt = await rp.authorizationUrl();
  const form = await browser.follow(attempt.url);
  const page = await browser.submit(form, /\/login$/, { email });
  expect(page.body).toContain('Check your email');
  const mail = parseSignInMail(await eventually(() => readOutbox(linkid.dataDir).find((message) => message.to === email)));
  const callback = await finishAtApp(browser, rp, await confirmLink(browser, mail));
  const tokens = await rp.redeem(callback, attempt);
  return (await oidc.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub)).email;
}

/** GET on a connection of its own; the answer and the worker that gave it. */
async function getOnce(linkid: LinkidProcess, pathname: string): Promise<{ status: number; body: string; worker: number | undefined }> {
  const response = await fetch(`${linkid.issuer}${pathname}`, { headers: { connection: 'close' } });
  const body = await response.text();
  return { status: response.status, body, worker: await workerOf(linkid, response.headers.get('x-request-id') ?? '') };
}

describe('WORKERS=2', () => {
  let linkid: LinkidProcess;
  let rp: RelyingParty;

  beforeAll(async () => {
    linkid = await startCluster({ RATE_LIMIT_SEND_PER_EMAIL: '2/1h' });
    rp = await registerApp(linkid);
  });
  afterAll(async () => {
    await linkid.cleanUp();
  });

  it('says at start that two workers serve, each with its own process', async () => {
    expect(linkid.logs().find((line) => line.msg === 'linkid listening')).toMatchObject({
      workers: 2,
      port: linkid.port,
      store: linkid.mongodbUri ? 'mongodb' : 'sqlite',
    });
    const workers = linkid.logs().filter((line) => line.msg === 'worker listening');
    expect(new Set(workers.map((line) => line.pid)).size).toBe(2);
    expect(workers.map((line) => line.pid)).not.toContain(linkid.child.pid);
  });

  it('completes a sign-in whose requests land on both workers, its ID token verified against their JWKS', async () => {
    const browser = new TracedBrowser();
    expect(await signIn(linkid, rp, browser, 'ann@example.com')).toBe('ann@example.com');
    expect(await workersOf(linkid, browser.requestIds)).toEqual(new Set([1, 2]));
  });

  it('publishes the same signing keys from every worker: the ones the primary created in DATA_DIR', async () => {
    const answers = [];
    for (let i = 0; i < 12; i += 1) answers.push(await getOnce(linkid, '/jwks'));
    expect(new Set(answers.map((answer) => answer.worker))).toEqual(new Set([1, 2]));
    expect(new Set(answers.map((answer) => answer.body)).size).toBe(1);
    const published = (JSON.parse(answers[0]!.body) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    const files = JSON.parse(fs.readFileSync(path.join(linkid.dataDir, 'keys', 'signing-keys.json'), 'utf8')) as { keys: { kid: string }[] };
    expect(published.sort()).toEqual(files.keys.map((key) => key.kid).sort());
  });

  it('counts a rate limit across workers: the third email to one address is refused, whichever worker takes it', async () => {
    const posts: { status: number; requestId: string }[] = [];
    for (let i = 0; i < 3; i += 1) {
      const browser = new TracedBrowser();
      const page = await submitEmail(browser, rp, 'bob@example.com');
      posts.push({ status: page.status, requestId: browser.requestIds.at(-1)! });
    }
    expect(posts.map((post) => post.status)).toEqual([200, 200, 429]);
    expect(
      (
        await workersOf(
          linkid,
          posts.map((post) => post.requestId),
        )
      ).size,
    ).toBe(2);
  });

  it("answers /metrics with the whole cluster's counts, whichever worker is asked", async () => {
    const scrapeOnce = async () => {
      const answer = await getOnce(linkid, '/metrics');
      expect(answer.status, answer.body).toBe(200);
      return { metrics: parseMetrics(answer.body), worker: answer.worker };
    };
    const healthz = (scraped: Awaited<ReturnType<typeof scrapeOnce>>) =>
      scraped.metrics.value('linkid_http_request_duration_seconds_count', { route: '/healthz', method: 'GET', status: '200' }) ?? 0;
    const before = await scrapeOnce();
    for (let i = 0; i < 6; i += 1) expect((await getOnce(linkid, '/healthz')).status).toBe(200);
    const first = await scrapeOnce();
    const second = await scrapeOnce();
    expect(first.worker).not.toBe(second.worker);
    expect(healthz(first)).toBe(healthz(before) + 6);
    expect(healthz(second)).toBe(healthz(first));
    // Counted once, not once per worker: what every worker reads alike.
    expect(first.metrics.value('linkid_build_info')).toBe(1);
    expect(first.metrics.value('linkid_workers')).toBe(2);
    const store = await openStore({ dataDir: linkid.dataDir, mongodbUri: linkid.mongodbUri });
    try {
      expect(first.metrics.value('linkid_login_tokens_pending')).toBe(await store.loginTokens.countPending(Date.now()));
    } finally {
      await store.close();
    }
    expect(first.metrics.value('linkid_login_tokens_pending')).toBeGreaterThan(0);
    expect(first.metrics.value('linkid_signin_completed_total', { method: 'link' })).toBe(1);
  });

  it('replaces a killed worker, answering with the other meanwhile', async () => {
    const before = linkid.logs().filter((line) => line.msg === 'worker listening');
    const [victim, survivor] = before;
    process.kill(victim!.pid!, 'SIGKILL');
    await linkid.logLine((line) => line.msg === 'worker exited; starting another' && line.pid === victim!.pid);
    for (let i = 0; i < 4; i += 1) expect((await getOnce(linkid, '/healthz')).status).toBe(200);
    const replacement = await linkid.logLine((line) => line.msg === 'worker listening' && !before.some((old) => old.pid === line.pid));
    expect(replacement.worker).toBe(3);

    const browser = new TracedBrowser();
    expect(await signIn(linkid, rp, browser, 'carol@example.com')).toBe('carol@example.com');
    expect(await workersOf(linkid, browser.requestIds)).toEqual(new Set([survivor!.worker, 3]));
    const metrics = parseMetrics((await getOnce(linkid, '/metrics')).body);
    expect(metrics.value('linkid_worker_restarts_total')).toBe(1);
    // The Metrics section of docs/audit-and-metrics.md names both, as exported only with WORKERS above 1.
    const doc = fs.readFileSync(path.join(root, 'docs/audit-and-metrics.md'), 'utf8');
    for (const name of ['linkid_workers', 'linkid_worker_restarts_total'])
      expect(doc).toMatch(new RegExp(`^\\| \`${name}\` .*only with \`WORKERS\` above 1`, 'm'));
    expect(metrics.value('linkid_workers')).toBe(2);
  });
});

describe('WORKERS=2 with METRICS_PORT, stopped by SIGTERM', () => {
  let linkid: LinkidProcess | undefined;
  afterEach(async () => {
    await linkid?.cleanUp();
  });

  it('serves the whole cluster on METRICS_PORT from the primary, and on SIGTERM finishes the request in hand and its email, then exits 0', async () => {
    const metricsPort = await freePort();
    linkid = await startCluster({ METRICS_PORT: String(metricsPort) });
    const rp = await registerApp(linkid);
    const metrics = await scrape(`http://localhost:${metricsPort}`);
    expect(metrics.value('linkid_workers')).toBe(2);
    expect(metrics.value('linkid_build_info')).toBe(1);
    expect((await getOnce(linkid, '/metrics')).status).toBe(404);

    // A form POST whose body is not sent yet: 100-continue says a worker holds the request.
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl()).url);
    const { action, hidden } = formOn(form, /\/login$/);
    const body = new URLSearchParams({ ...hidden, email: 'dora@example.com' }).toString();
    const request = http.request(action, {
      method: 'POST',
      headers: {
        cookie: await browser.jar.getCookieString(action),
        origin: linkid.issuer,
        'sec-fetch-site': 'same-origin',
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
    });
    request.flushHeaders();
    await new Promise((resolve) => request.once('continue', resolve));

    linkid.child.kill('SIGTERM');
    await eventually(() => linkid!.logs().filter((line) => line.msg === 'shutting down' && line.worker !== undefined).length === 2);
    request.end(body);
    const answer = await answered;
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Check your email');
    expect(await linkid.exited).toBe(0);
    expect(readOutbox(linkid.dataDir).map((mail) => mail.to)).toEqual(['dora@example.com']);
    expect(linkid.stderr()).toBe('');
  });
});

describe('WORKERS=1', () => {
  let linkid: LinkidProcess | undefined;
  afterEach(async () => {
    await linkid?.cleanUp();
  });

  it('is one process serving by itself, as without the setting: no primary, no workers', async () => {
    linkid = await spawnLinkid({ WORKERS: '1' });
    expect(await linkid.logLine((line) => line.msg === 'linkid listening')).toMatchObject({ workers: 1 });
    const answer = await getOnce(linkid, '/metrics');
    expect(answer.worker).toBeUndefined();
    expect(parseMetrics(answer.body).value('linkid_workers')).toBeUndefined();
    expect(linkid.logs().filter((line) => line.msg === 'worker listening')).toEqual([]);
    linkid.child.kill('SIGTERM');
    expect(await linkid.exited).toBe(0);
  });
});

describe('WORKERS=2 refusing to start', () => {
  let postmark: FakePostmark | undefined;
  let blocker: net.Server | undefined;
  const dataDirs: string[] = [];
  const databases: string[] = [];
  afterEach(async () => {
    await postmark?.close();
    blocker?.close();
    for (const dir of dataDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    for (const uri of databases.splice(0)) await dropDatabase(uri);
  });

  const start = async (env: Record<string, string>) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-workers-refused-'));
    dataDirs.push(dataDir);
    // Under test:mongo, a database of its own (test:mongo's MONGODB_URI names only the server).
    const mongodbUri = TEST_MONGODB_URI ? newTestDatabaseUri('linkid_refused') : undefined;
    if (mongodbUri) databases.push(mongodbUri);
    const result = (await run('node', ['dist/main.js'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, ...(mongodbUri ? { MONGODB_URI: mongodbUri } : {}), PORT: String(await freePort()), WORKERS: '2', ...env },
      timeout: 20_000,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error)) as { code: number; stdout: string; stderr: string };
    return { ...result, lines: result.stderr.trim().split('\n'), dataDir };
  };

  it('stops with one line naming the variable when configuration is bad, WORKERS included', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ ISSUER: 'http://id.example.com' }, 'Invalid configuration: ISSUER: must use https unless the host is localhost or a loopback address'],
      [{ WORKERS: '0' }, 'Invalid configuration: WORKERS: must be at least 1'],
      [{ WORKERS: 'many' }, 'Invalid configuration: WORKERS: must be a whole number or auto'],
    ];
    for (const [env, line] of cases) {
      const result = await start(env);
      expect(result.code, JSON.stringify(env)).toBe(1);
      expect(result.lines).toEqual([line]);
    }
  });

  it("stops with the workers' one line when the port is taken", async () => {
    blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker!.listen(port, resolve));
    const result = await start({ PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatch(/^Cannot listen: port already in use/);
    expect(result.stdout).not.toContain('linkid listening');
  });

  it('asks Postmark once, in the primary, and stops with one line when it refuses the token', async () => {
    postmark = await startFakePostmark();
    const result = await start({ POSTMARK_SERVER_TOKEN: 'wrong-token-000', POSTMARK_API_URL: postmark.url });
    expect(result.code).toBe(1);
    expect(result.lines).toEqual(['POSTMARK_SERVER_TOKEN was refused by Postmark (401): check the server API token']);
    expect(postmark.requests.filter((request) => request.path === '/server')).toHaveLength(1);
    expect(fs.readdirSync(result.dataDir)).toEqual([]);
  });

  it('stops with one line when the store cannot be reached', async () => {
    const result = await start({ MONGODB_URI: 'mongodb://admin:hunter2@127.0.0.1:1/linkid?serverSelectionTimeoutMS=500' });
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatch(/^cannot connect to MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/linkid/);
  });
});
