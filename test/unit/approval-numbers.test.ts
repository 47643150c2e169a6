// The number of an approval from another browser: two digits, the same every time for the same
// token (so asking again tells nothing new), keyed with the server secret, and spread over 10 to
// 99 so no number is a better blind guess than another.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { approvalNumber } from '../../src/login/steps/approve-elsewhere.js';

const secret = randomBytes(32);
const hash = () => randomBytes(32).toString('hex');

describe('approvalNumber', () => {
  it('is two digits, the same for the same token', () => {
    for (let i = 0; i < 500; i += 1) {
      const token = hash();
      const number = approvalNumber(secret, token);
      expect(Number.isInteger(number) && number >= 10 && number <= 99, String(number)).toBe(true);
      expect(approvalNumber(secret, token)).toBe(number);
    }
  });

  it('depends on the server secret: other secrets give other numbers for the same token', () => {
    const token = hash();
    const others = Array.from({ length: 30 }, () => approvalNumber(randomBytes(32), token));
    expect(new Set(others).size).toBeGreaterThan(15);
  });

  it('spreads over all 90 numbers about evenly', () => {
    const counts = new Map<number, number>();
    const runs = 18_000;
    for (let i = 0; i < runs; i += 1) {
      const number = approvalNumber(secret, hash());
      counts.set(number, (counts.get(number) ?? 0) + 1);
    }
    expect(counts.size).toBe(90);
    // Each near 200; a number favoured (or never drawn) would show far beyond these bounds.
    for (const count of counts.values()) expect(count).toBeGreaterThan(120);
    for (const count of counts.values()) expect(count).toBeLessThan(290);
  });
});
