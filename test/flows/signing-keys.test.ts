// Signing keys rotate under a running linkid without breaking an app: an ID token signed before a
// rotation still verifies against /jwks after it; a new key is in /jwks at once but signs only
// after KEY_PUBLISH_AHEAD_SECONDS; the key it replaces stays published until every token it
// signed has expired (the ID token's hour and a margin), then leaves. Apps are real openid-client
// relying parties and the JWKS is read as apps read it (jose's createRemoteJWKSet); time is a
// fake clock, so nothing waits an hour.
import fs from 'node:fs';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KeyView } from '../../src/admin/keys.js';
import { linkidAdmin, linkidAdminResult } from '../support/admin-cli.js';
import { Browser } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import { NOTES, registerApp } from '../support/factories.js';
import { buildLinkid, type RunningLinkid } from '../support/linkid.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const HOUR_MS = 3_600_000;
/** The ID token's hour plus the margin for clocks and caches (src/oidc/signing-keys.ts). */
const WINDOW_MS = HOUR_MS + 300_000;

const jwks = async (linkid: RunningLinkid) =>
  ((await (await fetch(`${linkid.issuer}/jwks`)).json()) as { keys: { kid: string; alg: string; key_ops?: string[] }[] }).keys;
const kids = async (linkid: RunningLinkid) => (await jwks(linkid)).map((key) => key.kid);

/** Checks `idToken` as an app would: against linkid's /jwks as published now. */
const verifies = async (linkid: RunningLinkid, idToken: string) => {
  const keySet = createRemoteJWKSet(new URL(`${linkid.issuer}/jwks`));
  return jwtVerify(idToken, keySet, { issuer: linkid.issuer }).then(
    () => true,
    () => false,
  );
};

/** A sign-in by a fresh app instance (its own JWKS cache), answering the kid of its ID token and the token. */
async function idTokenOf(linkid: RunningLinkid, email: string, alg = 'RS256') {
  const rp = await registerApp(linkid, { ...NOTES, metadata: { id_token_signed_response_alg: alg } });
  const { tokens } = await signIn(new Browser(), linkid, rp, email);
  const idToken = tokens.id_token ?? '';
  return { idToken, kid: decodeProtectedHeader(idToken).kid };
}

