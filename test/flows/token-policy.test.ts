// An app's policy holds for the life of its tokens, not only at sign-in. An address at an
// allowlisted domain signs in with offline_access, then the account moves to an address outside
// it: its refresh token gets invalid_grant, its access token 401 at userinfo and active: false at
// introspection, each audited as tokens.refused with the reason. Likewise a scope the app may no
// longer ask for, and an account disabled while its tokens were left in place. Driven through the
// token endpoints with openid-client, as an app would.
import { describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { registerApp } from '../support/factories.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, type RelyingParty } from '../support/relying-party.js';
import { signIn } from '../support/sign-in.js';
import { useLinkid } from '../support/use-linkid.js';

const OFFLINE = { scope: 'openid email offline_access', prompt: 'consent' };

/** What each endpoint makes of the tokens now: refresh, userinfo, introspection. */
async function uses(rp: RelyingParty, tokens: { access_token: string; refresh_token?: string }, sub: string) {
  const refresh = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!).then(
    () => 'ok',
    (error: { error?: string }) => error.error ?? 'failed',
  );
  const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, sub).then(
    () => 'ok',
    () => 'refused',
  );
  const active = (await oidc.tokenIntrospection(rp.config, tokens.access_token)).active;
  return { refresh, userinfo, active };
}

const refusedEvents = async (linkid: RunningLinkid, sub: string) =>
  (await linkid.store.audit.search({ accountId: sub }, linkid.clock.now()))
    .filter((event) => event.event === 'tokens.refused')
    .map((event) => ({ reason: event.reason, clientId: event.clientId, kind: event.fields.kind }));

describe("an app's policy, when its tokens are used", () => {
  const suite = useLinkid();

  it('refuses the tokens of an allowlisted app once the account has moved to an address outside the allowlist', async () => {
    const linkid = await suite.start();
    const rp = await registerApp(linkid, { name: 'Intranet', consent: 'skip', signup: 'allowlist', signupDomains: 'corp.example' });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@corp.example', OFFLINE);
    const sub = tokens.claims()!.sub;
    expect(tokens.refresh_token).toBeDefined();
    // Before the move, every use works (the refresh rotates: keep the new pair).
    const rotated = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(rp.config, rotated.access_token)).active).toBe(true);

    expect(await linkid.store.users.changeEmail(sub, 'ann@home.example')).toBe('changed');
    expect(await uses(rp, rotated, sub)).toEqual({ refresh: 'invalid_grant', userinfo: 'refused', active: false });
    const refused = await refusedEvents(linkid, sub);
    // The first use refused (the refresh) is audited, and revokes the grant with what it issued:
    // the access token's refusals that follow find nothing left to judge.
    expect(refused).toEqual([{ reason: 'signup_closed', clientId: rp.client.client_id, kind: 'RefreshToken' }]);
    // The refusal revoked the grant: moving back into the allowlist brings none of it back.
    expect(await linkid.store.users.changeEmail(sub, 'ann.again@corp.example')).toBe('changed');
    expect(await uses(rp, rotated, sub)).toEqual({ refresh: 'invalid_grant', userinfo: 'refused', active: false });
  });

  it('keeps the tokens of an account that still fits working (an open app, the same move)', async () => {
    const linkid = await suite.start();
    const rp = await registerApp(linkid, { name: 'Forum', consent: 'skip', signup: 'open' });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ann@corp.example', OFFLINE);
    const sub = tokens.claims()!.sub;
    expect(await linkid.store.users.changeEmail(sub, 'ann@home.example')).toBe('changed');
    expect(await uses(rp, tokens, sub)).toEqual({ refresh: 'ok', userinfo: 'ok', active: true });
    expect(await refusedEvents(linkid, sub)).toEqual([]);
  });

  it('refuses a token whose scopes the app may no longer ask for', async () => {
    const linkid = await suite.start();
    const rp = await registerApp(linkid, { name: 'Mailer', consent: 'skip', scopes: ['openid', 'email', 'offline_access'] });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ada@example.com', OFFLINE);
    const sub = tokens.claims()!.sub;
    await linkid.updateClient(rp.client.client_id, { scopes: ['openid', 'offline_access'] });
    expect(await uses(rp, tokens, sub)).toEqual({ refresh: 'invalid_grant', userinfo: 'refused', active: false });
    expect((await refusedEvents(linkid, sub))[0]).toMatchObject({ reason: 'invalid_scope' });
  });

  it('refuses the tokens of an account disabled after they were issued, even where nothing revoked them', async () => {
    const linkid = await suite.start();
    const rp = await registerApp(linkid, { name: 'Notes', consent: 'skip' });
    const { tokens } = await signIn(new Browser(), linkid, rp, 'ada@example.com', OFFLINE);
    const sub = tokens.claims()!.sub;
    // The mark alone, as in the moment between disabling and revoking.
    await linkid.store.users.setDisabled(sub, linkid.clock.now());
    expect(await uses(rp, tokens, sub)).toEqual({ refresh: 'invalid_grant', userinfo: 'refused', active: false });
    expect((await refusedEvents(linkid, sub))[0]).toMatchObject({ reason: 'account_disabled' });
  });
});
