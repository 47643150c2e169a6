// Work a request leaves behind starts once that request's response has been written, however long
// the middleware after the route takes (a networked store's round trip), never at the mere next
// turn of the event loop; outside any request it still never starts in a microtask, which would run
// before Koa writes a response. The flow test of the same rule is in test/flows/enumeration.test.ts.
import { Writable } from 'node:stream';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createOffRequest } from '../../src/kernel/off-request.js';
import { createLogger } from '../../src/observability/logger.js';

const quietLogger = () =>
  createLogger(
    'info',
    new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    }),
  );

describe('work after the response', () => {
  it('waits for the response to be written, not for the next turn of the event loop', async () => {
    const offRequest = createOffRequest(quietLogger());
    const started: string[] = [];
    let written!: () => void;
    const response = new Promise<void>((resolve) => {
      written = resolve;
    });
    offRequest.afterResponse(response, () => offRequest.run('look the address up', async () => void started.push('task')));
    for (let turn = 0; turn < 20; turn += 1) await nextTurn();
    await sleep(5);
    expect(started).toEqual([]);
    written();
    await offRequest.idle();
    expect(started).toEqual(['task']);
  });

  it('outside any request, starts on a later turn of the event loop, never in a microtask', async () => {
    const offRequest = createOffRequest(quietLogger());
    const started: string[] = [];
    offRequest.run('a command-line send', async () => void started.push('task'));
    for (let tick = 0; tick < 20; tick += 1) await Promise.resolve();
    expect(started).toEqual([]);
    await offRequest.idle();
    expect(started).toEqual(['task']);
  });
});
