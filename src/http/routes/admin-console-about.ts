// The console's About: what is running (the versions /version answers) and the configuration in
// force, every variable of the schema (src/config/env.ts) by its documented section: the value
// given or its documented default, with its secret part masked by the variable's own `secret`
// rule (Config.inForce holds nothing else), or what leaving it unset means; and the signing keys
// (src/admin/keys.ts), read-only: rotating and retiring stay with `linkid-admin keys`. Each part is
// a section of its own.
import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { AdminError } from '../../admin/admin-error.js';
import { CONFIG_SECTIONS, CONFIG_VARIABLES, type SectionName } from '../../config/env.js';
import type { LinkidState } from '../state.js';
import type { ConsoleKit } from './admin-console-kit.js';

/** The configuration as the page lists it: sections in documented order, variables in declaration order. */
export function configurationInForce(inForce: Readonly<Record<string, string | undefined>>) {
  const variables = Object.entries(CONFIG_VARIABLES);
  return (Object.entries(CONFIG_SECTIONS) as [SectionName, { title: string }][])
    .map(([section, { title }]) => ({
      title,
      variables: variables
        .filter(([, doc]) => doc.section === section)
        .map(([name, doc]) => {
          const value = inForce[name];
          return {
            name,
            value,
            secret: doc.secret !== undefined && value !== undefined,
            // Unset: what that means, as the documentation writes it (Markdown code marks left out).
            fallback: value === undefined ? doc.defaultText?.replaceAll('`', '') : undefined,
          };
        }),
    }))
    .filter((section) => section.variables.length > 0);
}

/**
 * The signing keys as the page lists them, or `managedOutside` when SIGNING_KEYS gives them (linkid
 * cannot list them), or `unreadable` when the ring on disk cannot be read (the server goes on with
 * the keys it had, src/oidc/signing-keys.ts, and logs why): the rest of the page still answers.
 */
function signingKeys(ctx: Context, kit: ConsoleKit) {
  let keys;
  try {
    keys = kit.admin.keys.list().keys;
  } catch (error) {
    if (error instanceof AdminError && error.code === 'invalid_argument') return { managedOutside: true, keys: [] };
    return { managedOutside: false, unreadable: true, keys: [] };
  }
  const at = (iso: string | null) => (iso === null ? undefined : kit.when(ctx, Date.parse(iso)));
  return {
    managedOutside: false,
    keys: keys.map((key) => ({
      kid: key.kid,
      alg: key.alg,
      state: key.state,
      created: at(key.created),
      signsFrom: at(key.signs_from),
      retiresAt: at(key.retires_at),
      unpublishedAt: at(key.unpublished_at),
    })),
  };
}

export function adminAboutRoutes(router: Router<LinkidState>, kit: ConsoleKit): void {
  router.get('/admin/about', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/about');
    if (!signedIn) return;
    kit.render(ctx, 'admin/about', 'about', signedIn.visit, {
      versions: kit.versions,
      storeKind: kit.store.kind,
      configuration: configurationInForce(kit.config.inForce),
      signingKeys: signingKeys(ctx, kit),
    });
  });
}
