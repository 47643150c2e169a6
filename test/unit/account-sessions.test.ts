// Ending an account's sessions, grants and tokens on a real SQLite store, and what the
// onSessionsEnded hook (where back-channel logout is to be wired) is told: the apps and session
// ids of the ended sessions, read before they go (not an app a session only passed through, whose
// entry has no grant); a failing hook undoes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccountSessions } from '../../src/account/account-sessions.js';
import type { EndedSessions } from '../../src/oidc/logout-fanout.js';
import type { Store } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const NOW = 1_900_000_000_000;
let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-account-sessions-'));
  store = openSqliteStore(dir);
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function someoneSignedIn(accountId: string) {
  const later = NOW + 60_000;
  await store.oidc.upsert('Session', `${accountId}-s1`, { uid: 'u1', accountId, authorizations: { notes: { sid: 'sid-1', grantId: 'g1' } } }, later);
  await store.oidc.upsert(
    'Session',
    `${accountId}-s2`,
    { uid: 'u2', accountId, authorizations: { notes: { sid: 'sid-2', grantId: 'g1' }, wiki: { sid: 'sid-3', grantId: 'g3' }, board: {} } },
    later,
  );
  await store.oidc.upsert('Grant', `${accountId}-g1`, { accountId, clientId: 'notes' }, later);
  await store.oidc.upsert('Grant', `${accountId}-g2`, { accountId, clientId: 'mobile' }, later);
  await store.oidc.upsert('AccessToken', `${accountId}-at`, { accountId, grantId: 'g1' }, later);
  await store.oidc.upsert('RefreshToken', `${accountId}-rt`, { accountId, grantId: 'g2' }, later);
  await store.oidc.upsert('AuthorizationCode', `${accountId}-code`, { accountId, grantId: 'g1' }, later);
}

describe('account sessions', () => {
  it('sums up what an account holds, and ends all of it, telling the hook which apps were signed in', async () => {
    await someoneSignedIn('ann');
    await someoneSignedIn('bob');
    const told: EndedSessions[] = [];
    const sessions = createAccountSessions({
      store,
      now: () => NOW,
      logger: { error: () => undefined },
      onSessionsEnded: async (ended) => {
        told.push(ended);
      },
    });
    expect(await sessions.activity('ann')).toEqual({ sessions: 2, clientIds: ['mobile', 'notes'] });

    expect(await sessions.endAll('ann', 'revoked')).toEqual({
      sessions: 2,
      grants: 2,
      authorization_codes: 1,
      access_tokens: 1,
      refresh_tokens: 1,
      held_sign_ins: 0,
    });
    expect(told).toEqual([
      {
        accountId: 'ann',
        why: 'revoked',
        sessions: expect.arrayContaining([
          { clientId: 'notes', sid: 'sid-1' },
          { clientId: 'notes', sid: 'sid-2' },
          { clientId: 'wiki', sid: 'sid-3' },
        ]),
        clientIds: ['mobile', 'notes'],
      },
    ]);
    expect(told[0]!.sessions).toHaveLength(3);
    expect(await sessions.activity('ann')).toEqual({ sessions: 0, clientIds: [] });
    expect(await sessions.activity('bob')).toEqual({ sessions: 2, clientIds: ['mobile', 'notes'] });
  });

  it('keeps what it ended ended when the hook fails, and logs the failure', async () => {
    await someoneSignedIn('ann');
    const errors: unknown[] = [];
    const sessions = createAccountSessions({
      store,
      now: () => NOW,
      logger: { error: (...args: unknown[]) => errors.push(args) },
      onSessionsEnded: () => Promise.reject(new Error('app unreachable')),
    });
    expect((await sessions.endAll('ann', 'deleted')).sessions).toBe(2);
    expect(await sessions.activity('ann')).toEqual({ sessions: 0, clientIds: [] });
    expect(errors).toHaveLength(1);
  });
});
