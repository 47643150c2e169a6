// Keys: generated once into KEYS_DIR and shared by every process that points there (two
// instances racing at start get the same keys); environment values win over files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateSecrets } from '../../src/secrets/key-files.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-keys-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe('loadOrCreateSecrets', () => {
  it('gives processes racing on one empty keys directory the same keys', async () => {
    const keysDir = path.join(tempDir(), 'keys');
    const all = await Promise.all(Array.from({ length: 4 }, () => loadOrCreateSecrets({ keysDir, keys: {} })));
    for (const secrets of all) {
      expect(secrets.signingKeys).toEqual(all[0]!.signingKeys);
      expect(secrets.cookieKeys).toEqual(all[0]!.cookieKeys);
      expect(secrets.serverSecret.equals(all[0]!.serverSecret)).toBe(true);
      expect(secrets.pairwiseSalt.equals(all[0]!.pairwiseSalt)).toBe(true);
    }
    expect(all[0]!.signingKeys.keys.map((key) => key.alg)).toEqual(['RS256', 'ES256', 'EdDSA']);
    expect(all[0]!.notices).toEqual([]);
    expect(all[0]!.serverSecret.length).toBe(32);
    expect(all[0]!.pairwiseSalt.length).toBe(32);
    expect(fs.readdirSync(keysDir).sort()).toEqual(['cookie-keys.json', 'pairwise-salt', 'server-secret', 'signing-keys.json']);
  });

  it('keeps the pairwise salt, refuses a salt file cut short, and tells of a salt made where other keys were', async () => {
    const keysDir = path.join(tempDir(), 'keys');
    const first = await loadOrCreateSecrets({ keysDir, keys: {} });
    expect((await loadOrCreateSecrets({ keysDir, keys: {} })).pairwiseSalt.equals(first.pairwiseSalt)).toBe(true);
    const saltFile = path.join(keysDir, 'pairwise-salt');
    fs.writeFileSync(saltFile, 'short');
    await expect(loadOrCreateSecrets({ keysDir, keys: {} })).rejects.toThrow(/pairwise-salt is not a pairwise salt .* restore it from the backup/);
    fs.unlinkSync(saltFile);
    const remade = await loadOrCreateSecrets({ keysDir, keys: {} });
    expect(remade.pairwiseSalt.equals(first.pairwiseSalt)).toBe(false);
    expect(remade.notices.join()).toMatch(/generated a pairwise salt .* a new salt gives every person a new 'sub'/);
    const given = await loadOrCreateSecrets({ keysDir: path.join(tempDir(), 'env'), keys: { pairwiseSalt: 'p'.repeat(43) } });
    expect(given.pairwiseSalt.equals(Buffer.from('p'.repeat(43), 'base64url'))).toBe(true);
  });

  it('uses keys from the environment and writes no file for them', async () => {
    const keysDir = path.join(tempDir(), 'keys');
    const generated = await loadOrCreateSecrets({ keysDir: path.join(tempDir(), 'other'), keys: {} });
    const secrets = await loadOrCreateSecrets({
      keysDir,
      keys: { signingKeys: JSON.stringify(generated.signingKeys), cookieKeys: ['k'.repeat(32)], serverSecret: 's'.repeat(43), pairwiseSalt: 'p'.repeat(43) },
    });
    expect(secrets.signingKeys).toEqual(generated.signingKeys);
    expect(secrets.cookieKeys).toEqual(['k'.repeat(32)]);
    expect(fs.existsSync(keysDir)).toBe(false);
  });

  it('adds an Ed25519 key to a key set written before EdDSA was offered, once, and says so', async () => {
    const keysDir = path.join(tempDir(), 'keys');
    const fresh = await loadOrCreateSecrets({ keysDir, keys: {} });
    const old = { keys: fresh.signingKeys.keys.filter((key) => key.alg !== 'EdDSA') };
    fs.writeFileSync(path.join(keysDir, 'signing-keys.json'), JSON.stringify(old));
    const first = await loadOrCreateSecrets({ keysDir, keys: {} });
    expect(first.signingKeys.keys.map((key) => key.alg)).toEqual(['RS256', 'ES256', 'EdDSA']);
    expect(first.signingKeys.keys.slice(0, 2)).toEqual(old.keys);
    expect(first.notices.join()).toContain('generated an Ed25519 signing key');
    const again = await loadOrCreateSecrets({ keysDir, keys: {} });
    expect(again.signingKeys).toEqual(first.signingKeys);
    expect(again.notices).toEqual([]);
  });

  it('tells SIGNING_KEYS users whose set has no Ed25519 key that EdDSA is unavailable, and adds none', async () => {
    const generated = await loadOrCreateSecrets({ keysDir: path.join(tempDir(), 'other'), keys: {} });
    const withoutEd = { keys: generated.signingKeys.keys.filter((key) => key.alg !== 'EdDSA') };
    const secrets = await loadOrCreateSecrets({ keysDir: path.join(tempDir(), 'keys'), keys: { signingKeys: JSON.stringify(withoutEd) } });
    expect(secrets.signingKeys).toEqual(withoutEd);
    expect(secrets.notices.join()).toContain('SIGNING_KEYS has no Ed25519 key');
  });
});
