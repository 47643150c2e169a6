// Killing a built linkid (dist/main.js, as `npm start` runs it) in the middle of real work, and
// starting it again where it left off, for the crash-safety and shutdown tests. The moment of the
// kill is chosen by watching progress (answers given, sends the provider received), drawn from a
// seeded random range: every run prints its seed, and CRASH_SEED=that replays the same choices.
// Mail goes to a local fake Postmark that can be slow and says which sends linkid heard answered.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import { openStore } from '../../src/store/open-store.js';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite/index.js';
import { Browser, formOn, type Page } from './browser.js';
import type { FakePostmark, RecordedEmail } from './fake-postmark.js';
import { spawnLinkid, type LinkidProcess } from './linkid-process.js';
import { RelyingParty } from './relying-party.js';
import { storedRecords } from './stored-records.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** Random choices that a seed replays. */
export interface Dice {
  readonly seed: number;
  /** A whole number from `low` to `high`, both included. */
  between(low: number, high: number): number;
}

export function dice(name: string): Dice {
  const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : randomInt(2 ** 31);
  console.info(`${name}: CRASH_SEED=${seed} replays this run's kill points`);
  // mulberry32: small, and the same numbers for the same seed on every machine.
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, between: (low, high) => low + Math.floor(next() * (high - low + 1)) };
}

/** Limits that let one test machine (one IP) play many people at once. */
const LOAD_LIMITS = {
  RATE_LIMIT_SEND_PER_IP: '10000/1h',
  RATE_LIMIT_VERIFY_PER_IP: '10000/1h',
  RATE_LIMIT_CODE_PER_IP: '10000/1h',
};

export const postmarkEnv = (postmark: FakePostmark): Record<string, string> => ({
  POSTMARK_SERVER_TOKEN: postmark.token,
  POSTMARK_API_URL: postmark.url,
  // A claim left by a killed process is taken again after 6 s rather than a minute: still well
  // above the fake's slowest answer, so a loaded machine does not let a lease run out mid-send.
  MAIL_LEASE_SECONDS: '6',
  // A sign-in whose process was killed between the form's answer and its queued email is sent by
  // another process after 4 s rather than 15 (the restarted one sweeps for it every 1.3 s).
  LINK_REQUEST_GRACE_SECONDS: '4',
  ...LOAD_LIMITS,
});

/** Spawns linkid (or starts it again after `restartOf`) and waits until it listens. */
export async function startListening(env: Record<string, string>, restartOf?: LinkidProcess): Promise<LinkidProcess> {
  const linkid = await spawnLinkid(env, { restartOf });
  await linkid.logLine((line) => line.msg === 'linkid listening');
  return linkid;
}

/** SIGKILL, as the OOM killer or a power cut would; resolves once it is gone. */
export async function kill(linkid: LinkidProcess): Promise<void> {
  linkid.child.kill('SIGKILL');
  expect(await linkid.exited).toBeNull();
}

/** `linkid-admin client create` against the process's store. */
export async function registerApp(linkid: LinkidProcess): Promise<RelyingParty> {
  const args = ['dist/cli/linkid-admin.js', 'client', 'create', '--name', 'Notes', '--first-party', '--redirect-uri', 'http://localhost:4000/callback'];
  const { stdout } = await run('node', args, { cwd: root, env: { ...process.env, ...linkid.storeEnv } });
  return RelyingParty.discover(linkid.issuer, JSON.parse(stdout) as ClientView);
}

