// The metrics sink's labels come from fixed sets: whatever a caller puts in an audit event's
// fields, an address or a token can never become a label value.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { parseMetrics } from '../support/metrics.js';

const metricsFor = () =>
  createMetrics({
    versions: { version: '1.2.3', commit: 'unknown', schema: 'sqlite:1', policy: '1', templates: '000000000000' },
    mailQueue: { queued: () => Promise.resolve({ count: 3, oldestCreatedAt: 1_000 }) },
    loginTokens: { countPending: () => Promise.resolve(2) },
    clock: { now: () => 31_000 },
    logger: createLogger('silent'),
    limitNames: ['RATE_LIMIT_SEND_PER_IP'],
  });

describe('the metrics audit sink', () => {
  it('turns label values outside their fixed sets into "other"', async () => {
    const metrics = metricsFor();
    metrics.sink('login.refused', { reason: 'ann@example.com', step: 'request' }, 0);
    metrics.sink('login.refused', { reason: 'rate_limited', limit: 'token=abc', step: 'request' }, 0);
    metrics.sink('login.link_opened', { binding: 'Bearer xyz' }, 0);
    metrics.sink('login.completed', { via: 'magic' }, 0);
    const scraped = parseMetrics(await metrics.registry.metrics());
    expect(scraped.value('linkid_refusals_total', { reason: 'other' })).toBe(1);
    expect(scraped.value('linkid_rate_limited_total', { limit: 'other' })).toBe(1);
    expect(scraped.value('linkid_link_opens_total', { binding: 'other' })).toBe(1);
    expect(scraped.value('linkid_signin_completed_total', { method: 'other' })).toBe(1);
    for (const value of ['ann@example.com', 'token=abc', 'Bearer xyz', 'magic']) expect(scraped.text).not.toContain(value);
  });

  it('reads the store gauges when scraped', async () => {
    const scraped = parseMetrics(await metricsFor().registry.metrics());
    expect(scraped.value('linkid_mail_queue_depth')).toBe(3);
    expect(scraped.value('linkid_mail_queue_oldest_seconds')).toBe(30);
    expect(scraped.value('linkid_login_tokens_pending')).toBe(2);
    expect(scraped.value('linkid_rate_limited_total', { limit: 'RATE_LIMIT_SEND_PER_IP' })).toBe(0);
  });

  it('keeps one registry per app: two apps in one process count apart', async () => {
    const first = metricsFor();
    const second = metricsFor();
    first.sink('login.requested', {}, 0);
    expect(parseMetrics(await first.registry.metrics()).value('linkid_signin_requests_total')).toBe(1);
    expect(parseMetrics(await second.registry.metrics()).value('linkid_signin_requests_total')).toBe(0);
  });
});
