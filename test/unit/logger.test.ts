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

describe('batched writes', () => {
  it('never exceed one atomic pipe write (4096 bytes) unless a single line does, and never split a line', async () => {
    const { batchedByTurn } = await import('../../src/observability/logger.js');
    const writes: string[] = [];
    const out = batchedByTurn({ write: (chunk: string) => writes.push(chunk) });
    const lines = Array.from({ length: 100 }, (_, n) => `${JSON.stringify({ n, padding: 'é'.repeat(n * 3) })}\n`);
    const long = `${JSON.stringify({ padding: 'x'.repeat(6000) })}\n`;
    for (const line of [...lines.slice(0, 50), long, ...lines.slice(50)]) out.write(line);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes.join('')).toBe([...lines.slice(0, 50), long, ...lines.slice(50)].join(''));
    expect(writes.length).toBeGreaterThan(2);
    for (const chunk of writes) {
      expect(chunk.endsWith('\n')).toBe(true);
      if (chunk !== long) expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(4096);
    }
  });
});

describe('the time field', () => {
  it("is the instant each line is written, in pino's isoTime form, formatted once per millisecond", async () => {
    const { isoTimeByMillisecond } = await import('../../src/observability/logger.js');
    const base = Date.now();
    let now = base;
    const time = isoTimeByMillisecond(() => now);
    const first = time();
    expect(first).toBe(`,"time":"${new Date(base).toISOString()}"`);
    expect(time()).toBe(first);
    now = base + 1;
    expect(time()).toBe(`,"time":"${new Date(base + 1).toISOString()}"`);
    // A clock stepped back (NTP) gives the earlier instant, not the last one formatted.
    now = base - 5000;
    expect(time()).toBe(`,"time":"${new Date(base - 5000).toISOString()}"`);
  });

  it('is what a line written by the logger carries', async () => {
    const { createLogger } = await import('../../src/observability/logger.js');
    const lines: string[] = [];
    const before = Date.now();
    createLogger('info', { write: (line: string) => lines.push(line) }).info('hello');
    const { time } = JSON.parse(lines[0] as string) as { time: string };
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
