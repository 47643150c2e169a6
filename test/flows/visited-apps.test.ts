// An app learns who the person is only once they finished an authorization with it. A browser
// signed in through one app passes through others too: a `prompt=none` probe that gets
// consent_required, a consent the person denies. Such an app got nothing from linkid, so it must
// not be listed as signed in on the account page, nor be sent a logout token naming the account
// (back-channel) or be framed (front-channel) when the person signs out, whichever way: "Sign out
// everywhere", "Sign out of this browser" (RP-initiated logout) or `linkid-admin user revoke-sessions`.
import { describe, expect, it } from 'vitest';
import { linkidAdmin } from '../support/admin-cli.js';
import { Browser, type Page } from '../support/browser.js';
import type { RunningLinkid } from '../support/linkid.js';
import { useLogoutReceivers, verifyLogoutToken, type Receiver } from '../support/logout-receiver.js';
import { RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const logoutReceiver = useLogoutReceivers();
const LOOPBACK = { env: { OUTBOUND_ALLOW_LOOPBACK: 'true' } };

/** An app that asks for consent and listens for both kinds of logout. */
async function appThatListens(linkid: RunningLinkid, name: string, receiver: Receiver, port: number, firstParty: boolean): Promise<RelyingParty> {
  const client = await linkid.createClient({
    name,
    firstParty,
    redirectUris: [`http://localhost:${port}/cb`],
    metadata: { backchannel_logout_uri: receiver.uri, frontchannel_logout_uri: `http://localhost:${port}/fc-logout` },
  });
  return RelyingParty.discover(linkid.issuer, client);
}

/** Notes (first party) signed in to in a fresh browser, and Board (asks for consent), not yet visited. */
async function signedInToNotes(linkid: RunningLinkid) {
  const notesReceiver = await logoutReceiver();
  const boardReceiver = await logoutReceiver();
  const notes = await appThatListens(linkid, 'Notes', notesReceiver, 5000, true);
  const board = await appThatListens(linkid, 'Board', boardReceiver, 7000, false);
  const browser = new Browser();
  const { tokens } = await signIn(browser, linkid, notes, 'ada@example.com');
  return { browser, notes, board, notesReceiver, boardReceiver, sub: tokens.claims()!.sub };
}

/** Board asked, silently, whether this browser may sign in: it may not without consent. */
async function probe(browser: Browser, board: RelyingParty): Promise<void> {
  const answer = await browser.follow((await board.authorizationUrl({ prompt: 'none' })).url, board.redirectUri);
  expect(answer.location).toMatch(/[?&]error=consent_required/);
}

/** Board asks for consent and the person says no. */
async function denyConsent(browser: Browser, board: RelyingParty): Promise<void> {
  const consent = await browser.follow((await board.authorizationUrl()).url, board.redirectUri);
  expect(consent.body).toContain('name="decision"');
  const denied = await browser.submit(consent, /\/consent$/, { decision: 'deny' }, board.redirectUri);
  expect(denied.location).toMatch(/[?&]error=access_denied/);
}

/** "Sign out of this browser" on the account page: RP-initiated logout, confirmed. */
async function signOutOfThisBrowser(browser: Browser, linkid: RunningLinkid): Promise<Page> {
  const account = await browser.follow(`${linkid.issuer}/account`);
  const signOut = /href="(\/session\/end\?[^"]+)"/.exec(account.body)?.[1]?.replace(/&amp;/g, '&');
  expect(signOut).toBeDefined();
  const confirm = await browser.follow(`${linkid.issuer}${signOut!}`);
  const done = await browser.request(`${linkid.issuer}/session/end/confirm`, {
    form: { xsrf: /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '', logout: 'yes' },
  });
  expect([200, 303]).toContain(done.status);
  return done;
}

/** The apps the account page names (sorted): under each signed-in browser, and with access. */
async function appsOnAccountPage(browser: Browser, linkid: RunningLinkid): Promise<{ signedIn: string[]; withAccess: string[] }> {
  const page = await browser.follow(`${linkid.issuer}/account`);
  expect(page.url, page.body).toBe(`${linkid.issuer}/account`);
  return {
    signedIn: [...page.body.matchAll(/Apps: ([^<]+)</g)].flatMap((match) => match[1]!.split(', ')).sort(),
    withAccess: [...page.body.matchAll(/aria-label="Remove access for ([^"]+)"/g)].map((match) => match[1]!).sort(),
  };
}

/** The logout frames a page between the confirm and the redirect holds. */
const framesOn = (page: Page) =>
  [...page.body.matchAll(/<iframe class="logout-frame" src="([^"]+)"/g)].map((match) => new URL(match[1]!.replace(/&amp;/g, '&')).origin);

