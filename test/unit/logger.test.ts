// linkid's log goes to standard output asynchronously (a request does not wait for its line's
// write). What must not change: every line logged before the process ends reaches the output,
// however the process ends (process.exit, an uncaught error), in the order it was logged. Run in
// a child process with the compiled logger, since exiting is the point.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const logger = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/observability/logger.js')).href;

async function linesOf(ending: string): Promise<number[]> {
  const script = `
    const { createLogger } = await import(${JSON.stringify(logger)});
    const log = createLogger('info');
    for (let n = 0; n < 2000; n += 1) log.info({ n, padding: 'x'.repeat(200) }, 'line');
    ${ending}`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: unknown) => error as { stdout: string },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { n: number }).n);
}

describe('the log on standard output', () => {
  const all = Array.from({ length: 2000 }, (_, n) => n);

  it('keeps every line logged before process.exit, in order', async () => {
    expect(await linesOf('process.exit(3);')).toEqual(all);
  });

  it('keeps every line logged before an uncaught error ends the process', async () => {
    expect(await linesOf("setImmediate(() => { throw new Error('boom'); });")).toEqual(all);
  });
});
