// The commands a user types, run as they type them: `npx linkid-admin client ...` (stdout must be
// exactly one JSON document), `npx linkid-admin suppression ...` (JSON lines for the list), the
// same through `npm run --silent admin -- ...`, and `npm start` (a bad setting stops it with one
// line). The admin commands run the dist/ that `prepare` (npm ci) and the global setup compiled.
// Under `npm run test:mongo` every command runs against a database of this file's own (the
// subprocesses get its MONGODB_URI), dropped at the end, and "at rest" means every collection.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/kernel/token-crypto.js';
import { openStore } from '../../src/store/open-store.js';
import { TEST_MONGODB_URI, dropDatabase, dumpDatabase, newTestDatabaseUri } from '../support/test-databases.js';
import { readCommit } from '../../src/observability/versions.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let dataDir: string;
/** This file's own database when tests run on MongoDB; undefined on SQLite. */
const mongodbUri = TEST_MONGODB_URI ? newTestDatabaseUri('linkid_cli') : undefined;

/** The environment every command runs in: this file's DATA_DIR and, on MongoDB, its database. */
const commandEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  DATA_DIR: dataDir,
  ...(mongodbUri ? { MONGODB_URI: mongodbUri } : {}),
  ...extra,
});

/** Everything the store keeps, as bytes: the SQLite file and its WAL, or every MongoDB collection. */
async function storedBytes(): Promise<Buffer> {
  if (mongodbUri) return Buffer.from(Object.values(await dumpDatabase(mongodbUri)).join('\n'));
  const file = path.join(dataDir, 'linkid.sqlite');
  const wal = fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`) : Buffer.alloc(0);
  return Buffer.concat([fs.readFileSync(file), wal]);
}

async function command(file: string, args: string[]) {
  // No update check: a test run never reaches the registry.
  const env = commandEnv({ npm_config_update_notifier: 'false' });
  try {
    const { stdout, stderr } = await run(file, args, { cwd: root, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** `npx linkid-admin ...`, as README tells people to run it. */
const admin = (...args: string[]) => command('npx', ['linkid-admin', ...args]);
/** `npm run --silent admin -- ...`, README's npm-run form. */
const npmRunAdmin = (...args: string[]) => command('npm', ['run', '--silent', 'admin', '--', ...args]);

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-cli-'));
});
afterAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (mongodbUri) await dropDatabase(mongodbUri);
});

describe('npx linkid-admin client', () => {
  it('creates, lists, rotates and deletes clients, printing only JSON on stdout', async () => {
    const created = await admin(
      'client',
      'create',
      '--name',
      'Wiki',
      '--redirect-uri',
      'https://wiki.example.com/cb',
      '--redirect-uri',
      'http://localhost:8080/cb',
      '--post-logout-redirect-uri',
      'https://wiki.example.com/',
    );
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout);
    expect(client).toMatchObject({
      client_name: 'Wiki',
      redirect_uris: ['https://wiki.example.com/cb', 'http://localhost:8080/cb'],
      post_logout_redirect_uris: ['https://wiki.example.com/'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(client.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const spa = JSON.parse((await admin('client', 'create', '--name', 'SPA', '--redirect-uri', 'https://spa.example.com/cb', '--public')).stdout);
    expect(spa.client_secret).toBeUndefined();
    expect(spa.token_endpoint_auth_method).toBe('none');

    const listed = JSON.parse((await admin('client', 'list')).stdout);
    expect(listed.map((c: { client_id: string }) => c.client_id)).toEqual([client.client_id, spa.client_id]);
    expect(JSON.stringify(listed)).not.toContain(client.client_secret);

    const rotated = JSON.parse((await admin('client', 'rotate-secret', client.client_id)).stdout);
    expect(rotated.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.client_secret).not.toBe(client.client_secret);

    const deleted = await admin('client', 'delete', spa.client_id);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: spa.client_id });
    expect(JSON.parse((await admin('client', 'list')).stdout)).toHaveLength(1);

    const stored = await storedBytes();
    expect(stored.includes(Buffer.from(rotated.client_id))).toBe(true);
    expect(stored.includes(Buffer.from(rotated.client_secret))).toBe(false);
    expect(stored.includes(Buffer.from(client.client_secret))).toBe(false);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('updates a client: given fields replace the stored ones, the rest stay, the secret is not shown', async () => {
    const created = JSON.parse(
      (
        await admin(
          'client',
          'create',
          '--name',
          'Board',
          '--redirect-uri',
          'https://board.example.com/cb',
          '--post-logout-redirect-uri',
          'https://board.example.com/',
        )
      ).stdout,
    );
    const updated = await admin(
      'client',
      'update',
      created.client_id,
      '--name',
      'Board 2',
      '--redirect-uri',
      'https://b.example.com/a',
      '--redirect-uri',
      'https://b.example.com/b',
      '--first-party',
    );
    expect(updated.stderr).not.toMatch(/error/);
    const client = JSON.parse(updated.stdout);
    expect(client).toMatchObject({
      client_id: created.client_id,
      client_name: 'Board 2',
      redirect_uris: ['https://b.example.com/a', 'https://b.example.com/b'],
      post_logout_redirect_uris: ['https://board.example.com/'],
      first_party: true,
      token_endpoint_auth_method: 'client_secret_basic',
      created_at: created.created_at,
    });
    expect(client.client_secret).toBeUndefined();
    expect(JSON.parse((await admin('client', 'update', created.client_id, '--no-first-party')).stdout).first_party).toBe(false);
    const listed = JSON.parse((await admin('client', 'list')).stdout) as { client_id: string; client_name: string }[];
    expect(listed.find((c) => c.client_id === created.client_id)?.client_name).toBe('Board 2');

    for (const [args, message] of [
      [[], /nothing to change/],
      [['--redirect-uri', 'http://b.example.com/cb'], /must use https/],
      [['--first-party', '--no-first-party'], /contradict/],
      [['--public'], /cannot be changed/],
      [['--name', ' '], /--name is required/],
    ] as [string[], RegExp][]) {
      const result = await admin('client', 'update', created.client_id, ...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    await admin('client', 'delete', created.client_id);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('sets per-app policy and branding on create and update, and refuses bad values with one line on stderr', async () => {
    // prettier-ignore
    const created = await admin(
      'client', 'create', '--name', 'Intranet', '--redirect-uri', 'https://intra.example.com/cb',
      '--signup', 'allowlist', '--signup-domains', 'corp.example,Bücher.example', '--link-ttl', '120', '--consent', 'skip',
      '--scope', 'openid', '--scope', 'email', '--logo-uri', 'https://intra.example.com/logo.png', '--accent-color', '#0969DA',
      '--support-email', 'it@corp.example', '--policy-uri', 'https://intra.example.com/privacy', '--tos-uri', 'https://intra.example.com/terms',
    );
    expect(created.stderr).not.toMatch(/error/);
    const client = JSON.parse(created.stdout);
    expect(client).toMatchObject({
      first_party: true,
      consent: 'skip',
      scope: 'openid email',
      logo_uri: 'https://intra.example.com/logo.png',
      policy_uri: 'https://intra.example.com/privacy',
      tos_uri: 'https://intra.example.com/terms',
      accent_text: '#ffffff',
      settings: {
        signup: 'allowlist',
        signup_domains: ['corp.example', 'xn--bcher-kva.example'],
        link_ttl_seconds: 120,
        accent_color: '#0969da',
        support_email: 'it@corp.example',
      },
    });
    const updated = JSON.parse((await admin('client', 'update', client.client_id, '--signup', 'inherit', '--consent', 'required', '--logo-uri', '')).stdout);
    expect(updated).toMatchObject({ first_party: false, consent: 'required' });
    expect(updated.settings).toEqual({ link_ttl_seconds: 120, accent_color: '#0969da', support_email: 'it@corp.example' });
    expect(updated.logo_uri).toBeUndefined();

    for (const [args, message] of [
      [['--signup', 'allowlist'], /--signup allowlist needs --signup-domains/],
      [['--link-ttl', '601'], /--link-ttl must be at most 600 seconds/],
      [['--consent', 'skip', '--no-first-party'], /--consent skip contradicts --no-first-party/],
      [['--scope', 'profile'], /--scope profile is not one of openid, email, offline_access/],
      [['--accent-color', '#ffff00'], /too little contrast/],
      [['--logo-uri', 'http://intra.example.com/logo.png'], /--logo-uri must be an https URL/],
    ] as [string[], RegExp][]) {
      const result = await admin('client', 'update', client.client_id, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('npm '));
      expect(lines, args.join(' ')).toEqual([expect.stringMatching(message)]);
    }
    await admin('client', 'delete', client.client_id);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('takes the OpenID Connect options: auth method, keys, ID token algorithm, logout URIs, and says which method a client uses', async () => {
    const jwks = JSON.stringify({
      keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' }],
    });
    const jwksFile = path.join(dataDir, 'app-jwks.json');
    fs.writeFileSync(jwksFile, jwks);
    const created = await admin(
      'client',
      'create',
      '--name',
      'Keys',
      '--redirect-uri',
      'https://keys.example.com/cb',
      '--token-endpoint-auth-method',
      'private_key_jwt',
      '--jwks',
      jwksFile,
      '--id-token-signed-response-alg',
      'EdDSA',
      '--backchannel-logout-uri',
      'https://keys.example.com/logout',
      '--backchannel-logout-session-required',
      '--frontchannel-logout-uri',
      'https://keys.example.com/fc',
    );
    expect(created.stderr).not.toMatch(/error/);
    const client = JSON.parse(created.stdout);
    expect(client).toMatchObject({
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: JSON.parse(jwks),
      id_token_signed_response_alg: 'EdDSA',
      backchannel_logout_uri: 'https://keys.example.com/logout',
      backchannel_logout_session_required: true,
      frontchannel_logout_uri: 'https://keys.example.com/fc',
    });
    expect(client.client_secret).toBeUndefined();
    expect((await admin('client', 'rotate-secret', client.client_id)).stderr).toMatch(/private_key_jwt .* has no secret/);

    // Moving to a secret method shows the secret once; keys given by URI replace the inline ones.
    const switched = JSON.parse((await admin('client', 'update', client.client_id, '--token-endpoint-auth-method', 'client_secret_post')).stdout);
    expect(switched.token_endpoint_auth_method).toBe('client_secret_post');
    expect(switched.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const byUri = JSON.parse(
      (await admin('client', 'update', client.client_id, '--jwks-uri', 'https://keys.example.com/jwks.json', '--no-backchannel-logout-session-required'))
        .stdout,
    );
    expect(byUri).toMatchObject({ jwks_uri: 'https://keys.example.com/jwks.json', backchannel_logout_session_required: false });
    expect(byUri.jwks).toBeUndefined();
    expect(byUri.client_secret).toBeUndefined();
    await admin('client', 'delete', client.client_id);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('refuses bad input with one line on stderr and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['client', 'create', '--redirect-uri', 'https://x.example/cb'], /--name is required/],
      [['client', 'create', '--name', 'X'], /at least one --redirect-uri/],
      [['client', 'create', '--name', 'X', '--redirect-uri', 'http://x.example/cb'], /must use https/],
      [['client', 'create', '--name', 'X', '--redirect-uri', 'https://x.example/cb#frag'], /fragment/],
      [['client', 'create', '--name', 'X', '--redirect-uri', 'not a uri'], /not an absolute URI/],
      [['client', 'delete', 'no-such-client'], /no client with id no-such-client/],
      [['client', 'frobnicate'], /unknown command/],
      [['client', 'update', 'no-such-client', '--name', 'X'], /no client with id no-such-client/],
      [['client', 'update'], /needs a CLIENT_ID/],
      [['client', 'create', '--nmae', 'X'], /Unknown option/],
      [
        ['client', 'create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--token-endpoint-auth-method', 'private_key_jwt'],
        /private_key_jwt needs the client's public keys: give --jwks-uri URL or --jwks FILE\|JSON/,
      ],
      [
        ['client', 'create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--public', '--token-endpoint-auth-method', 'client_secret_post'],
        /a public client has neither/,
      ],
      [
        [
          'client',
          'create',
          '--name',
          'X',
          '--redirect-uri',
          'https://x.example/cb',
          '--token-endpoint-auth-method',
          'private_key_jwt',
          '--jwks-uri',
          'http://keys.example/jwks',
        ],
        /--jwks-uri http:\/\/keys.example\/jwks must use https/,
      ],
      [['client', 'create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--jwks', 'no-such-file.json'], /--jwks no-such-file.json: no such file/],
      [
        ['client', 'create', '--name', 'X', '--redirect-uri', 'https://x.example/cb', '--id-token-signed-response-alg', 'none'],
        /must be one of RS256, ES256, EdDSA/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await admin(...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB
});

describe('npx linkid-admin suppression', () => {
  const T0 = Date.parse('2026-11-20T10:00:00.000Z');

  beforeAll(async () => {
    // Suppressions arrive from bounce webhooks; here they are written straight into the same store.
    const store = await openStore({ dataDir, mongodbUri });
    await store.suppressions.suppress('bounced@example.com', 'HardBounce', T0);
    await store.suppressions.suppress('annoyed@example.com', 'SpamComplaint', T0 + 60_000);
    await store.close();
  });

  const jsonLines = (stdout: string) =>
    stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);

  it('lists suppressions as JSON lines, one object per address', async () => {
    const listed = await admin('suppression', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(jsonLines(listed.stdout)).toEqual([
      { email: 'annoyed@example.com', reason: 'SpamComplaint', suppressed_at: '2026-11-20T10:01:00.000Z' },
      { email: 'bounced@example.com', reason: 'HardBounce', suppressed_at: '2026-11-20T10:00:00.000Z' },
    ]);
  });

  it('lifts one, typed as the person types it, and audits it without the address in clear', async () => {
    const lifted = await admin('suppression', 'lift', '  Bounced@EXAMPLE.com ');
    expect(lifted.code, lifted.stderr).toBe(0);
    expect(JSON.parse(lifted.stdout)).toEqual({ lifted: 'bounced@example.com', reason: 'HardBounce' });
    const audit = lifted.stderr
      .split('\n')
      .filter((line) => line.includes('"channel":"audit"'))
      .map((line) => JSON.parse(line));
    expect(audit).toEqual([
      expect.objectContaining({ event: 'suppression.lifted', emailHash: sha256('bounced@example.com').slice(0, 32), reason: 'HardBounce' }),
    ]);
    // npm's own warnings (about the machine's npm config, say) are not ours; what linkid writes must not hold the address.
    const ours = lifted.stderr.split('\n').filter((line) => !line.startsWith('> ') && !line.startsWith('npm '));
    expect(ours.join('\n').toLowerCase()).not.toContain('bounced@example.com');

    expect(jsonLines((await admin('suppression', 'list')).stdout)).toEqual([expect.objectContaining({ email: 'annoyed@example.com' })]);
  });

  it('refuses an address that is not suppressed, or not an address, with one line on stderr and a non-zero exit', async () => {
    const cases: [string[], RegExp, number][] = [
      [['suppression', 'lift', 'bounced@example.com'], /^error: no suppression for bounced@example\.com$/m, 1],
      [['suppression', 'lift', 'nobody@example.com'], /^error: no suppression for nobody@example\.com$/m, 1],
      [['suppression', 'lift', '\u212Annoyed@example.com'], /^error: not an address linkid would mail: /m, 2],
      [['suppression', 'lift', 'not an address'], /^error: not an address linkid would mail: "not an address"$/m, 2],
      [['suppression', 'lift'], /suppression lift needs an EMAIL/, 2],
      [['suppression', 'list', 'extra'], /unexpected argument: extra/, 2],
      [['suppression', 'list', '--public'], /--public is not an option of suppression list/, 2],
      [['suppression', 'frobnicate'], /unknown command: suppression frobnicate/, 2],
    ];
    for (const [args, message, code] of cases) {
      const result = await admin(...args);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stdout, args.join(' ')).not.toMatch(/"lifted"|"suppressed_at"/);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    // Nothing was lifted by any of them.
    expect(jsonLines((await admin('suppression', 'list')).stdout)).toEqual([expect.objectContaining({ email: 'annoyed@example.com' })]);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB
});

describe('npm run --silent admin --', () => {
  it("prints only the command's JSON on stdout, and an error only on stderr", async () => {
    const created = await npmRunAdmin('client', 'create', '--name', 'Via npm run', '--redirect-uri', 'https://run.example.com/cb');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ client_name: 'Via npm run', redirect_uris: ['https://run.example.com/cb'] });

    const refused = await npmRunAdmin('client', 'delete', 'no-such-client');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: no client with id no-such-client$/m);
  });
});

describe('npm start', () => {
  it('stops with one line naming the variable when configuration is bad', async () => {
    const result = await run('node', ['dist/main.js'], { cwd: root, env: commandEnv({ ISSUER: 'http://id.example.com' }) }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr.trim()).toBe(
      'Invalid configuration: ISSUER: must use https unless the host is localhost or a loopback address',
    );
  });

  it('stops when an https ISSUER would write live sign-in links to the outbox without being told to', async () => {
    const env = commandEnv({ ISSUER: 'https://id.example.com', POSTMARK_SERVER_TOKEN: '', MAIL_TRANSPORT: '' });
    // A regression would start listening instead: the timeout kills it and the test fails.
    const result = (await run('node', ['dist/main.js'], {
      cwd: root,
      env: { ...env, PORT: String(20_000 + Math.floor(Math.random() * 20_000)) },
      timeout: 10_000,
    }).catch((error: { code: number; stderr: string }) => error)) as { code: number; stderr: string };
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: MAIL_TRANSPORT: ISSUER is https but no mail provider is configured: set POSTMARK_SERVER_TOKEN or SMTP_URL, or MAIL_TRANSPORT=outbox to write live sign-in links to DATA_DIR/outbox on purpose',
    );
  });

  it('starts, creates its keys in DATA_DIR, answers discovery and keeps its keys across restarts', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const start = async () => {
      const child = spawn('node', ['dist/main.js'], { cwd: root, env: commandEnv({ PORT: String(port), LOG_LEVEL: 'warn' }) });
      for (let i = 0; i < 100; i += 1) {
        const ok = await fetch(`http://localhost:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const discovery = (await (await fetch(`http://localhost:${port}/.well-known/openid-configuration`)).json()) as Record<string, unknown> & {
        jwks_uri: string;
      };
      const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: { alg: string }[] };
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      return { discovery, jwks };
    };
    const first = await start();
    expect(first.discovery.issuer).toBe(`http://localhost:${port}`);
    expect(first.discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(first.discovery.response_types_supported).toEqual(['code']);
    expect(first.jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    expect(JSON.stringify(first.jwks)).not.toMatch(/"d"/);
    const second = await start();
    expect(second.jwks).toEqual(first.jwks);
    expect(fs.statSync(path.join(dataDir, 'keys', 'signing-keys.json')).mode & 0o077).toBe(0);
  });
});

