// The audit trail as an operator uses it: sign-ins through real browsers and a real RP, then
// `npx linkid-admin audit ...` run as a subprocess against the same DATA_DIR. A sign-in's story
// comes back in order with the time between steps; the request id on a page finds its events,
// including the mail it queued; and nothing in the stored trail is a token, code or cookie.
import { describe, expect, it } from 'vitest';
import { linkidAdminResult } from '../support/admin-cli.js';
import { Browser, formOn } from '../support/browser.js';
import { fakeClock } from '../support/fake-clock.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc } from '../support/relying-party.js';
import { confirmLink, finishAtApp, requestLink, signIn } from '../support/sign-in.js';
import { storedRecords } from '../support/stored-records.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

/** `npx linkid-admin ...` on linkid's DATA_DIR (and database): exit code, stdout as JSON lines, stderr. */
async function admin(linkid: RunningLinkid, ...args: string[]) {
  const { code, stdout, stderr } = await linkidAdminResult(linkid, args);
  // JSON lines for the audit commands; client commands print one indented document instead.
  return { code, lines: args[0] === 'audit' ? parseLines(stdout) : [], stdout, stderr };
}

type Line = Record<string, unknown> & { event: string; after?: string; fields?: Record<string, unknown> };
const parseLines = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);

const interactionOf = (url: string) => /\/interaction\/([^/]+)/.exec(url)![1]!;

