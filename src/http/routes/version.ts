// GET /version: what is running, as JSON (src/observability/versions.ts). It names no secret and
// no address, and answers whoever asks, like the footer that shows the app version on every page.
import type { Router } from '@koa/router';
import type { Versions } from '../../observability/versions.js';
import type { LinkidState } from '../state.js';

export function versionRoute(router: Router<LinkidState>, versions: Versions): void {
  router.get('/version', (ctx) => {
    ctx.body = versions;
  });
}
