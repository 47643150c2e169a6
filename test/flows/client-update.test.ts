// `linkid-admin client update` run from another process while linkid serves: the running server
// honours the change at once (oidc-provider reads the client from the store on each request), so
// an admin adds a redirect URI or renames an app without a restart.
import { describe, expect, it } from 'vitest';
import { linkidAdmin } from '../support/admin-cli.js';
import { registerApp } from '../support/factories.js';
import { useLinkid } from '../support/use-linkid.js';

describe('client update while the server runs', () => {
  const { start } = useLinkid();

  it('a redirect URI added by the CLI is accepted by the running server, one removed is refused', async () => {
    const linkid = await start();
    const rp = await registerApp(linkid, { name: 'Board', firstParty: true, redirectUris: ['http://localhost:4000/callback'] });
    const authorize = async (redirectUri: string) => {
      const attempt = await rp.authorizationUrl({ redirect_uri: redirectUri });
      return fetch(attempt.url, { redirect: 'manual' });
    };
    const added = 'http://localhost:4000/other-callback';
    expect((await authorize(added)).status).toBe(400);

    const stdout = await linkidAdmin(linkid, ['client', 'update', rp.client.client_id, '--redirect-uri', added]);
    expect(JSON.parse(stdout).redirect_uris).toEqual([added]);

    const accepted = await authorize(added);
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toMatch(/\/interaction\//);
    expect((await authorize('http://localhost:4000/callback')).status).toBe(400);
  });
});
