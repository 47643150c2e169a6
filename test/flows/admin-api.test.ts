// The admin API as a script uses it: a service client made with `npx linkid-admin client create
// --admin-api` gets a short-lived token by the client-credentials grant (openid-client here), and
// with it manages apps, accounts, the audit trail and suppressions over /admin/api/. Nothing else
// reaches the API: no token, a user's access token, a deleted service client's token, a session
// cookie. Bad input is a 4xx with a reason code and the field, never a 500.
import { describe, expect, it } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import { linkidAdminResult } from '../support/admin-cli.js';
import type { RunningLinkid } from '../support/linkid.js';
import { oidc, RelyingParty } from '../support/relying-party.js';
import { useLinkid, useSharedLinkid } from '../support/use-linkid.js';

/** `npx linkid-admin client create --name NAME --admin-api ...`, as an operator runs it. */
async function createServiceClient(linkid: RunningLinkid, ...flags: string[]) {
  return linkidAdminResult(linkid, ['client', 'create', '--name', 'ops', '--admin-api', ...flags]);
}

/** The service client's token, by the client-credentials grant through openid-client. */
async function serviceToken(linkid: RunningLinkid, client: ClientView, scope = 'linkid:admin') {
  const rp = await RelyingParty.discover(linkid.issuer, client);
  return oidc.clientCredentialsGrant(rp.config, { scope });
}

describe('service clients of the admin API', () => {
  const shared = useSharedLinkid();

  it('are made by client create --admin-api, which prints the secret once, and list keeps the mark', async () => {
    const made = await createServiceClient(shared.linkid);
    expect(made.code, made.stderr).toBe(0);
    const client = JSON.parse(made.stdout) as ClientView;
    expect(client).toMatchObject({ client_name: 'ops', admin_api: true, grant_types: ['client_credentials'], scope: 'linkid:admin', redirect_uris: [] });
    expect(client.client_secret).toMatch(/^[\w-]{43}$/);
    const listed = await linkidAdminResult(shared.linkid, ['client', 'list']);
    const again = (JSON.parse(listed.stdout) as ClientView[]).find((entry) => entry.client_id === client.client_id);
    expect(again).toMatchObject({ admin_api: true });
    expect(again).not.toHaveProperty('client_secret');
    expect(made.stderr + listed.stderr).not.toContain(client.client_secret);
  });

  it('refuses --admin-api with a redirect URI or --public, in one line that names the flag', async () => {
    const [withRedirect, asPublic] = await Promise.all([
      createServiceClient(shared.linkid, '--redirect-uri', 'https://app.example/callback'),
      createServiceClient(shared.linkid, '--public'),
    ]);
    for (const [refused, flag] of [
      [withRedirect, '--redirect-uri'],
      [asPublic, '--public'],
    ] as const) {
      expect(refused.code, flag).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain(`${flag} cannot be used with it`);
    }
  });

  it('refuses every option of an app that signs people in, and keeps a service client one on update', async () => {
    const clients = shared.linkid.services.admin.clients;
    for (const [input, named] of [
      [{ deviceFlow: true }, '--device-flow'],
      [{ signup: 'closed' }, '--signup'],
      [{ metadata: { backchannel_logout_uri: 'https://app.example/logout' } }, '--backchannel-logout-uri'],
      [{ metadata: { token_endpoint_auth_method: 'none' } }, '--token-endpoint-auth-method none'],
    ] as const) {
      await expect(clients.create({ name: 'ops', adminApi: true, ...input }), named).rejects.toThrow(`${named} cannot be used with it`);
    }
    const ops = await clients.create({ name: 'ops', adminApi: true });
    await expect(clients.update(ops.client_id, { redirectUris: ['https://app.example/callback'] })).rejects.toThrow(
      /is a service client of the admin API .*--redirect-uri cannot be used with it/,
    );
    expect(await clients.update(ops.client_id, { name: 'ops 2' })).toMatchObject({
      client_name: 'ops 2',
      admin_api: true,
      grant_types: ['client_credentials'],
    });
  });

  it('get a token for linkid:admin by client credentials, short-lived, and for nothing else', async () => {
    const client = await shared.linkid.services.admin.clients.create({ name: 'ops', adminApi: true });
    const tokens = await serviceToken(shared.linkid, client);
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'linkid:admin', expires_in: 600 });
    await expect(serviceToken(shared.linkid, client, 'openid')).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(serviceToken(shared.linkid, client, 'openid linkid:admin')).rejects.toMatchObject({ error: 'invalid_scope' });
  });

  it('are the only clients the client-credentials grant is for', async () => {
    const app = await shared.linkid.createClient({ name: 'An app' });
    await expect(serviceToken(shared.linkid, app)).rejects.toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/grant type is not allowed/),
    });
  });

  it('hold the only scope no app can ask for at the authorization endpoint', async () => {
    const attempt = await shared.rp.authorizationUrl({ scope: 'openid linkid:admin' });
    const answer = await fetch(attempt.url, { redirect: 'manual' });
    const back = new URL(answer.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(shared.rp.redirectUri);
    expect(back.searchParams.get('error')).toBe('invalid_scope');
  });
});

describe('the token lifetime', () => {
  const { start } = useLinkid();

  it('is ADMIN_API_TOKEN_TTL_SECONDS', async () => {
    const linkid = await start({ env: { ADMIN_API_TOKEN_TTL_SECONDS: '120' } });
    const client = await linkid.services.admin.clients.create({ name: 'ops', adminApi: true });
    expect((await serviceToken(linkid, client)).expires_in).toBe(120);
  });
});
