// `npx linkid-admin ...` run as an operator runs it next to a running linkid: its own process, the
// server's DATA_DIR (and, on MongoDB, its database), quiet logs, no npm update check.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { RunningLinkid } from './linkid.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** Runs the command and returns its stdout (a failing command rejects with its stderr). */
export async function linkidAdmin(linkid: RunningLinkid, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('npx', ['linkid-admin', ...args], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: linkid.dataDir,
      ...(linkid.config.mongodbUri ? { MONGODB_URI: linkid.config.mongodbUri } : {}),
      LOG_LEVEL: 'silent',
      npm_config_update_notifier: 'false',
      ...env,
    },
  });
  return stdout;
}
