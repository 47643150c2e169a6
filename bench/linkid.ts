// Starts linkid as it ships (`node dist/main.js` from the built tree) on a fresh DATA_DIR with the
// embedded SQLite store and outbox mail, and registers clients through its own admin CLI against
// the same DATA_DIR. Rate limits are raised so the load is measured rather than refused; every
// limit is still counted, so its cost stays in the figures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, runNode, startServer, type Server } from './processes.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');

const RAISED_LIMIT = '1000000/1s';
const RATE_LIMITS = [
  'RATE_LIMIT_SEND_PER_EMAIL',
  'RATE_LIMIT_SEND_PER_IP',
  'RATE_LIMIT_SEND_PER_IP_EMAIL',
  'RATE_LIMIT_SEND_PER_BROWSER',
  'RATE_LIMIT_VERIFY_PER_IP',
  'RATE_LIMIT_VERIFY_PER_TOKEN',
  'RATE_LIMIT_CODE_PER_IP',
  'RATE_LIMIT_CODE_FAILURES_PER_EMAIL',
];

export interface Client {
  readonly id: string;
  readonly secret: string;
  readonly redirectUri: string;
}

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** The same client as bare oidc-provider's static configuration, so both servers serve one registration. */
export const bareClientOf = (client: Client) => ({
  client_id: client.id,
  client_secret: client.secret,
  redirect_uris: [client.redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  require_auth_time: true,
});

export interface Linkid extends Server {
  readonly dataDir: string;
  readonly env: Record<string, string>;
  readonly signingKeysFile: string;
  createClient(name: string): Client;
}

export async function startLinkid(options: {
  name: string;
  cpus: string | undefined;
  logDir: string;
  env?: Record<string, string>;
  /** Options for node before linkid's script (the step breakdown's --import). */
  nodeOptions?: readonly string[];
}): Promise<Linkid> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `linkid-bench-${options.name}-`));
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    ISSUER: url,
    DATA_DIR: dataDir,
    ...Object.fromEntries(RATE_LIMITS.map((name) => [name, RAISED_LIMIT])),
    ...options.env,
  };
  const server = await startServer({
    name: options.name,
    args: [...(options.nodeOptions ?? []), path.join(ROOT, 'dist/main.js')],
    env,
    cpus: options.cpus,
    url,
    readyUrl: `${url}/healthz`,
    logDir: options.logDir,
  });
  return {
    ...server,
    dataDir,
    env,
    signingKeysFile: path.join(dataDir, 'keys', 'signing-keys.json'),
    createClient(name) {
      const out = runNode([path.join(ROOT, 'dist/cli/linkid-admin.js'), 'client', 'create', '--name', name, '--redirect-uri', REDIRECT_URI], env);
      const client = JSON.parse(out) as { client_id: string; client_secret: string };
      return { id: client.client_id, secret: client.client_secret, redirectUri: REDIRECT_URI };
    },
    async stop(kill) {
      await server.stop(kill);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
