// The Store contract's fixtures must not expire with the calendar: a real MongoDB's TTL monitor
// deletes by the server's clock, so every fixture time has to lie in the real future while the
// suite runs, whatever day it runs on.
import { describe, expect, it } from 'vitest';
import { FIXTURE_LEAD_MS, T0, clientRecord, fixtureEpoch, loginToken, queuedMail } from '../contract/store-contract.js';

describe('contract fixture times', () => {
  it('start about an hour after the real clock, not at a fixed date', () => {
    const lead = T0 - Date.now();
    expect(lead).toBeGreaterThan(FIXTURE_LEAD_MS - 60_000);
    expect(lead).toBeLessThanOrEqual(FIXTURE_LEAD_MS + 1_000);
    expect(T0 % 1000).toBe(0);
  });

  it('follow the real clock on any day, years from now as well', () => {
    for (const realNow of [Date.parse('2027-01-16T00:00:00Z'), Date.parse('2031-06-01T12:34:56.789Z'), Date.parse('2040-02-29T23:59:59.999Z')]) {
      expect(fixtureEpoch(realNow) - realNow).toBeGreaterThanOrEqual(FIXTURE_LEAD_MS);
      expect(fixtureEpoch(realNow) - realNow).toBeLessThan(FIXTURE_LEAD_MS + 1_000);
    }
  });

  it('put every stored time, expiries included, in the real future', () => {
    const soon = Date.now() + FIXTURE_LEAD_MS / 2;
    const token = loginToken();
    const mail = queuedMail();
    const client = clientRecord();
    for (const time of [token.createdAt, token.expiresAt, mail.nextAttemptAt, mail.giveUpAt, mail.createdAt, client.createdAt, client.updatedAt]) {
      expect(time).toBeGreaterThan(soon);
    }
  });
});
