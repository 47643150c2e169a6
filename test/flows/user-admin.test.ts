// User administration as an operator does it: `npx linkid-admin user ...` run as a child process
// against the store of a running linkid, with an openid-client app holding real tokens. A disabled
// account's tokens die (userinfo 401, refresh invalid_grant, introspection inactive) and it cannot
// sign in (account_disabled, only once its link is confirmed or its code typed: until then it
// walks the same pages and gets the same email as any address); revoke-sessions signs it out
// everywhere; delete removes it and its address from the audit trail; bad input is one line on stderr.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { addressHash } from '../../src/kernel/email-address.js';
import { Browser, type Page } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import { latestSignInMail } from '../support/outbox.js';
import { oidc, type RelyingParty } from '../support/relying-party.js';
import { confirmLink, reasonOf, requestLink, signIn } from '../support/sign-in.js';
import { useSharedLinkid } from '../support/use-linkid.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npx linkid-admin ...` on linkid's own DATA_DIR (and database, under MongoDB), while it runs. */
async function admin(linkid: RunningLinkid, ...args: string[]): Promise<CommandResult> {
  const env = {
    ...process.env,
    DATA_DIR: linkid.dataDir,
    npm_config_update_notifier: 'false',
    ...(linkid.config.mongodbUri ? { MONGODB_URI: linkid.config.mongodbUri } : {}),
  };
  try {
    const { stdout, stderr } = await run('npx', ['linkid-admin', ...args], { cwd: root, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CommandResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A command that must succeed, its stdout parsed as one JSON document. */
async function adminJson(linkid: RunningLinkid, ...args: string[]): Promise<Record<string, unknown>> {
  const result = await admin(linkid, ...args);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** The audit log lines a command wrote on stderr. */
const auditLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.includes('"channel":"audit"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const OFFLINE = { scope: 'openid email offline_access', prompt: 'consent' };

/** Signs `email` in to the app with a refresh token; the browser keeps the linkid session. */
async function signedIn(linkid: RunningLinkid, rp: RelyingParty, email: string) {
  const browser = new Browser();
  const { tokens } = await signIn(browser, linkid, rp, email, OFFLINE);
  const sub = tokens.claims()!.sub;
  expect(await oidc.fetchUserInfo(rp.config, tokens.access_token, sub)).toMatchObject({ sub });
  expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);
  return { browser, tokens, sub, refreshToken: tokens.refresh_token! };
}

/** Every way the app can use its tokens is refused. */
async function expectTokensDead(rp: RelyingParty, held: Awaited<ReturnType<typeof signedIn>>) {
  await expect(oidc.fetchUserInfo(rp.config, held.tokens.access_token, held.sub)).rejects.toMatchObject({ status: 401 });
  await expect(oidc.refreshTokenGrant(rp.config, held.refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  expect((await oidc.tokenIntrospection(rp.config, held.tokens.access_token)).active).toBe(false);
  expect((await oidc.tokenIntrospection(rp.config, held.refreshToken)).active).toBe(false);
}

/** The app sends the browser to linkid again: with a live session it comes straight back; without, the email form. */
async function revisit(rp: RelyingParty, browser: Browser): Promise<'signed in' | 'asked for a link'> {
  const landing = await browser.follow((await rp.authorizationUrl()).url, rp.redirectUri);
  if (landing.location?.startsWith(rp.redirectUri)) return 'signed in';
  expect(landing.status, landing.body).toBe(200);
  expect(landing.body).toContain('name="email"');
  return 'asked for a link';
}

describe('linkid-admin user disable and enable', () => {
  const shared = useSharedLinkid();

  it("kills a disabled account's tokens: userinfo 401, refresh invalid_grant, introspection inactive; its session is gone", async () => {
    const { linkid, rp } = shared;
    const held = await signedIn(linkid, rp, 'dora@example.com');
    const disabled = await adminJson(linkid, 'user', 'disable', 'Dora@Example.com');
    expect(disabled).toMatchObject({ sub: held.sub, email: 'dora@example.com', disabled_at: expect.stringMatching(/^\d{4}-/) });
    expect(disabled.revoked).toMatchObject({ sessions: 1, grants: 1, access_tokens: 1, refresh_tokens: 1 });
    await expectTokensDead(rp, held);
    expect(await revisit(rp, held.browser)).toBe('asked for a link');
  });

  it('refuses a disabled account after its link is confirmed (account_disabled), and signs it in again once enabled; old tokens stay dead', async () => {
    const { linkid, rp } = shared;
    const held = await signedIn(linkid, rp, 'eve@example.com');
    await adminJson(linkid, 'user', 'disable', held.sub);

    const browser = new Browser();
    const { mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'eve@example.com');
    const refused = await confirmLink(browser, mail);
    expect(refused.status, refused.body).toBe(403);
    expect(reasonOf(refused)).toBe('account_disabled');
    expect(refused.body).toContain('This account is disabled');
    expect(linkid.logs.join('')).toContain('"reason":"account_disabled"');

    const enabled = await adminJson(linkid, 'user', 'enable', 'eve@example.com');
    expect(enabled).toMatchObject({ sub: held.sub, disabled_at: null });
    const again = await signIn(new Browser(), linkid, rp, 'eve@example.com', OFFLINE);
    expect(again.tokens.claims()!.sub).toBe(held.sub);
    expect(await oidc.fetchUserInfo(rp.config, again.tokens.access_token, held.sub)).toMatchObject({ email: 'eve@example.com' });
    // What disable revoked stays revoked: the app needs the tokens of the new sign-in.
    await expectTokensDead(rp, held);
  });

  it('refuses the right code of a disabled account too, and only after it was typed', async () => {
    const { linkid, rp } = shared;
    await createUser(linkid, 'cody@example.com');
    await adminJson(linkid, 'user', 'disable', 'cody@example.com');
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'cody@example.com');
    const typed = await browser.submit(page, /\/code$/, { code: mail.code });
    expect(typed.status, typed.body).toBe(403);
    expect(reasonOf(typed)).toBe('account_disabled');
  });

  it('refuses tokens of an account disabled behind its back, before anything is revoked: oidc-provider no longer finds it', async () => {
    const { linkid, rp } = shared;
    const held = await signedIn(linkid, rp, 'fay@example.com');
    // As if another instance had marked it a moment ago and not yet revoked anything.
    await linkid.store.users.setDisabled(held.sub, linkid.clock.now());
    await expect(oidc.fetchUserInfo(rp.config, held.tokens.access_token, held.sub)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(rp.config, held.refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Introspection asks only for the grant, not the account: that is why disable also revokes.
    expect(await revisit(rp, held.browser)).toBe('asked for a link');
  });
});

describe('a disabled account walks the same states as any other until its link is confirmed', () => {
  const shared = useSharedLinkid({ startWorker: false });

  /**
   * A page or email with everything that differs by address, sign-in, token or response removed,
   * and the clock time a link expires at (three sign-ins in a row can straddle a minute; how long
   * the link lives, "expire in 10 minutes", is still compared).
   */
  const normalize = (text: string, email: string) =>
    text
      .replaceAll(email, 'EMAIL')
      .replace(/\(at [^()<>]*\d{1,2}:\d{2}[^()<>]*\)/g, '(at EXPIRY)')
      .replace(/nonce="[^"]+"/g, 'nonce="N"')
      .replace(/request id <code>[^<]+<\/code>/, 'request id')
      .replace(/\/(interaction|auth)\/[^/"\s]+/g, '/$1/UID')
      .replace(/(?<![\w-])[\w-]{43}(?![\w-])/g, 'TOKEN')
      .replace(/\b\d{6}\b/g, 'CODE')
      .replace(/\b\d{3} \d{3}\b/g, 'CODE');
  const seen = (page: Page, email: string) => `${page.status} ${normalize(page.body, email)}`;

  async function walk(linkid: RunningLinkid, rp: RelyingParty, email: string) {
    const browser = new Browser();
    const form = await browser.follow((await rp.authorizationUrl()).url);
    const check = await browser.submit(form, /\/login$/, { email });
    await linkid.services.sendQueue.drain();
    const mail = await latestSignInMail(linkid, email);
    const opened = await browser.request(mail.link);
    const confirmed = await browser.submit(opened, /\/verify$/, {}, 'http');
    return {
      steps: { form: seen(form, email), check: seen(check, email), opened: seen(opened, email) },
      mail: {
        subject: normalize(mail.message.subject, email),
        text: normalize(mail.message.text, email),
        html: normalize(mail.message.html, email),
      },
      confirmed,
    };
  }

  it('the form, the check-your-email page, the email and the confirm page are identical for a disabled, an enabled and an unknown address', async () => {
    const { linkid, rp } = shared;
    await createUser(linkid, 'enabled@example.com');
    await createUser(linkid, 'disabled@example.com');
    await linkid.store.users.setDisabled((await linkid.store.users.findByEmail('disabled@example.com'))!.id, linkid.clock.now());

    const enabled = await walk(linkid, rp, 'enabled@example.com');
    const disabled = await walk(linkid, rp, 'disabled@example.com');
    const unknown = await walk(linkid, rp, 'unknown@example.com');
    expect(disabled.steps).toEqual(enabled.steps);
    expect(unknown.steps).toEqual(enabled.steps);
    expect(disabled.mail).toEqual(enabled.mail);
    expect(unknown.mail).toEqual(enabled.mail);

    // Only pressing the button tells them apart.
    expect(enabled.confirmed.status).toBe(303);
    expect(unknown.confirmed.status).toBe(303);
    expect(disabled.confirmed.status).toBe(403);
    expect(reasonOf(disabled.confirmed)).toBe('account_disabled');
  });
});

describe('linkid-admin user revoke-sessions', () => {
  const shared = useSharedLinkid();

  it('signs the account out everywhere: every token dies and the next visit needs a new link; the account stays enabled', async () => {
    const { linkid, rp } = shared;
    const held = await signedIn(linkid, rp, 'rita@example.com');
    expect(await adminJson(linkid, 'user', 'show', 'rita@example.com')).toMatchObject({ sub: held.sub, sessions: 1, apps: [rp.client.client_id] });

    const revoked = await admin(linkid, 'user', 'revoke-sessions', held.sub);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({
      sub: held.sub,
      revoked: { sessions: 1, grants: 1, authorization_codes: expect.any(Number), access_tokens: 1, refresh_tokens: 1, held_sign_ins: 0 },
    });
    expect(auditLines(revoked.stderr)).toEqual([
      expect.objectContaining({ event: 'user.sessions_revoked', accountId: held.sub, emailHash: addressHash('rita@example.com') }),
    ]);
    await expectTokensDead(rp, held);
    expect(await revisit(rp, held.browser)).toBe('asked for a link');
    expect(await adminJson(linkid, 'user', 'show', held.sub)).toMatchObject({ sessions: 0, apps: [], disabled_at: null });
    const again = await signIn(held.browser, linkid, rp, 'rita@example.com');
    expect(again.tokens.claims()!.sub).toBe(held.sub);
  });
});

describe('linkid-admin user delete', () => {
  const shared = useSharedLinkid();

  it('removes the account, revokes everything, and keeps its audit events without the address; a second delete is an error', async () => {
    const { linkid, rp } = shared;
    const held = await signedIn(linkid, rp, 'dave@example.com');
    await adminJson(linkid, 'user', 'disable', 'dave@example.com');
    await linkid.services.idle();
    expect((await linkid.store.audit.search({ email: 'dave@example.com' }, linkid.clock.now())).length).toBeGreaterThan(3);

    const deleted = await admin(linkid, 'user', 'delete', 'dave@example.com');
    expect(deleted.code, deleted.stderr).toBe(0);
    const result = JSON.parse(deleted.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ deleted: held.sub, audit_events_without_address: expect.any(Number) });
    expect(deleted.stderr.toLowerCase()).not.toContain('dave@example.com');
    await expectTokensDead(rp, held);

    // The events stay, by account id; the address is gone from all of them, and its hash from all but the deletion itself.
    const events = await linkid.store.audit.search({ accountId: held.sub }, linkid.clock.now());
    expect(events.map((event) => event.event)).toEqual(expect.arrayContaining(['account.created', 'login.completed', 'user.disabled', 'user.deleted']));
    expect(events.filter((event) => event.email !== null)).toEqual([]);
    expect(events.filter((event) => 'emailHash' in event.fields).map((event) => event.event)).toEqual(['user.deleted']);
    expect(await linkid.store.audit.search({ email: 'dave@example.com' }, linkid.clock.now())).toEqual([]);

    const again = await admin(linkid, 'user', 'delete', held.sub);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr.split('\n')).toContain(`error: no account with sub ${JSON.stringify(held.sub)}`);
    expect((await admin(linkid, 'user', 'show', 'dave@example.com')).stderr).toMatch(/^error: no account for dave@example\.com$/m);

    // The address itself is not banned: signing in again makes a new account.
    const fresh = await signIn(new Browser(), linkid, rp, 'dave@example.com');
    expect(fresh.tokens.claims()!.sub).not.toBe(held.sub);
  });
});

describe('linkid-admin user list, show and bad input', () => {
  const shared = useSharedLinkid();

  it('lists accounts by address as JSON lines, filtered, a page at a time', async () => {
    const { linkid } = shared;
    for (const email of ['b@list.example', 'a@list.example', 'c@list.example', 'x@elsewhere.example']) await createUser(linkid, email);
    const all = await admin(linkid, 'user', 'list', '--email-contains', '@LIST.example');
    expect(all.code, all.stderr).toBe(0);
    const listed = jsonLines(all.stdout);
    expect(listed.map((user) => user.email)).toEqual(['a@list.example', 'b@list.example', 'c@list.example']);
    expect(listed[0]).toEqual({ sub: expect.any(String), email: 'a@list.example', created_at: expect.any(String), last_login_at: null, disabled_at: null });

    const first = jsonLines((await admin(linkid, 'user', 'list', '--email-contains', '@list.example', '--limit', '2')).stdout);
    expect(first.map((user) => user.email)).toEqual(['a@list.example', 'b@list.example']);
    const next = jsonLines((await admin(linkid, 'user', 'list', '--email-contains', '@list.example', '--limit', '2', '--after', 'b@list.example')).stdout);
    expect(next.map((user) => user.email)).toEqual(['c@list.example']);
  });

  it('finds an account by a sub that starts with a dash', async () => {
    const { linkid } = shared;
    await linkid.store.users.findOrCreate('dash@example.com', '-dashing-sub', linkid.clock.now());
    expect(await adminJson(linkid, 'user', 'show', '-dashing-sub')).toMatchObject({ sub: '-dashing-sub', email: 'dash@example.com' });
    expect(await adminJson(linkid, 'user', 'show', '--', '-dashing-sub')).toMatchObject({ sub: '-dashing-sub' });
  });

  it('refuses bad input and unknown accounts with one line on stderr and a non-zero exit, changing nothing', async () => {
    const { linkid } = shared;
    await createUser(linkid, 'kept@example.com');
    const cases: [string[], RegExp, number][] = [
      [['user', 'show', 'nobody@example.com'], /^error: no account for nobody@example\.com$/m, 1],
      [['user', 'disable', 'no-such-sub'], /^error: no account with sub "no-such-sub"$/m, 1],
      [['user', 'delete', 'no-such-sub'], /^error: no account with sub "no-such-sub"$/m, 1],
      [['user', 'enable', 'not an address@'], /^error: not an address linkid would mail: "not an address@"$/m, 2],
      [['user', 'disable', '\u212Aept@example.com'], /^error: not an address linkid would mail: /m, 2],
      [['user', 'disable'], /user disable needs an EMAIL or a SUB/, 2],
      [['user', 'delete', 'kept@example.com', 'extra'], /unexpected argument: extra/, 2],
      [['user', 'list', 'kept@example.com'], /unexpected argument: kept@example\.com/, 2],
      [['user', 'list', '--limit', '0'], /--limit must be a whole number/, 2],
      [['user', 'list', '--limit', 'ten'], /--limit must be a whole number/, 2],
      [['user', 'list', '--email-contains', 'bücher'], /--email-contains takes ASCII text/, 2],
      [['user', 'delete', 'kept@example.com', '--limit', '1'], /--limit is not an option of user delete/, 2],
      [['user', 'frobnicate'], /unknown command: user frobnicate/, 2],
      [['user'], /missing command/, 2],
    ];
    for (const [args, message, code] of cases) {
      const result = await admin(linkid, ...args);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    expect(await linkid.store.users.findByEmail('kept@example.com')).toMatchObject({ disabledAt: null });
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('audits every change with the account id and a hash of the address, never the address', async () => {
    const { linkid } = shared;
    const user = await createUser(linkid, 'hashed@example.com');
    const commands = [
      ['disable', 'user.disabled'],
      ['enable', 'user.enabled'],
      ['revoke-sessions', 'user.sessions_revoked'],
      ['delete', 'user.deleted'],
    ] as const;
    for (const [command, event] of commands) {
      const result = await admin(linkid, 'user', command, user.id);
      expect(result.code, result.stderr).toBe(0);
      expect(auditLines(result.stderr)).toEqual([expect.objectContaining({ event, accountId: user.id, emailHash: addressHash('hashed@example.com') })]);
      expect(result.stderr).not.toContain('hashed@example.com');
    }
    const stored = await linkid.store.audit.search({ accountId: user.id }, linkid.clock.now());
    expect(stored.map((event) => event.event)).toEqual(commands.map(([, event]) => event));
    expect(JSON.stringify(stored)).not.toContain('hashed@example.com');
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB
});
