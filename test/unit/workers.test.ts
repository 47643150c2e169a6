// WORKERS as configured, and the back-off between replacements of a worker that keeps dying.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { restartDelay } from '../../src/cluster/supervisor.js';
import { loadConfig } from '../../src/config/env.js';

describe('WORKERS', () => {
  it('is 1 unless set, a count when given one, and one per core for auto', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ WORKERS: '3' }).workers).toBe(3);
    expect(loadConfig({ WORKERS: 'auto' }).workers).toBe(os.availableParallelism());
  });

  it.each([
    ['0', 'must be at least 1'],
    ['1025', 'must be at most 1024'],
    ['-2', 'must be a whole number or auto'],
    ['2.5', 'must be a whole number or auto'],
    ['AUTO ', 'must be a whole number or auto'],
  ])('refuses WORKERS=%s naming it', (value, words) => {
    expect(() => loadConfig({ WORKERS: value })).toThrow(`Invalid configuration: WORKERS: ${words}`);
  });
});

describe('restartDelay', () => {
  it('waits a tenth of a second after one death, doubling for each death in a row, up to 30 seconds', () => {
    expect([1, 2, 3, 4, 5].map(restartDelay)).toEqual([100, 200, 400, 800, 1600]);
    expect(restartDelay(9)).toBe(25_600);
    expect(restartDelay(10)).toBe(30_000);
    expect(restartDelay(1000)).toBe(30_000);
  });
});
