// The Store contract against the real SQLite file store, and its migrations on an existing file.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { storeContract } from './store-contract.js';

const run = promisify(execFile);
let dir: string | undefined;

storeContract('sqlite', {
  async open() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-contract-'));
    return openSqliteStore(dir);
  },
  async cleanup() {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  },
});

describe('SQLite migration for user administration', () => {
  it("gives artefacts written before it their account id, so an existing account's sessions can be ended", async () => {
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-migrate-'));
    try {
      await openSqliteStore(before).close();
      // The file as the version before this migration left it, with a session and an account in it.
      const db = new Database(path.join(before, 'linkid.sqlite'));
      const version = db.pragma('user_version', { simple: true }) as number;
      // Migrations after it (the change-email tokens, the recovery codes, the ended-at mark, the
      // approval columns, the registration tokens, the link requests, the resources) are undone too, and run again after it.
      db.exec(`DROP TABLE resources;
        DROP TABLE link_requests;
        DROP TABLE registration_tokens;
        ALTER TABLE login_tokens DROP COLUMN approval_requested_at;
        ALTER TABLE login_tokens DROP COLUMN approved_at;
        ALTER TABLE login_tokens DROP COLUMN approval_finished_at;
        ALTER TABLE users DROP COLUMN sign_ins_ended_at;
        DROP TABLE email_change_tokens;
        DROP TABLE recovery_codes;
        DROP INDEX oidc_models_account_id;
        ALTER TABLE oidc_models DROP COLUMN account_id;
        ALTER TABLE users DROP COLUMN disabled_at;
        INSERT INTO oidc_models (model, id, payload, uid, expires_at) VALUES ('Session', 'key-1', '{"uid":"u1","accountId":"sub-1"}', 'u1', NULL);
        INSERT INTO oidc_models (model, id, payload, expires_at) VALUES ('Interaction', 'key-2', '{"accountId":{"not":"an id"}}', NULL);
        INSERT INTO users (id, email, email_key, created_at) VALUES ('sub-1', 'ann@example.com', 'ann@example.com', 1);`);
      db.pragma(`user_version = ${version - 8}`);
      db.close();

      const store = openSqliteStore(before);
      expect(store.schemaVersion).toBe(`sqlite:${version}`);
      expect(await store.oidc.listByAccount('Session', 'sub-1', 2)).toEqual([{ id: 'key-1', payload: { uid: 'u1', accountId: 'sub-1' } }]);
      expect(await store.users.findById('sub-1')).toMatchObject({ email: 'ann@example.com', disabledAt: null, signInsEndedAt: null });
      expect(await store.oidc.destroyByAccount('Session', 'sub-1')).toBe(1);
      await store.close();
    } finally {
      fs.rmSync(before, { recursive: true, force: true });
    }
  });
});

describe('SQLite: processes opening a new file together', () => {
  it('migrate it once between them (the server and linkid-admin, or cluster workers, starting at once)', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const open = `import { openSqliteStore } from ${JSON.stringify(path.join(root, 'dist/store/sqlite/index.js'))};
      await openSqliteStore(process.argv[1]).close();`;
    for (let round = 0; round < 4; round += 1) {
      const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-migrate-race-'));
      try {
        const results = await Promise.all(
          Array.from({ length: 4 }, () =>
            run(process.execPath, ['--input-type=module', '-e', open, fresh]).then(
              () => '',
              (error: unknown) => (error as { stderr: string }).stderr,
            ),
          ),
        );
        expect(results).toEqual(['', '', '', '']);
      } finally {
        fs.rmSync(fresh, { recursive: true, force: true });
      }
    }
  });
});
