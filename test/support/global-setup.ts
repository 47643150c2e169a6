// Compiles src/ once per test run, with the same `npm run build` that `npm ci` (prepare) runs, so
// tests that start the shipped entry points (dist/main.js, dist/cli/linkid-admin.js as `linkid-admin`)
// run the code under test, not the last build. tsc is incremental: an unchanged tree costs little.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '../..');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, npm_config_update_notifier: 'false' } });
}