/** Runs `work` for each item, all at once; each outcome is the answer or the error (a killed server's). */
export function allAtOnce<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<(R | Error)[]> {
  return Promise.all(items.map((item) => work(item).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
}

/** A person at the app's email form, in a browser of their own. */
export interface Person {
  readonly email: string;
  readonly browser: Browser;
  readonly form: Page;
}

export async function peopleAtTheForm(rp: RelyingParty, count: number, prefix: string): Promise<Person[]> {
  const people: Person[] = [];
  // A few at a time: a 2-core machine answers as many quickly as it can take.
  for (let i = 0; i < count; i += 8) {
    const emails = Array.from({ length: Math.min(8, count - i) }, (_, j) => `${prefix}-${i + j}@example.com`);
    people.push(
      ...(await Promise.all(
        emails.map(async (email) => {
          const browser = new Browser();
          const form = await browser.follow((await rp.authorizationUrl()).url);
          expect(form.status, form.body).toBe(200);
          return { email, browser, form };
        }),
      )),
    );
  }
  return people;
}

export const accepted = (page: Page | Error): boolean => !(page instanceof Error) && page.status === 200 && page.body.includes('Check your email');

/** The sign-in link and code in a message the fake Postmark took. */
export function signInMailIn(email: RecordedEmail): { link: string; code: string } {
  const text = String(email.body.TextBody);
  const link = /(https?:\/\/\S+\/login\/link\?token=[A-Za-z0-9_-]{43})/.exec(text)?.[1];
  const code = /: (\d{6})$/m.exec(text)?.[1];
  if (!link || !code) throw new Error(`no sign-in link or code in the mail to ${String(email.body.To)}`);
  return { link, code };
}

export const sendsTo = (postmark: FakePostmark, to: string): RecordedEmail[] => postmark.emails().filter((email) => email.body.To === to);

/** Waits until the provider acknowledged (to a linkid that heard it) a message to each address; fails naming those without one. */
export async function deliveredTo(postmark: FakePostmark, addresses: readonly string[], withinMs = 15_000): Promise<void> {
  const missing = () => addresses.filter((to) => !sendsTo(postmark, to).some((email) => email.acknowledged));
  const until = Date.now() + withinMs;
  while (missing().length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(missing(), `accepted but not delivered within ${withinMs} ms`).toEqual([]);
}

/** The send queue's rows as the store holds them, whichever store it is. */
export async function mailRows(
  linkid: Pick<LinkidProcess, 'dataDir' | 'mongodbUri'>,
): Promise<{ to: string; status: string; providerMessageId: string | null; leaseUntil: number | null; nextAttemptAt: number }[]> {
  const records = await storedRecords({ dataDir: linkid.dataDir, config: { mongodbUri: linkid.mongodbUri } });
  // SQLite holds milliseconds; the MongoDB dump holds canonical extended JSON: {"$date": {"$numberLong": "..."}}.
  const time = (value: unknown): number | null => {
    if (value === null || value === undefined) return null;
    const date = (value as { $date?: unknown }).$date;
    if (date === undefined) return Number(value);
    return Number(typeof date === 'object' && date !== null ? (date as { $numberLong: string }).$numberLong : date);
  };
  return (records.mail_queue ?? []).map((row) => ({
    to: String(row.recipient ?? row.to),
    status: String(row.status),
    providerMessageId: (row.provider_message_id ?? row.providerMessageId ?? null) as string | null,
    leaseUntil: time(row.lease_until ?? row.leaseUntil),
    nextAttemptAt: time(row.next_attempt_at ?? row.nextAttemptAt)!,
  }));
}

/**
 * What "nothing Postmark acknowledged is sent again" means, checked for each address: linkid sent
 * it at most once before the kill and at most once after; and a message the store recorded as
 * sent (Postmark's answer reached linkid and was written) when `recordedAt` was taken is never
 * sent after that. Only a send whose answer had not been recorded at the kill may be repeated.
 */
export function expectNoResendOfRecorded(
  postmark: FakePostmark,
  addresses: readonly string[],
  recorded: readonly { to: string; status: string; providerMessageId: string | null }[],
  kill: { at: number; recordedAt: number; goneAt?: number },
): void {
  for (const to of addresses) {
    const sends = sendsTo(postmark, to);
    // Sends before the line are the killed process's, after it another's. The moment the signal
    // was sent (`at`) is too early a line where the test can wait for the process to be gone
    // (`goneAt`): a send already under way can still land after the signal.
    const line = kill.goneAt ?? kill.at;
    expect(sends.filter((email) => email.receivedAt < line).length, `sends to ${to} before the kill`).toBeLessThanOrEqual(1);
    expect(sends.filter((email) => email.receivedAt >= line).length, `sends to ${to} after the kill`).toBeLessThanOrEqual(1);
    const row = recorded.find((mail) => mail.to === to);
    if (row?.status === 'sent') {
      expect(
        sends.filter((email) => email.receivedAt >= kill.recordedAt),
        `${to} was recorded as sent (${row.providerMessageId}) yet sent again`,
      ).toEqual([]);
      expect(sends.map((email) => email.messageId)).toContain(row.providerMessageId);
    }
  }
}

/**
 * No half-made record: the store answers for every user and client it holds, each whole, and the
 * SQLite file passes its integrity check.
 */
export async function expectWholeStore(linkid: LinkidProcess): Promise<void> {
  if (!linkid.mongodbUri) {
    const db = new Database(path.join(linkid.dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }
  const records = await storedRecords({ dataDir: linkid.dataDir, config: { mongodbUri: linkid.mongodbUri } });
  const store = await openStore({ dataDir: linkid.dataDir, mongodbUri: linkid.mongodbUri });
  try {
    for (const row of records.users ?? []) {
      const user = await store.users.findById(String(row.id ?? row._id));
      expect(user?.email, JSON.stringify(row)).toMatch(/^[^@\s]+@[^@\s]+$/);
      expect(await store.users.findByEmail(user!.email)).toEqual(user);
    }
    const clients = await store.clients.list();
    expect(clients.length).toBe((records.clients ?? []).length);
    for (const client of clients) {
      expect(client.name, client.clientId).not.toBe('');
      expect(client.redirectUris.length, client.clientId).toBeGreaterThan(0);
      expect(client.isPublic || client.secretSalt !== null, client.clientId).toBe(true);
    }
  } finally {
    await store.close();
  }
}

/**
 * A form post the server holds before the signal: its headers go first with `Expect: 100-continue`,
 * and `held` resolves once the server has taken the request in (its 100 Continue); `send()` then
 * sends the body and resolves with the answer.
 */
export function heldPost(person: Person, fields: Record<string, string>): { held: Promise<void>; send(): Promise<{ status: number; body: string }> } {
  const { action, hidden } = formOn(person.form, /\/login$/);
  const body = new URLSearchParams({ ...hidden, ...fields }).toString();
  const request = http.request(action, {
    method: 'POST',
    headers: {
      cookie: person.browser.jar.getCookieStringSync(action),
      origin: new URL(action).origin,
      'sec-fetch-site': 'same-origin',
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
      connection: 'close',
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
  const held = new Promise<void>((resolve, reject) => {
    request.once('continue', resolve);
    request.once('error', reject);
  });
  request.flushHeaders();
  return {
    held,
    send() {
      request.end(body);
      return answered;
    },
  };
}
