// `npx linkid-admin resource ...` and the resource options of `client create|update`, run as an
// operator runs them next to a running linkid: one JSON document on stdout; a bad identifier, a
// duplicate, no scope or a bad TTL is one line on stderr and a non-zero exit, with nothing stored.
import { describe, expect, it } from 'vitest';
import type { ClientView } from '../../src/admin/clients.js';
import type { ResourceView } from '../../src/admin/resources.js';
import { linkidAdminResult } from '../support/admin-cli.js';
import { useSharedLinkid } from '../support/use-linkid.js';

describe('linkid-admin resource', () => {
  const shared = useSharedLinkid();
  const admin = (...args: string[]) => linkidAdminResult(shared.linkid, args);

  /** A refusal as the contract says: no stdout, one line on stderr naming `what`, a non-zero exit. */
  const expectRefused = (result: Awaited<ReturnType<typeof admin>>, what: string) => {
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
    expect(result.stderr).toContain(what);
  };

  it('creates, lists, updates and deletes a resource, with the words of each scope', { timeout: 120_000 }, async () => {
    const made = await admin(
      'resource',
      'create',
      '--identifier',
      'https://api.tasks.example',
      '--scope',
      'tasks:read=Read your tasks',
      '--scope',
      'tasks:write',
    );
    expect(made.code, made.stderr).toBe(0);
    const resource = JSON.parse(made.stdout) as ResourceView;
    expect(resource).toMatchObject({
      identifier: 'https://api.tasks.example',
      scopes: [
        { name: 'tasks:read', description: 'Read your tasks' },
        { name: 'tasks:write', description: 'tasks:write' },
      ],
      access_token_ttl: 600,
      access_token_format: 'jwt',
      introspection_client_id: null,
    });
    const listed = JSON.parse((await admin('resource', 'list')).stdout) as ResourceView[];
    expect(listed.find((entry) => entry.id === resource.id)).toEqual(resource);

    const updated = await admin('resource', 'update', resource.id, '--ttl', '120', '--introspect');
    expect(updated.code, updated.stderr).toBe(0);
    const withClient = JSON.parse(updated.stdout) as ResourceView;
    expect(withClient).toMatchObject({
      access_token_ttl: 120,
      access_token_format: 'opaque',
      introspection_client_secret: expect.stringMatching(/^[\w-]{43}$/),
    });
    const clientId = withClient.introspection_client_id ?? '';
    const clients = JSON.parse((await admin('client', 'list')).stdout) as ClientView[];
    expect(clients.find((client) => client.client_id === clientId)).toMatchObject({ redirect_uris: [], settings: { introspects_resource: resource.id } });
    expect(JSON.stringify(clients)).not.toContain(withClient.introspection_client_secret);

    // An app allowed it, then the resource goes: so does its introspection client, and the app no longer lists it.
    const app = JSON.parse(
      (await admin('client', 'create', '--name', 'Tasks', '--redirect-uri', 'https://tasks.example/cb', '--resource', resource.identifier)).stdout,
    ) as ClientView;
    expect(app.settings.resources).toEqual([resource.id]);
    const deleted = await admin('resource', 'delete', resource.id);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: resource.id });
    const after = JSON.parse((await admin('client', 'list')).stdout) as ClientView[];
    expect(after.find((client) => client.client_id === clientId)).toBeUndefined();
    expect(after.find((client) => client.client_id === app.client_id)?.settings.resources).toBeUndefined();
    expectRefused(await admin('resource', 'delete', resource.id), `no resource with id ${resource.id}`);
  });

  it('refuses a bad identifier, a duplicate one, no scope, a bad scope and a bad TTL, in one line each, storing nothing', { timeout: 120_000 }, async () => {
    const before = (await admin('resource', 'list')).stdout;
    const create = (...args: string[]) => admin('resource', 'create', ...args);
    const asked = [
      [create('--identifier', 'ftp://api.example', '--scope', 'a'), 'must use https'],
      [create('--identifier', 'http://api.example', '--scope', 'a'), 'http is allowed only for localhost'],
      [create('--identifier', 'https://api.example/#part', '--scope', 'a'), 'must not contain a fragment'],
      [create('--identifier', 'api.example', '--scope', 'a'), 'is not an absolute URI'],
      [create('--identifier', 'https://api.none.example'), 'at least one --scope is required'],
      [create('--identifier', 'https://api.none.example', '--scope', 'openid'), "is one of linkid's own scopes"],
      [create('--identifier', 'https://api.none.example', '--scope', 'a b=Words'), 'must be a scope name'],
      [create('--identifier', 'https://api.none.example', '--scope', 'a', '--ttl', '30'), '--ttl must be at least 60 seconds'],
      [create('--identifier', 'https://api.none.example', '--scope', 'a', '--ttl', '7200'), '--ttl must be at most 3600 seconds'],
      [create('--identifier', 'https://api.none.example', '--scope', 'a', '--ttl', 'ten'), '--ttl must be a whole number of seconds'],
    ] as const;
    const refusals = await Promise.all(asked.map(async ([result, what]) => [await result, what] as const));
    for (const [result, what] of refusals) expectRefused(result, what);
    expect((await admin('resource', 'list')).stdout).toBe(before);

    const first = await create('--identifier', 'https://api.dup.example', '--scope', 'a');
    expect(first.code, first.stderr).toBe(0);
    expectRefused(await create('--identifier', 'https://api.dup.example', '--scope', 'b'), 'a resource with this identifier exists');
    expectRefused(await admin('resource', 'update', 'rs_nobody', '--ttl', '60'), 'no resource with id rs_nobody');
  });

  it('makes a client_credentials service client of an API, and refuses one without a resource or with a redirect URI', { timeout: 120_000 }, async () => {
    const api = JSON.parse(
      (await admin('resource', 'create', '--identifier', 'https://api.batch.example', '--scope', 'batch:run=Run jobs')).stdout,
    ) as ResourceView;
    const made = await admin('client', 'create', '--name', 'Nightly', '--grant-type', 'client_credentials', '--resource', api.id);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({
      grant_types: ['client_credentials'],
      redirect_uris: [],
      client_secret: expect.any(String),
      settings: { resources: [api.id] },
    });
    const refused = await Promise.all([
      admin('client', 'create', '--name', 'Nightly', '--grant-type', 'client_credentials'),
      admin('client', 'create', '--name', 'Nightly', '--grant-type', 'client_credentials', '--resource', api.id, '--redirect-uri', 'https://x.example/cb'),
      admin('client', 'create', '--name', 'Nightly', '--grant-type', 'implicit', '--resource', api.id),
      admin('client', 'create', '--name', 'Tasks', '--redirect-uri', 'https://tasks.example/cb', '--resource', 'https://api.unknown.example'),
    ]);
    const reasons = ['needs at least one --resource', '--redirect-uri cannot be used with it', '--grant-type must be client_credentials', 'no such resource'];
    for (const [index, result] of refused.entries()) expectRefused(result, reasons[index] ?? '');
  });
});