describe('audit trail', () => {
  it("replays a sign-in's story in order with the time between steps, found by its interaction or by the request id on its page", async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock });
    const browser = new Browser('Story Browser/1.0');
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'story@example.com');
    const requestId = page.headers.get('x-request-id')!;
    const uid = interactionOf(page.url);

    clock.advance(2_000);
    expect((await new Browser('Mail Scanner').request(mail.link)).status).toBe(200);
    clock.advance(1_500);
    await finishAtApp(browser, rp, await confirmLink(browser, mail));
    await linkid.settle();

    const replay = await admin(linkid, 'audit', 'replay', '--interaction', uid);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.lines.map((line) => [line.event, line.after])).toEqual([
      ['login.requested', '+0ms'],
      ['mail.queued', '+0ms'],
      ['login.link_sent', '+0ms'],
      ['mail.sent', '+0ms'],
      ['login.link_opened', '+2000ms'],
      ['login.link_opened', '+1500ms'],
      ['login.confirmed', '+0ms'],
      ['account.created', '+0ms'],
      ['login.completed', '+0ms'],
    ]);
    const [requested, , , sent, scanned, opened, confirmed, created, completed] = replay.lines;
    expect(requested).toMatchObject({ requestId, interactionUid: uid, email: 'story@example.com', ip: '127.0.0.1', userAgent: 'Story Browser/1.0' });
    expect(requested!.versions).toEqual({ policy: expect.any(String), templates: expect.any(String) });
    expect(sent).toMatchObject({ requestId, email: 'story@example.com', providerMessageId: expect.any(String), fields: { attempt: 1, queuedMs: 0 } });
    expect(scanned).toMatchObject({ userAgent: 'Mail Scanner', fields: { binding: 'missing' } });
    expect(opened).toMatchObject({ userAgent: 'Story Browser/1.0', fields: { binding: 'present' } });
    expect(scanned!.requestId).not.toBe(opened!.requestId);
    expect(confirmed).toMatchObject({ requestId: expect.any(String), fields: { via: 'link', sinceQueuedMs: 3_500 } });
    expect(created!.accountId).toBe(completed!.accountId);
    expect(new Date(String(completed!.time)).getTime() - new Date(String(requested!.time)).getTime()).toBe(3_500);

    // The id on the "check your email" page finds that request's events, the mail it queued included.
    const found = await admin(linkid, 'audit', 'search', '--request-id', requestId);
    expect(found.code, found.stderr).toBe(0);
    expect(found.lines.map((line) => line.event)).toEqual(['login.requested', 'mail.queued', 'login.link_sent', 'mail.sent']);
    const byRequest = await admin(linkid, 'audit', 'replay', '--request-id', requestId);
    expect(byRequest.lines).toEqual(replay.lines);

    const byAddress = await admin(linkid, 'audit', 'search', '--email', '  Story@EXAMPLE.com');
    expect(byAddress.lines).toHaveLength(9);
    const byAccount = await admin(linkid, 'audit', 'search', '--account', String(completed!.accountId));
    expect(byAccount.lines.map((line) => line.event)).toEqual(['account.created', 'login.completed', 'consent.granted']);

    const since = new Date(clock.now() - 1_000).toISOString();
    const exported = await admin(linkid, 'audit', 'export', '--since', since);
    expect(exported.lines.map((line) => line.event)).toEqual(['login.link_opened', 'login.confirmed', 'account.created', 'login.completed', 'consent.granted']);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('tells a refused and a cancelled sign-in too, with reasons and code attempts, searchable by reason and client', async () => {
    const clock = fakeClock();
    const { linkid, rp } = await setup({ clock });
    const browser = new Browser();
    const { page, mail } = await requestLink(browser, linkid, await rp.authorizationUrl(), 'guess@example.com');
    const uid = interactionOf(page.url);
    const wrong = mail.code === '000000' ? '111111' : '000000';
    clock.advance(700);
    await browser.request(formOn(page, /\/code$/).action, { form: { ...formOn(page, /\/code$/).hidden, code: wrong } });
    const owner = new Browser('Owner');
    const cancelUrl = /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(mail.message.text)![1]!;
    await owner.submit(await owner.request(cancelUrl), /\/login\/cancel$/);
    await linkid.settle();

    const replay = await admin(linkid, 'audit', 'replay', '--interaction', uid);
    expect(replay.lines.map((line) => line.event).slice(4)).toEqual(['login.code_attempt', 'login.refused', 'login.cancelled']);
    const [attempt, refused, cancelled] = replay.lines.slice(4);
    expect(attempt).toMatchObject({ after: '+700ms', email: 'guess@example.com', fields: { outcome: 'wrong', attemptsLeft: 4 } });
    expect(refused).toMatchObject({ reason: 'code_invalid', fields: { step: 'code' } });
    expect(cancelled).toMatchObject({ userAgent: 'Owner', email: 'guess@example.com' });

    const byReason = await admin(linkid, 'audit', 'search', '--reason', 'code_invalid');
    expect(byReason.lines.map((line) => line.interactionUid)).toEqual([uid]);
    const byClient = await admin(linkid, 'audit', 'search', '--client', rp.client.client_id, '--until', new Date(clock.now()).toISOString());
    // The app's registration is in its trail too: the tests register apps through the services the
    // CLI uses (src/services.ts), audited alike.
    expect(byClient.lines.map((line) => line.event)).toEqual(['client.registered', 'login.requested', 'login.link_sent']);
  });

  it('records the tokens an app was issued and the logout, under the account', async () => {
    const { linkid, rp } = await setup();
    const browser = new Browser();
    const { tokens } = await signIn(browser, linkid, rp, 'leaving@example.com');
    const logout = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token! });
    await browser.submit(await browser.follow(logout.href), /\/session\/end\/confirm$/, { logout: 'yes' });
    await linkid.settle();

    const [completed] = (await admin(linkid, 'audit', 'search', '--email', 'leaving@example.com')).lines.filter((line) => line.event === 'login.completed');
    const byAccount = await admin(linkid, 'audit', 'search', '--account', String(completed!.accountId));
    const [issued, loggedOut] = byAccount.lines.filter((line) => line.event === 'tokens.issued' || line.event === 'logout');
    expect(issued).toMatchObject({ clientId: rp.client.client_id, fields: { grantType: 'authorization_code' } });
    expect(loggedOut).toMatchObject({ event: 'logout', accountId: completed!.accountId });
  });

  it('records client changes made with linkid-admin, without the secret', async () => {
    const { linkid } = await setup();
    const created = await admin(linkid, 'client', 'create', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example.com/cb');
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    const rotated = JSON.parse((await admin(linkid, 'client', 'rotate-secret', client.client_id)).stdout) as { client_secret: string };
    await admin(linkid, 'client', 'delete', client.client_id);

    const events = await admin(linkid, 'audit', 'search', '--client', client.client_id);
    expect(events.lines.map((line) => line.event)).toEqual(['client.registered', 'client.secret_rotated', 'client.deleted']);
    expect(events.lines[0]).toMatchObject({ fields: { name: 'Wiki', redirectUris: ['https://wiki.example.com/cb'], via: 'admin-cli' } });
    expect(events.stdout).not.toContain(client.client_secret);
    expect(events.stdout).not.toContain(rotated.client_secret);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('finds the refusal behind an error page by the request id on that page', async () => {
    const { linkid } = await setup();
    const page = await new Browser().request(`${linkid.issuer}/interaction/long-gone`);
    expect(page.status).toBe(410);
    const requestId = page.headers.get('x-request-id') ?? '';
    await linkid.settle();
    const found = await admin(linkid, 'audit', 'search', '--request-id', requestId);
    expect(found.code, found.stderr).toBe(0);
    expect(found.lines.map((line) => [line.event, line.reason ?? line.fields?.reason])).toEqual([['login.refused', 'interaction_expired']]);
  });

  it('takes ids that start with a dash as option values (uids and subject ids are random base64url)', async () => {
    const { linkid } = await setup();
    for (const args of [
      ['audit', 'search', '--account', '-Ab3dash'],
      ['audit', 'search', '--account', '--Xdouble'],
      ['audit', 'search', '--client', '-c1', '--request-id', '-r1'],
    ]) {
      const result = await admin(linkid, ...args);
      expect({ args, code: result.code, stderr: result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('npm ')) }).toEqual({
        args,
        code: 0,
        stderr: [],
      });
    }
    const replay = await admin(linkid, 'audit', 'replay', '--interaction', '-nothing-here');
    expect(replay.stderr).toMatch(/no audit events for interaction -nothing-here/);
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('refuses bad input with one line on stderr and a non-zero exit', async () => {
    const { linkid } = await setup();
    for (const [args, message] of [
      [['audit', 'search'], /needs --request-id, --email/],
      [['audit', 'search', '--email', 'not an address'], /not an address/],
      [['audit', 'search', '--reason', 'x', '--since', 'yesterday'], /--since is not an ISO 8601 time/],
      [['audit', 'search', '--reason', 'x', '--since', '2030-01-02', '--until', '2030-01-01'], /--until must be after --since/],
      [['audit', 'export'], /needs --since/],
      [['audit', 'replay'], /needs either --interaction or --request-id/],
      [['audit', 'replay', '--interaction', 'nope'], /no audit events for interaction nope/],
    ] as const) {
      const result = await admin(linkid, ...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stdout, args.join(' ')).toBe('');
      // npm's own warnings (about the caller's npm config) are not the command's.
      const ours = result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('npm '));
      expect(ours, args.join(' ')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  }, 120_000); // one child process per command, one after another: about 1.7 s each on an idle 2-core machine, seconds more on MongoDB

  it('never stores a token, code, cookie or client secret', async () => {
    const { linkid, rp } = await setup();
    const secrets: string[] = [];
    const browsers: Browser[] = [];
    const keep = (mail: { token: string; code: string }) => secrets.push(mail.token, mail.code);

    // A sign-in by link, one by code after a wrong code, a used link, a made-up link, a cancel.
    const byLink = new Browser();
    const first = await requestLink(byLink, linkid, await rp.authorizationUrl(), 'link@example.com');
    keep(first.mail);
    await finishAtApp(byLink, rp, await confirmLink(byLink, first.mail));
    await byLink.request(first.mail.link);
    const byCode = new Browser();
    const second = await requestLink(byCode, linkid, await rp.authorizationUrl(), 'code@example.com');
    keep(second.mail);
    const codeForm = formOn(second.page, /\/code$/);
    await byCode.request(codeForm.action, { form: { ...codeForm.hidden, code: second.mail.code === '123456' ? '654321' : '123456' } });
    await byCode.submit(second.page, /\/code$/, { code: second.mail.code }, 'http');
    await new Browser().request(first.mail.link.replace(first.mail.token, 'A'.repeat(43)));
    const cancelled = new Browser();
    const third = await requestLink(cancelled, linkid, await rp.authorizationUrl(), 'cancel@example.com');
    keep(third.mail);
    const cancelUrl = /(http\S+\/login\/cancel\?token=[\w-]{43})/.exec(third.mail.message.text)![1]!;
    await cancelled.submit(await cancelled.request(cancelUrl), /\/login\/cancel$/);
    await linkid.settle();
    browsers.push(byLink, byCode, cancelled);
    // The trail as stored (every field, in the store's own spelling), and as the store reads it.
    const rows = (await storedRecords(linkid)).audit_events ?? [];
    const trail = await linkid.store.audit.search({}, linkid.clock.now());
    expect(rows).toHaveLength(trail.length);
    const events = trail.map((record) => record.event);
    // oidc-provider's interaction cookie carries the interaction id, which the trail names on
    // purpose (an identifier that opens nothing: the cookie's signature is what counts).
    const interactions = new Set(trail.map((record) => record.interactionUid));
    for (const browser of browsers) {
      for (const cookie of await browser.jar.getCookies(linkid.issuer, { allPaths: true })) {
        if (cookie.value.length >= 8 && !interactions.has(cookie.value)) secrets.push(cookie.value);
      }
    }
    if (rp.client.client_secret) secrets.push(rp.client.client_secret);

    const dump = JSON.stringify(rows);
    for (const expected of ['login.confirmed', 'login.completed', 'login.code_attempt', 'login.refused', 'login.cancelled', 'mail.sent']) {
      expect(events).toContain(expected);
    }
    expect(secrets.length).toBeGreaterThan(8);
    for (const secret of secrets) expect(dump, `a secret (${secret.slice(0, 4)}...) is in the audit trail`).not.toContain(secret);
  });
});
