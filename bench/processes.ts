// Every server the bench measures runs in a process of its own, started here, optionally pinned to
// its own cores with taskset, its output written to a log file (not piped through the load
// generator, which would spend CPU reading it). Every process started is stopped on the way out,
// by its own pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  readonly logFile: string;
  /** SIGTERM and a graceful exit; `kill`: SIGKILL, for a throw-away server whose queue need not drain. */
  stop(kill?: boolean): Promise<void>;
}

const started = new Set<ChildProcess>();
// However the bench ends (a crash included), no server it started outlives it.
process.on('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** Servers get a clean environment: none of linkid's variables leak in from the shell running the bench. */
const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });

export const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

/** Pins this process (all its threads) to `cpus`, e.g. "0"; returns false where taskset is missing. */
export function pinSelf(cpus: string): boolean {
  if (!hasTaskset) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const tail = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '');

async function waitUntilAnswers(url: string, child: ChildProcess, logFile: string, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited during start (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not answer ${url} within 30 s:\n${tail(logFile)}`);
}

export interface StartOptions {
  readonly name: string;
  /** Arguments to node: a script and its arguments. */
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  /** taskset's CPU list ("1", "0-1"); undefined: not pinned. */
  readonly cpus: string | undefined;
  readonly url: string;
  /** A URL that answers once the server is ready. */
  readonly readyUrl: string;
  readonly logDir: string;
}

export async function startServer(options: StartOptions): Promise<Server> {
  const logFile = path.join(options.logDir, `${options.name}.log`);
  const log = fs.openSync(logFile, 'a');
  const pin = options.cpus !== undefined && hasTaskset ? ['taskset', '-c', options.cpus] : [];
  const [command = process.execPath, ...args] = [...pin, process.execPath, ...options.args];
  const child = spawn(command, args, { env: { ...baseEnv(), ...options.env }, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  started.add(child);
  child.once('exit', () => started.delete(child));
  try {
    await waitUntilAnswers(options.readyUrl, child, logFile, options.name);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    name: options.name,
    pid: child.pid as number,
    url: options.url,
    logFile,
    stop: (kill) => stopChild(child, kill),
  };
}

async function stopChild(child: ChildProcess, kill = false): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(kill ? 'SIGKILL' : 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Stops whatever is still running, e.g. after a scenario failed. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((child) => stopChild(child)));
}

/** Runs a node script to completion and returns its stdout; throws with its stderr if it fails. */
export function runNode(args: readonly string[], env: Record<string, string>): string {
  const result = spawnSync(process.execPath, args, { env: { ...baseEnv(), ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}
