// A client secret is derived from the server secret and a stored salt, and linkid remembers what
// it derived (oidc-provider remembers the clients it built). Remembering must never outlive a
// rotation: a secret rotated by `npx linkid-admin client rotate-secret`, another process writing
// the same store, stops working at the running server's next request, and the new one works.
import { describe, expect, it } from 'vitest';
import type { RunningLinkid } from '../support/linkid.js';
import { linkidAdmin } from '../support/admin-cli.js';
import { useLinkid } from '../support/use-linkid.js';

const { setup } = useLinkid();

/** Introspects a token that names nothing: 200 when the client authenticates, 401 when it does not. */
async function authenticates(linkid: RunningLinkid, clientId: string, secret: string): Promise<number> {
  const response = await fetch(`${linkid.issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: 'no-such-token' }).toString(),
  });
  return response.status;
}

async function rotateWithTheCli(linkid: RunningLinkid, clientId: string): Promise<string> {
  return (JSON.parse(await linkidAdmin(linkid, ['client', 'rotate-secret', clientId])) as { client_secret: string }).client_secret;
}

describe('client secrets in a running server', () => {
  it('refuses a secret rotated by another process at the next request, and accepts the new one', async () => {
    const { linkid, rp } = await setup();
    const { client_id: clientId, client_secret: original } = rp.client;
    expect(original).toBeTruthy();
    // Twice, so whatever the server remembers about this client is in place before the rotation.
    expect(await authenticates(linkid, clientId, original!)).toBe(200);
    expect(await authenticates(linkid, clientId, original!)).toBe(200);
    expect(await authenticates(linkid, clientId, 'not-the-secret')).toBe(401);

    const rotated = await rotateWithTheCli(linkid, clientId);
    expect(rotated).not.toBe(original);
    expect(await authenticates(linkid, clientId, original!)).toBe(401);
    expect(await authenticates(linkid, clientId, rotated)).toBe(200);

    const again = await rotateWithTheCli(linkid, clientId);
    expect(await authenticates(linkid, clientId, rotated)).toBe(401);
    expect(await authenticates(linkid, clientId, again)).toBe(200);
  });

  it('lets oidc-provider reuse one Client for an unchanged registration, and build a new one after a rotation', async () => {
    const { linkid, rp } = await setup();
    const { provider } = linkid.services;
    const first = await provider.Client.find(rp.client.client_id);
    expect(first).toBeDefined();
    expect(await provider.Client.find(rp.client.client_id)).toBe(first);
    await rotateWithTheCli(linkid, rp.client.client_id);
    const after = await provider.Client.find(rp.client.client_id);
    expect(after).not.toBe(first);
    expect(after?.clientSecret).not.toBe(first?.clientSecret);
  });
});
