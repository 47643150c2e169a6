// A clock tests can move forward, so expiry is checked without sleeping.
import type { Clock } from '../../src/kernel/clock.js';

export interface FakeClock extends Clock {
  advance(ms: number): void;
}

export function fakeClock(start = Date.now()): FakeClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}
