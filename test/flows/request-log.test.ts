// One line per request, with what an operator needs to follow it (the id the page showed, method,
// path, status, time, client IP) and never its query string, where tokens travel; the logger's
// redaction still covers every other line.
import { describe, expect, it } from 'vitest';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

const linesOf = (logs: readonly string[]) =>
  logs
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the request log', () => {
  it('writes one line per request with its id, method, path without the query, status, time and IP', async () => {
    const { linkid } = await setup();
    const secret = 'A'.repeat(43);
    const answers = await Promise.all([
      fetch(`${linkid.issuer}/jwks`),
      fetch(`${linkid.issuer}/login/link?token=${secret}`, { method: 'HEAD' }),
      fetch(`${linkid.issuer}/no-such-page?code=${secret}`),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = linesOf(linkid.logs).filter((line) => line.msg === 'request');
    for (const [index, path] of ['/jwks', '/login/link', '/no-such-page'].entries()) {
      const requestId = answers[index]!.headers.get('x-request-id');
      const found = lines.filter((line) => line.requestId === requestId);
      expect(found).toEqual([
        expect.objectContaining({ level: 30, method: index === 1 ? 'HEAD' : 'GET', path, status: answers[index]!.status, ip: expect.any(String) as unknown }),
      ]);
      expect(typeof found[0]!.ms).toBe('number');
    }
    expect(linkid.logs.join('')).not.toContain(secret);
  });
});
