// The admin console at /admin: what linkid-admin does, as pages, for the addresses in ADMIN_EMAILS
// signed in by the usual magic link (src/http/admin-access.ts). One navigation for five sections,
// each in its own file (apps, with the initial access tokens of dynamic registration as a page of
// their own; users, activity, mail, about), sharing admin-console-kit.ts. Every change calls the
// same src/admin/* operation the CLI calls, with the admin as the actor of its audit event.
import type { Router } from '@koa/router';
import { ADMIN_CALLBACK_PATH } from '../../oidc/account-client.js';
import { ReasonError } from '../errors.js';
import type { LinkidState } from '../state.js';
import { adminAboutRoutes } from './admin-console-about.js';
import { adminActivityRoutes } from './admin-console-activity.js';
import { adminAppRoutes } from './admin-console-apps.js';
import { createConsoleKit, type AdminConsoleDeps } from './admin-console-kit.js';
import { adminMailRoutes } from './admin-console-mail.js';
import { adminRegistrationTokenRoutes } from './admin-console-registration-tokens.js';
import { adminUserRoutes } from './admin-console-users.js';

export function adminConsoleRoutes(router: Router<LinkidState>, deps: AdminConsoleDeps): void {
  const kit = createConsoleKit(deps);

  router.get('/admin', async (ctx) => {
    if (!(await kit.signedIn(ctx, '/admin'))) return;
    ctx.status = 303;
    ctx.redirect('/admin/apps');
  });
  router.get(ADMIN_CALLBACK_PATH, async (ctx) => {
    if (typeof ctx.query.error === 'string') throw new ReasonError('sign_in_unfinished', { link: { url: '/admin', label: 'account.tryAgain' } });
    await deps.access.callback(ctx);
  });
  adminAppRoutes(router, kit);
  adminRegistrationTokenRoutes(router, kit);
  adminUserRoutes(router, kit);
  adminActivityRoutes(router, kit);
  adminMailRoutes(router, kit);
  adminAboutRoutes(router, kit);
}
