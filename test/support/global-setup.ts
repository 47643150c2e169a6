// Compiles src/ once so tests can run the shipped entry points (dist/main.js, dist/admin/cli.js)
// exactly as `npm start` and `npm run admin` do.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