describe('npm start: versions and metrics as an operator sees them', () => {
  it('logs the versions /version answers, with the commit the build recorded, and serves /metrics on METRICS_PORT', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const metricsPort = port + 1;
    const token = 'operator-scrape-token-0123456789';
    const child = spawn('node', ['dist/main.js'], {
      cwd: root,
      env: commandEnv({ PORT: String(port), LOG_LEVEL: 'info', METRICS_PORT: String(metricsPort), METRICS_TOKEN: token }),
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      for (let i = 0; i < 100 && !stdout.includes('linkid listening'); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      const listening = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string; versions?: Record<string, string> })
        .find((line) => line.msg === 'linkid listening');
      const versions = (await (await fetch(`http://localhost:${port}/version`)).json()) as Record<string, string>;
      expect(listening?.versions).toEqual(versions);
      // Built from this checkout by the global setup: git's commit, written into dist/.
      const head = await run('git', ['rev-parse', 'HEAD'], { cwd: root }).then(
        ({ stdout: out }) => out.trim(),
        () => 'unknown',
      );
      expect(versions.commit).toBe(head);
      expect((await fetch(`http://localhost:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://localhost:${metricsPort}/metrics`)).status).toBe(401);
      const metrics = await (await fetch(`http://localhost:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
      expect(metrics).toContain(`linkid_build_info{version="${versions.version}",commit="${versions.commit}",schema="${versions.schema}"} 1`);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

describe('npm run build: the commit it records', () => {
  it('takes LINKID_COMMIT when given (the Docker build argument), and what the running linkid reads back', async () => {
    const file = path.join(dataDir, 'build-info.json');
    await run('node', ['dist/observability/write-build-info.js', file], { cwd: root, env: { ...process.env, LINKID_COMMIT: 'abc1234def' } });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ commit: 'abc1234def' });
    expect(readCommit(file)).toBe('abc1234def');
  });
});

describe('npm start with MongoDB unreachable', () => {
  it('stops with one line naming the (credential-free) address', async () => {
    const result = (await run('node', ['dist/main.js'], {
      cwd: root,
      env: commandEnv({ MONGODB_URI: 'mongodb://admin:hunter2@127.0.0.1:1/linkid?serverSelectionTimeoutMS=500' }),
    }).catch((error: { code: number; stderr: string }) => error)) as { code: number; stderr: string };
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cannot connect to MongoDB at mongodb:\/\/\*\*\*@127\.0\.0\.1:1\/linkid/);
    expect(result.stderr).not.toContain('hunter2');
  });
});
