// Build step (`npm run build`, after tsc): records the commit being built in dist/build-info.json,
// which src/observability/versions.ts reads at run time. The commit comes from LINKID_COMMIT (the
// Dockerfile's build argument: the image is built without .git) or from git in a checkout; with
// neither, none is recorded and linkid reports "unknown". A build script, not the running program,
// so it reads its one variable itself. An argument names another file to write (for tests).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { BUILD_INFO_FILE } from './versions.js';

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const commit = process.env.LINKID_COMMIT?.trim() || gitCommit() || 'unknown';
fs.writeFileSync(process.argv[2] ?? BUILD_INFO_FILE, `${JSON.stringify({ commit })}\n`);
