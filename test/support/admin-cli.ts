// `npx linkid-admin ...` run as an operator runs it next to a running linkid: its own process, the
// server's DATA_DIR (and, on MongoDB, its database), quiet logs, no npm update check.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunningLinkid } from './linkid.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/**
 * The command's environment. MONGODB_URI must be linkid's own: the one test:mongo sets names the
 * server only, so a command given it would work in database `test`, not in the test's.
 */
/** The store a command works in: a running linkid's, or a DATA_DIR no server has open (`config: {}`). */
export type StoreOf = Pick<RunningLinkid, 'dataDir'> & { readonly config: { readonly mongodbUri?: string | undefined } };

const commandEnv = (linkid: StoreOf, env: Record<string, string>): NodeJS.ProcessEnv => ({
  ...process.env,
  DATA_DIR: linkid.dataDir,
  ...(linkid.config.mongodbUri ? { MONGODB_URI: linkid.config.mongodbUri } : {}),
  LOG_LEVEL: 'silent',
  npm_config_update_notifier: 'false',
  ...env,
});

/** Runs the command and returns its stdout (a failing command rejects with its stderr). */
export async function linkidAdmin(linkid: StoreOf, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('npx', ['linkid-admin', ...args], { cwd: root, env: commandEnv(linkid, env) });
  return stdout;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command and returns its exit code, stdout and stderr, whether it succeeded or not. */
export async function linkidAdminResult(linkid: StoreOf, args: readonly string[], env: Record<string, string> = {}): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run('npx', ['linkid-admin', ...args], { cwd: root, env: commandEnv(linkid, env) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CommandResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
