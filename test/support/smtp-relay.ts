// A real SMTP server on loopback for the SMTP tests: test/support/smtp-relay.py on Debian's
// python3-aiosmtpd, one process per test, on a free port. It records what it takes to a directory,
// answers a configured reply (a 4xx, a 5xx) for given recipients, and can be stopped and started
// again on the same port (a relay that is down, then back). Where aiosmtpd is not installed the
// SMTP suite says so in its output (describe.skipIf with the reason) instead of passing silently.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OutboxMessage } from '../../src/mail/outbox.js';

/** Debian's python3 (the package installs aiosmtpd for it, not for another python on PATH). */
const PYTHON = process.env.SMTP_RELAY_PYTHON ?? '/usr/bin/python3';
const SCRIPT = path.join(import.meta.dirname, 'smtp-relay.py');

export const aiosmtpdMissing = spawnSync(PYTHON, ['-c', 'import aiosmtpd'], { stdio: 'ignore' }).status !== 0;
if (aiosmtpdMissing) {
  console.warn(`[smtp tests] NOT RUN: ${PYTHON} cannot import aiosmtpd (apt-get install python3-aiosmtpd, or set SMTP_RELAY_PYTHON)`);
}

/** One message as the relay took it: the envelope, and the parts a person reads. */
export interface RelayedMessage extends OutboxMessage {
  readonly mailFrom: string;
  readonly rcptTos: string[];
  readonly messageId: string;
  readonly requestId: string | null;
  readonly authenticated: boolean;
}

export interface SmtpRelay {
  readonly port: number;
  /** SMTP_URL for it: plain text on loopback (`tls=none`), with the credentials when it requires AUTH. */
  readonly url: string;
  messages(): RelayedMessage[];
  /** From now on `address` gets `reply` to RCPT (the next `times` times, or always). */
  reply(address: string, reply: string, times?: number): void;
  /** Stops the process: the port refuses connections until start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

function launch(dir: string, port: number, auth?: { user: string; password: string }): Promise<{ child: ChildProcess; port: number }> {
  const args = [SCRIPT, dir, '--port', String(port), ...(auth ? ['--user', auth.user, '--password', auth.password] : [])];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening (\d+)/.exec(stdout);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`smtp-relay.py exited (${code}): ${stderr}`)));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startSmtpRelay(options: { auth?: { user: string; password: string } } = {}): Promise<SmtpRelay> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-smtp-relay-'));
  let { child, port } = await launch(dir, 0, options.auth);
  const replies: Record<string, { reply: string; times?: number }> = {};
  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.password)}@` : '';
  return {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}?tls=none`,
    messages: () =>
      fs
        .readdirSync(dir)
        .filter((name) => name.endsWith('.json') && !name.startsWith('.') && name !== 'replies.json')
        .sort()
        .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as RelayedMessage),
    reply(address, reply, times) {
      replies[address.toLowerCase()] = times === undefined ? { reply } : { reply, times };
      fs.writeFileSync(path.join(dir, 'replies.json'), JSON.stringify(replies));
    },
    stop: () => stopped(child),
    async start() {
      ({ child, port } = await launch(dir, port, options.auth));
    },
    async close() {
      await stopped(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
