// `npm run admin -- client create|list|delete|rotate-secret`: manages clients in the same store
// the server uses (safe while it runs). Results are one JSON document on stdout; errors are one
// line on stderr and a non-zero exit.
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig } from '../config/env.js';
import { createProvider } from '../oidc/provider.js';
import { loadOrCreateSecrets } from '../secrets/key-files.js';
import { openStore } from '../store/open-store.js';
import { createTemplates } from '../templates.js';
import { AdminError, createClientAdmin, type ClientAdmin } from './clients.js';

const USAGE = `usage:
  admin client create --name NAME --redirect-uri URI [--redirect-uri URI2] [--post-logout-redirect-uri URI] [--public] [--first-party]
  admin client list
  admin client delete CLIENT_ID
  admin client rotate-secret CLIENT_ID`;

class UsageError extends Error {}

async function run(admin: ClientAdmin, argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [resource, command, id, ...extra] = positionals;
  if (values.help) throw new UsageError('');
  if (resource !== 'client') throw new UsageError(resource ? `unknown resource: ${resource}` : 'missing command');
  if (extra.length > 0) throw new UsageError(`unexpected argument: ${extra[0]}`);
  const needsId = () => {
    if (!id) throw new UsageError(`client ${command} needs a CLIENT_ID`);
    return id;
  };
  switch (command) {
    case 'create':
      if (id) throw new UsageError(`unexpected argument: ${id}`);
      return admin.create({
        name: values.name ?? '',
        redirectUris: values['redirect-uri'] ?? [],
        postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
        isPublic: values.public ?? false,
        firstParty: values['first-party'] ?? false,
      });
    case 'list':
      return admin.list();
    case 'delete':
      return admin.delete(needsId());
    case 'rotate-secret':
      return admin.rotateSecret(needsId());
    default:
      throw new UsageError(command ? `unknown command: client ${command}` : 'missing command');
  }
}

async function main(): Promise<number> {
  const config = loadConfig();
  const secrets = await loadOrCreateSecrets(config);
  const store = await openStore(config);
  const provider = createProvider({
    config,
    store,
    clock: systemClock,
    secrets,
    pages: { templates: createTemplates(), productName: config.productName },
  });
  const admin = createClientAdmin({
    store,
    clock: systemClock,
    serverSecret: secrets.serverSecret,
    validateMetadata: (metadata) => provider.Client.validate(metadata as never),
  });
  try {
    const result = await run(admin, process.argv.slice(2));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message ? `error: ${error.message}\n` : ''}${USAGE}\n`);
      process.exit(2);
    }
    const known = error instanceof AdminError || error instanceof ConfigError || (error as Error).name === 'StoreConnectionError' || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`error: ${known ? (error as Error).message : `admin command failed: ${(error as Error).message}`}\n`);
    process.exit(error instanceof AdminError && error.code === 'not_found' ? 1 : 2);
  },
);
