// The console's About: what is running (the versions /version answers) and the configuration in
// force, every variable of the schema (src/config/env.ts) by its documented section: the value
// given or its documented default, with its secret part masked by the variable's own `secret`
// rule (Config.inForce holds nothing else), or what leaving it unset means. Each part is a section of its own, so more (the
// signing keys) can be added as another.
import type { Router } from '@koa/router';
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

export function adminAboutRoutes(router: Router<LinkidState>, kit: ConsoleKit): void {
  router.get('/admin/about', async (ctx) => {
    const signedIn = await kit.signedIn(ctx, '/admin/about');
    if (!signedIn) return;
    kit.render(ctx, 'admin/about', 'about', signedIn.visit, {
      versions: kit.versions,
      storeKind: kit.store.kind,
      configuration: configurationInForce(kit.config.inForce),
    });
  });
}
