// The engine's own endpoints, which linkid serves through oidc-provider with its store, logging and
// headers around them: discovery, JWKS, introspection of a client's own access token, and refresh
// grants in K concurrent rotation chains (each chain spends the refresh token the previous answer
// returned). linkid, the bare provider and, where it means something, the Koa "hello" floor; where
// the store is used, also the bare provider on linkid's store and on a plain SQLite table.
import { hammer, closedLoop, type FixedRequest } from '../load.ts';
import type { Server } from '../processes.ts';
import { measured, rotated, freshAddress, targetOf, type Context, type Figure, type ScenarioResult } from '../scenario.ts';
import { refresh, signIn, type Target } from '../sign-in.ts';

async function fixedRequestScenario(
  ctx: Context,
  name: string,
  title: string,
  servers: readonly Server[],
  request: (server: Server) => Promise<FixedRequest>,
): Promise<ScenarioResult> {
  const { settings } = ctx;
  const figures: Figure[] = [];
  for (let repeat = 0; repeat < settings.repeats; repeat += 1) {
    for (const server of rotated(servers, repeat)) {
      const fixed = await request(server);
      await hammer(fixed, settings.connections, settings.warmupSeconds);
      const figure = await measured(server, repeat, () => hammer(fixed, settings.connections, settings.seconds));
      ctx.log(`  ${name} ${server.name} #${repeat + 1}: ${figure.opsPerSecond.toFixed(0)} req/s, other CPU ${figure.otherCores.toFixed(2)}`);
      figures.push(figure);
    }
  }
  return {
    name,
    title,
    op: 'request',
    note: `autocannon, ${settings.connections} connections, ${settings.seconds} s per run after ${settings.warmupSeconds} s of warm-up`,
    figures,
  };
}

export function discovery(ctx: Context): Promise<ScenarioResult> {
  const { linkid, bare, hello } = ctx.servers;
  return fixedRequestScenario(ctx, 'discovery', 'discovery', [linkid, bare, hello], async (server) => ({
    url: `${server.url}/.well-known/openid-configuration`,
  }));
}

export function jwks(ctx: Context): Promise<ScenarioResult> {
  const { linkid, bare, hello } = ctx.servers;
  return fixedRequestScenario(ctx, 'jwks', 'JWKS', [linkid, bare, hello], async (server) => ({ url: `${server.url}/jwks` }));
}

const basic = (target: Target) =>
  `Basic ${Buffer.from(`${encodeURIComponent(target.client.id)}:${encodeURIComponent(target.client.secret)}`).toString('base64')}`;

export function introspection(ctx: Context): Promise<ScenarioResult> {
  const { linkid, bare, bareStore, bareSqlite } = ctx.servers;
  return fixedRequestScenario(ctx, 'introspection', 'introspection', [linkid, bare, bareStore, bareSqlite], async (server) => {
    const target = targetOf(ctx.servers, server);
    const tokens = await signIn(target, freshAddress('introspect'));
    return {
      url: `${server.url}/token/introspection`,
      method: 'POST',
      headers: { authorization: basic(target), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }).toString(),
    };
  });
}

/** K sign-ins with offline_access, each the start of a chain. */
async function chains(target: Target, count: number): Promise<string[]> {
  const tokens = await Promise.all(
    Array.from({ length: count }, () => signIn(target, freshAddress('refresh'), { scope: 'openid email offline_access', prompt: 'consent' })),
  );
  return tokens.map((token) => {
    if (!token.refresh_token) throw new Error(`${target.kind}: sign-in with offline_access returned no refresh token`);
    return token.refresh_token;
  });
}

async function runChains(target: Target, heads: string[], seconds: number) {
  return closedLoop(heads.length, { seconds }, async (chain) => {
    const reply = await refresh(target, heads[chain] as string);
    if (reply.status !== 200) throw new Error(`${target.kind} refresh grant: ${reply.status} ${reply.body.slice(0, 300)}`);
    const next = (JSON.parse(reply.body) as { refresh_token?: string }).refresh_token;
    if (!next) throw new Error(`${target.kind} refresh grant returned no rotated refresh token`);
    heads[chain] = next;
  });
}

export async function refreshGrant(ctx: Context): Promise<ScenarioResult> {
  const { settings } = ctx;
  const { linkid, bare, bareStore, bareSqlite } = ctx.servers;
  const figures: Figure[] = [];
  for (let repeat = 0; repeat < settings.repeats; repeat += 1) {
    for (const server of rotated([linkid, bare, bareStore, bareSqlite], repeat)) {
      const target = targetOf(ctx.servers, server);
      const heads = await chains(target, settings.refreshChains);
      await runChains(target, heads, settings.warmupSeconds);
      const figure = await measured(server, repeat, () => runChains(target, heads, settings.seconds));
      ctx.log(`  refresh ${server.name} #${repeat + 1}: ${figure.opsPerSecond.toFixed(0)} grants/s, other CPU ${figure.otherCores.toFixed(2)}`);
      figures.push(figure);
    }
  }
  return {
    name: 'refresh',
    title: 'refresh grant (rotation)',
    op: 'grant',
    note: `${settings.refreshChains} concurrent rotation chains, ${settings.seconds} s per run; RS256 ID token in every answer`,
    figures,
  };
}
