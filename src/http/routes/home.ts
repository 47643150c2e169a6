// GET /: the page someone finds at the address of the service itself, typed or followed from an
// email. It says what this is, in one sentence, and leads to the account page: "your account" for
// a browser signed in to linkid, "sign in to your account" otherwise (the account page asks for a
// link). Rules: it names no app and no account, not even the one signed in, so a page anyone can
// open tells nothing about who uses this service or with which apps.
import type { Router } from '@koa/router';
import type { PageDeps } from '../../i18n/pages.js';
import type { AccountAccess } from '../account-access.js';
import { renderPage } from '../render.js';
import type { LinkidState } from '../state.js';
import { ACCOUNT_ROUTES } from './account.js';

export interface HomeRouteDeps {
  readonly pages: PageDeps;
  readonly access: Pick<AccountAccess, 'current'>;
}

export function homeRoutes(router: Router<LinkidState>, deps: HomeRouteDeps): void {
  router.get('/', async (ctx) => {
    const signedIn = (await deps.access.current(ctx)) !== undefined;
    renderPage(ctx, deps.pages, 'home', { signedIn, accountUrl: ACCOUNT_ROUTES.page });
  });
}