describe('an app that was only visited', () => {
  const { start } = useLinkid();

  it('a prompt=none probe that got consent_required: not on the account page, and not told by "Sign out everywhere"', async () => {
    const linkid = await start(LOOPBACK);
    const { browser, notes, board, notesReceiver, boardReceiver, sub } = await signedInToNotes(linkid);
    await probe(browser, board);

    // The grant lookup left no entry for Board in the stored session.
    const [stored] = await linkid.store.oidc.listByAccount('Session', sub, linkid.clock.now());
    expect(Object.keys(stored!.payload.authorizations as object)).toEqual([notes.client.client_id]);
    expect(await appsOnAccountPage(browser, linkid)).toEqual({ signedIn: ['Notes'], withAccess: ['Notes'] });
    const download = JSON.parse((await browser.request(`${linkid.issuer}/account/data`)).body) as { sessions: { apps: string[] }[] };
    expect(download.sessions.map((session) => session.apps)).toEqual([[notes.client.client_id]]);

    const done = await browser.submit(await browser.follow(`${linkid.issuer}/account`), /\/account\/sign-out-everywhere$/);
    expect(done.status, done.body).toBe(200);
    expect(notesReceiver.received).toHaveLength(1);
    expect(await verifyLogoutToken(linkid.issuer, notesReceiver.received[0]!.token, notes.client.client_id)).toMatchObject({ sub });
    expect(boardReceiver.received).toEqual([]);
  });

  it('a denied consent: not told, not framed, by "Sign out of this browser"', async () => {
    const linkid = await start(LOOPBACK);
    const { browser, notes, board, notesReceiver, boardReceiver } = await signedInToNotes(linkid);
    await denyConsent(browser, board);
    expect(await appsOnAccountPage(browser, linkid)).toEqual({ signedIn: ['Notes'], withAccess: ['Notes'] });

    const done = await signOutOfThisBrowser(browser, linkid);

    expect(framesOn(done)).toEqual(['http://localhost:5000']);
    expect(notesReceiver.received).toHaveLength(1);
    await verifyLogoutToken(linkid.issuer, notesReceiver.received[0]!.token, notes.client.client_id);
    expect(boardReceiver.received).toEqual([]);
  });

  it('a probe, then linkid-admin user revoke-sessions: only the app signed in to is told', async () => {
    const linkid = await start(LOOPBACK);
    const { browser, board, notesReceiver, boardReceiver, sub } = await signedInToNotes(linkid);
    await probe(browser, board);

    const stdout = await linkidAdmin(linkid, ['user', 'revoke-sessions', sub], { ISSUER: linkid.issuer, OUTBOUND_ALLOW_LOOPBACK: 'true' });

    expect(JSON.parse(stdout)).toMatchObject({ revoked: { sessions: 1 } });
    expect(notesReceiver.received).toHaveLength(1);
    expect(boardReceiver.received).toEqual([]);
  });

  it('a session saved with a visit by an earlier linkid tells that app nothing on logout either', async () => {
    const linkid = await start(LOOPBACK);
    const { browser, board, notesReceiver, boardReceiver, sub } = await signedInToNotes(linkid);
    // What oidc-provider's default grant lookup left in the session for an app passed through: an empty entry.
    const [stored] = await linkid.store.oidc.listByAccount('Session', sub, linkid.clock.now());
    const authorizations = { ...(stored!.payload.authorizations as object), [board.client.client_id]: {} };
    await linkid.store.oidc.upsert('Session', stored!.id, { ...stored!.payload, authorizations }, linkid.clock.now() + 60 * 60 * 1000);
    expect(await appsOnAccountPage(browser, linkid)).toEqual({ signedIn: ['Notes'], withAccess: ['Notes'] });

    const done = await signOutOfThisBrowser(browser, linkid);

    expect(framesOn(done)).toEqual(['http://localhost:5000']);
    expect(notesReceiver.received).toHaveLength(1);
    expect(boardReceiver.received).toEqual([]);
  });

  it('an app the person allowed is still listed and told', async () => {
    const linkid = await start(LOOPBACK);
    const { browser, board, boardReceiver, sub } = await signedInToNotes(linkid);
    await probe(browser, board);
    // Single sign-on: straight to the consent page and back with a code, no email.
    const attempt = await board.authorizationUrl();
    const consent = await browser.follow(attempt.url, board.redirectUri);
    const landed = await browser.submit(consent, /\/consent$/, { decision: 'allow' }, board.redirectUri);
    const tokens = await board.redeem(landed.location!, attempt);

    expect(await appsOnAccountPage(browser, linkid)).toEqual({ signedIn: ['Board', 'Notes'], withAccess: ['Board', 'Notes'] });
    await linkid.services.accountSessions.endAll(sub, 'revoked');
    expect(boardReceiver.received).toHaveLength(1);
    expect(await verifyLogoutToken(linkid.issuer, boardReceiver.received[0]!.token, board.client.client_id)).toMatchObject({ sub: tokens.claims()!.sub });
  });
});
