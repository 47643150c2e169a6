// Renders a page from views/ inside the layout, with the CSP nonce and request id. oidc-provider's
// own pages get the same renderer handed in (src/oidc never imports src/http).
import type { Context } from 'koa';
import type { Templates } from '../templates.js';
import type { LinkidState } from './state.js';

export interface PageDeps {
  readonly templates: Templates;
  readonly productName: string;
  /** The app version, shown in every page's footer next to the request id. */
  readonly version?: string;
}

export type PageRenderer = (ctx: Context, view: string, data: Record<string, unknown>) => void;

export function renderPage(ctx: Context, deps: PageDeps, view: string, data: Record<string, unknown>): void {
  ctx.type = 'html';
  const state = ctx.state as Partial<LinkidState>;
  ctx.body = deps.templates.html(view, {
    ...data,
    nonce: state.nonce,
    requestId: state.requestId,
    productName: deps.productName,
    appVersion: deps.version,
    brand: state.brand,
  });
}

export const pageRenderer =
  (deps: PageDeps): PageRenderer =>
  (ctx, view, data) =>
    renderPage(ctx, deps, view, data);