describe('signing key rotation', () => {
  const { start } = useLinkid();

  it('publishes a new key at once, signs with it after the publish-ahead delay, and drops the old one when its tokens have expired', async () => {
    const clock = fakeClock();
    const linkid = await start({ clock });
    const before = await idTokenOf(linkid, 'before@example.com');
    const rsa = (await jwks(linkid)).filter((key) => key.alg === 'RS256');
    expect(rsa.map((key) => key.kid)).toEqual([before.kid]);

    // The CLI, in its own process, as an operator runs it next to the server.
    const rotated = JSON.parse(await linkidAdmin(linkid, ['keys', 'rotate', '--alg', 'RS256'])) as { changed: string[]; keys: KeyView[] };
    const [fresh] = rotated.changed;
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(before.kid);
    // The CLI ran on the real clock, a few seconds after this server's fake one started.
    const newKey = rotated.keys.find((key) => key.kid === fresh);
    const oldKey = rotated.keys.find((key) => key.kid === before.kid);
    expect(newKey).toMatchObject({ alg: 'RS256', state: 'next', retires_at: null, unpublished_at: null });
    const signsFrom = Date.parse(newKey?.signs_from ?? '');
    expect(signsFrom - Date.parse(newKey?.created ?? '')).toBe(HOUR_MS);
    expect(oldKey).toMatchObject({ state: 'signing', retires_at: newKey?.signs_from, unpublished_at: new Date(signsFrom + WINDOW_MS).toISOString() });

    // Right after: /jwks already lists the new key (verify-only), and new ID tokens keep the old kid.
    const published = await jwks(linkid);
    expect(published.find((key) => key.kid === fresh)).toMatchObject({ alg: 'RS256', key_ops: ['verify'] });
    expect((await idTokenOf(linkid, 'right-after@example.com')).kid).toBe(before.kid);
    expect(await verifies(linkid, before.idToken)).toBe(true);

    // One second before the delay ends, still the old key; after it, the new one.
    clock.advance(signsFrom - clock.now() - 1000);
    expect((await idTokenOf(linkid, 'almost@example.com')).kid).toBe(before.kid);
    clock.advance(2000);
    const after = await idTokenOf(linkid, 'after@example.com');
    expect(after.kid).toBe(fresh);
    expect(await verifies(linkid, after.idToken)).toBe(true);
    // The token signed before the rotation still verifies: its key stays published, verify-only.
    expect(await verifies(linkid, before.idToken)).toBe(true);
    expect((await jwks(linkid)).find((key) => key.kid === before.kid)).toMatchObject({ key_ops: ['verify'] });

    // The old key stopped signing when the new one started; it leaves /jwks one window later.
    expect(linkid.services.admin.keys.list().keys.find((key) => key.kid === before.kid)).toMatchObject({ state: 'retiring' });
    clock.advance(WINDOW_MS - 3000);
    expect(await kids(linkid)).toContain(before.kid);
    clock.advance(2000);
    expect(await kids(linkid)).not.toContain(before.kid);
    expect(await kids(linkid)).toContain(fresh);
    // ES256 and EdDSA were not rotated.
    expect((await jwks(linkid)).map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    expect(linkid.services.admin.keys.list().keys.find((key) => key.kid === before.kid)).toMatchObject({ state: 'retired' });
  });

  it('retires the signing key at once by handing over to the published-ahead key, and keeps it published for its window', async () => {
    const clock = fakeClock();
    const linkid = await start({ clock });
    const old = await idTokenOf(linkid, 'old@example.com', 'ES256');
    const { changed } = await linkid.services.admin.keys.rotate('ES256', { via: 'admin-cli' });
    const fresh = changed[0];
    await linkid.services.admin.keys.retire(old.kid ?? '', { via: 'admin-cli' });

    // The new key signs now, ahead of its delay; the retired one only verifies until its window ends.
    expect((await idTokenOf(linkid, 'new@example.com', 'ES256')).kid).toBe(fresh);
    expect(await verifies(linkid, old.idToken)).toBe(true);
    clock.advance(WINDOW_MS - 1000);
    expect(await kids(linkid)).toContain(old.kid);
    clock.advance(2000);
    expect(await kids(linkid)).not.toContain(old.kid);

    // Retiring again, the only signer, or a kid that does not exist: one clear refusal each.
    await expect(linkid.services.admin.keys.retire(old.kid ?? '', { via: 'admin-cli' })).rejects.toThrow(/no longer signs/);
    await expect(linkid.services.admin.keys.retire(fresh ?? '', { via: 'admin-cli' })).rejects.toThrow(
      /only key that signs ES256: run linkid-admin keys rotate --alg ES256 first/,
    );
    await expect(linkid.services.admin.keys.retire('no-such-kid', { via: 'admin-cli' })).rejects.toMatchObject({ code: 'not_found' });

    // Every change is audited, with who made it (refusals change nothing, and are not).
    const keyEvents = linkid.logs
      .map((line) => JSON.parse(line) as { event?: string; via?: string })
      .filter((line) => line.event?.startsWith('signing_key.'))
      .map((line) => [line.event, line.via]);
    expect(keyEvents).toEqual([
      ['signing_key.rotated', 'admin-cli'],
      ['signing_key.retired', 'admin-cli'],
    ]);
  });
});

describe('scheduled rotation', () => {
  it('rotates once when two instances on one KEYS_DIR race for it, and not again until the next one is due', async () => {
    const first = await buildLinkid({ clock: fakeClock(), env: { SIGNING_KEY_ROTATION_DAYS: '30' }, keepData: true });
    const second = await buildLinkid({ clock: first.clock, env: { SIGNING_KEY_ROTATION_DAYS: '30' }, dataDir: first.dataDir, keepData: true });
    try {
      expect(await first.services.keys.runSchedule()).toEqual([]);
      (first.clock as ReturnType<typeof fakeClock>).advance(31 * 24 * HOUR_MS);
      const [a, b] = await Promise.all([first.services.keys.runSchedule(), second.services.keys.runSchedule()]);
      expect([...a, ...b].sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
      expect(a.length === 0 || b.length === 0).toBe(true);
      const listed = second.services.admin.keys.list().keys;
      expect(listed.filter((key) => key.state === 'next')).toHaveLength(3);
      expect(listed.filter((key) => key.state === 'signing')).toHaveLength(3);
      // Both instances publish the same set.
      first.services.keys.refresh();
      second.services.keys.refresh();
      expect(await Promise.all([first.services.keys.runSchedule(), second.services.keys.runSchedule()])).toEqual([[], []]);
    } finally {
      await second.close();
      await first.close();
      fs.rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});

describe('linkid-admin keys', () => {
  const { start } = useLinkid();

  it('refuses bad input with one line and a non-zero exit, and refuses keys given by SIGNING_KEYS', async () => {
    const linkid = await start();
    const badAlg = await linkidAdminResult(linkid, ['keys', 'rotate', '--alg', 'HS256']);
    expect(badAlg.code).not.toBe(0);
    expect(badAlg.stderr.trim()).toBe('error: --alg must be RS256, ES256, EdDSA or all, not HS256');
    const unknown = await linkidAdminResult(linkid, ['keys', 'retire', 'no-such-kid']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('error: no signing key has kid no-such-kid (linkid-admin keys list shows them)');
    const [signer] = (await linkidAdmin(linkid, ['keys', 'list']))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kid: string; alg: string });
    const only = await linkidAdminResult(linkid, ['keys', 'retire', signer?.kid ?? '']);
    expect(only.code).toBe(2);
    expect(only.stderr.trim()).toBe(
      `error: key ${signer?.kid} is the only key that signs ${signer?.alg}: run linkid-admin keys rotate --alg ${signer?.alg} first`,
    );
    expect(only.stdout).toBe('');

    const signingKeys = fs.readFileSync(`${linkid.dataDir}/keys/signing-keys.json`, 'utf8');
    const managed = await linkidAdminResult(linkid, ['keys', 'list'], { SIGNING_KEYS: signingKeys });
    expect(managed.code).toBe(2);
    expect(managed.stderr.trim().split('\n')).toEqual([
      'error: the signing keys come from SIGNING_KEYS and are managed outside linkid: change that variable instead (see docs/operations.md#signing-keys)',
    ]);
    // Five commands, each its own Node.js process: slower than one test's usual 30 seconds on a busy machine.
  }, 120_000);
});
