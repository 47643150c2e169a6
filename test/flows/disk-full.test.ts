// A full disk, and a read-only one, under a real linkid: DATA_DIR is a small tmpfs this test
// mounts and fills on purpose. linkid must answer a request that needs a write with a 503
// store_unavailable page at once (not a "check your email" for a sign-in that can never be stored,
// and not a wait), say so on /readyz and in linkid_store_errors_total, keep answering what only
// reads (discovery, JWKS, introspection of a token it issued before), and work again by itself once
// space returns. Mounting needs root (CI and these machines run tests as root); without it the
// suite is skipped and says why.
//
// A read-only disk is not played here: the kernel refuses `mount -o remount,ro` while SQLite holds
// its file open for writing (EBUSY), which a running linkid always does; a real one comes from the
// kernel after I/O errors (errors=remount-ro). test/unit/store-health.test.ts checks that a
// read-only tmpfs reads as `readonly` and that SQLite's SQLITE_READONLY errors are counted so.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Browser, formOn } from '../support/browser.js';
import { startLinkid, TEST_MONGODB_URI, type RunningLinkid } from '../support/linkid.js';
import { scrape } from '../support/metrics.js';
import { mailsTo } from '../support/outbox.js';
import { registerApp } from '../support/factories.js';
import type { RelyingParty } from '../support/relying-party.js';
import { reasonOf, signIn } from '../support/sign-in.js';
import { eventually } from '../support/linkid-process.js';

/** Whether this process may mount a tmpfs, tried once on a throwaway directory; the reason if not. */
function mountRefusal(): string | undefined {
  if (TEST_MONGODB_URI) return 'the store is MongoDB (test:mongo): DATA_DIR holds no store to fill';
  if (process.platform !== 'linux') return `mount -t tmpfs needs Linux, not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs was refused: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  } finally {
    fs.rmdirSync(probe);
  }
}

const refusal = mountRefusal();
if (refusal) console.warn(`[disk full] NOT RUN: ${refusal}`);

/** A tmpfs of `sizeMb` on a fresh mount point, unmounted (even if busy) and removed by unmount(). */
function smallDisk(sizeMb: number) {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', mountPoint]);
  const filler = path.join(mountPoint, 'filler');
  return {
    dataDir: path.join(mountPoint, 'data'),
    /** Writes zeros until the file system refuses (ENOSPC): not one byte left. */
    fill() {
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'pipe' });
      } catch {
        // dd ends with "No space left on device": that is the point.
      }
      const { bavail } = fs.statfsSync(mountPoint);
      expect(bavail).toBe(0);
    },
    free: () => fs.rmSync(filler, { force: true }),
    unmount() {
      try {
        execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
      } finally {
        fs.rmSync(mountPoint, { recursive: true, force: true });
      }
    },
  };
}

/** The email form of a fresh sign-in, opened while the disk still had room: its action and browser. */
async function openForm(rp: RelyingParty) {
  const browser = new Browser();
  const form = await browser.follow((await rp.authorizationUrl()).url);
  expect(form.status, form.body).toBe(200);
  return { browser, action: formOn(form, /\/login$/).action };
}

/** Posts the email form and measures how long the answer took. */
async function post(form: { browser: Browser; action: string }, email: string) {
  const started = performance.now();
  const page = await form.browser.request(form.action, { form: { email } });
  return { page, ms: performance.now() - started };
}

const readiness = async (linkid: RunningLinkid) => {
  const response = await fetch(`${linkid.issuer}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe.skipIf(refusal)('a full disk under DATA_DIR', () => {
  let disk: ReturnType<typeof smallDisk>;
  let linkid: RunningLinkid | undefined;
  let rp: RelyingParty;

  beforeAll(async () => {
    disk = smallDisk(8);
    // A 1 MiB reserve on an 8 MiB disk: room to start and sign in, not a refusal from the start.
    linkid = await startLinkid({ dataDir: disk.dataDir, env: { DATA_DIR_MIN_FREE_MB: '1' } });
    rp = await registerApp(linkid, { name: 'Notes' });
  });
  afterEach(() => disk.free());
  afterAll(async () => {
    await linkid?.close().catch(() => undefined);
    disk?.unmount();
  });

  it('answers the email form 503 store_unavailable at once, says so on /readyz, and works again once space returns', async () => {
    const running = linkid!;
    // Before the disk fills: a person signed in (their access token is introspected below) and
    // another opened the email form.
    const signedIn = await signIn(new Browser(), running, rp, 'before@example.com');
    const form = await openForm(rp);
    expect((await readiness(running)).status).toBe(200);
    const errorsBefore = (await scrape(running.issuer)).value('linkid_store_errors_total', { kind: 'full' }) ?? 0;

    disk.fill();
    const refused = await post(form, 'full@example.com');
    expect(refused.page.status, refused.page.body).toBe(503);
    expect(reasonOf(refused.page)).toBe('store_unavailable');
    expect(refused.page.headers.get('retry-after')).toBe('5');
    const requestId = refused.page.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    expect(refused.page.body).toContain(requestId!);
    // At once: linkid does not wait on the disk (a generous bound, against a loaded machine).
    expect(refused.ms).toBeLessThan(5_000);

    expect(await readiness(running)).toEqual({ status: 503, body: { status: 'unavailable', store: 'sqlite', error: 'store_unavailable', cause: 'full' } });
    const metrics = await scrape(running.issuer);
    expect(metrics.value('linkid_store_errors_total', { kind: 'full' })).toBeGreaterThan(errorsBefore);

    // What only reads keeps working.
    expect((await fetch(`${running.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    expect((await fetch(`${running.issuer}/jwks`)).status).toBe(200);
    expect((await oidc.tokenIntrospection(rp.config, signedIn.tokens.access_token)).active).toBe(true);
    expect((await oidc.fetchUserInfo(rp.config, signedIn.tokens.access_token, signedIn.tokens.claims()!.sub)).email).toBe('before@example.com');

    // Nothing half-done: no mail went out for the refused address, and no temp file is left.
    expect(await mailsTo(running, 'full@example.com')).toHaveLength(0);

    disk.free();
    // By itself, without a restart: readiness, then the same form in the same browser.
    await eventually(async () => (await readiness(running)).status === 200, 200);
    const accepted = await post(form, 'full@example.com');
    expect(accepted.page.status, accepted.page.body).toBe(200);
    expect(accepted.page.body).toContain('Check your email');
    expect(await mailsTo(running, 'full@example.com')).toHaveLength(1);
  });

  it('answers JSON 503 to an API client whose request writes (a pushed authorization request)', async () => {
    const running = linkid!;
    const basic = Buffer.from(`${rp.client.client_id}:${rp.client.client_secret}`).toString('base64');
    const body = new URLSearchParams({
      response_type: 'code',
      client_id: rp.client.client_id,
      redirect_uri: rp.redirectUri,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const push = () => fetch(`${running.issuer}/request`, { method: 'POST', headers: { accept: 'application/json', authorization: `Basic ${basic}` }, body });
    disk.fill();
    const refused = await push();
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'store_unavailable', request_id: refused.headers.get('x-request-id') });
    disk.free();
    expect((await push()).status).toBe(201);
  });
});
