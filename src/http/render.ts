// Renders a page from views/ inside the layout, with the CSP nonce and request id.
import type { Context } from 'koa';
import type { PageDeps } from './context.js';

export function renderPage(ctx: Context, deps: PageDeps, view: string, data: Record<string, unknown>): void {
  ctx.type = 'html';
  ctx.body = deps.templates.html(view, {
    ...data,
    nonce: ctx.state.nonce,
    requestId: ctx.state.requestId,
    productName: deps.productName,
  });
}
