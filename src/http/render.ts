// Renders a page from views/ inside the layout, with the CSP nonce, the request id and the words
// of the reader's language. oidc-provider's own pages get the same renderer handed in (src/oidc
// never imports src/http).
import type { Context } from 'koa';
import type { Translate, Values } from '../i18n/catalog.js';
import { fromAcceptLanguage } from '../i18n/negotiate.js';
import type { Locale } from '../kernel/locales.js';
import type { PageDeps } from '../i18n/pages.js';
import { pageNonce } from './security-headers.js';
import type { LinkidState } from './state.js';

export type PageRenderer = (ctx: Context, view: string, data: Record<string, unknown>) => void;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string | number) => (typeof value === 'number' ? value : value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char));

/**
 * The language of this response: the sign-in's, when a route has set it (the authorization's
 * ui_locales), else the browser's Accept-Language (and then the answer varies by it), else DEFAULT_LOCALE.
 */
export function pageLocale(ctx: Context, deps: Pick<PageDeps, 'defaultLocale'>): Locale {
  const state = ctx.state as Partial<LinkidState>;
  if (state.locale) return state.locale;
  ctx.vary('Accept-Language');
  return fromAcceptLanguage(ctx, deps.defaultLocale);
}

/** Words for this response (JSON answers and labels decided in code). */
export function pageTranslator(ctx: Context, deps: Pick<PageDeps, 'catalog' | 'defaultLocale'>): Translate {
  return deps.catalog.translator(pageLocale(ctx, deps));
}

export function renderPage(ctx: Context, deps: PageDeps, view: string, data: Record<string, unknown>): void {
  const locale = pageLocale(ctx, deps);
  const t = deps.catalog.translator(locale, { product: deps.productName });
  ctx.type = 'html';
  ctx.set('Content-Language', locale);
  const state = ctx.state as Partial<LinkidState>;
  ctx.body = deps.templates.html(view, {
    ...data,
    lang: locale,
    t,
    // For the few messages that hold markup of their own (a <strong> address, a link): the
    // message comes from our locale file, the values are escaped; print it with <%~.
    tHtml: (key: string, values: Values = {}) => t(key, Object.fromEntries(Object.entries(values).map(([name, value]) => [name, escapeHtml(value)]))),
    nonce: pageNonce(ctx),
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
