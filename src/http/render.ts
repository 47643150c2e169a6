// Renders a page from views/ inside the layout, with the CSP nonce, the request id and the words
// of the reader's language. oidc-provider's own pages get the same renderer handed in (src/oidc
// never imports src/http).
import type { Context } from 'koa';
import type { Translate } from '../i18n/catalog.js';
import { fromAcceptLanguage } from '../i18n/negotiate.js';
import type { Locale } from '../kernel/locales.js';
import type { PageDeps } from '../i18n/pages.js';
import { pageNonce } from './security-headers.js';
import type { LinkidState } from './state.js';

export type PageRenderer = (ctx: Context, view: string, data: Record<string, unknown>) => void;

/**
 * A moment as a page shows it: `text` in UTC, saying so ("… UTC"), which a page's script
 * (views/local-times.eta) rewrites in the reader's own time zone where JavaScript runs.
 */
export interface PageTime {
  readonly iso: string;
  readonly text: string;
}

/** A value of tHtml: text and numbers are escaped; a PageTime becomes a <time> element. */
type HtmlValue = string | number | PageTime;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string | number) => (typeof value === 'number' ? value : value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char));
const htmlOf = (value: HtmlValue) =>
  typeof value === 'object' ? `<time datetime="${escapeHtml(value.iso)}" data-local>${escapeHtml(value.text)}</time>` : escapeHtml(value);

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

/** `epochMs` as this response's pages show a moment: UTC, in the reader's language, in a <time> (see PageTime). */
export function pageTime(ctx: Context, deps: Pick<PageDeps, 'catalog' | 'defaultLocale'>, epochMs: number): PageTime {
  return { iso: new Date(epochMs).toISOString(), text: deps.catalog.formatDateTime(pageLocale(ctx, deps), epochMs) };
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
    // For the few messages that hold markup of their own (a <strong> address, a link) or a time:
    // the message comes from our locale file, the values are escaped (a PageTime becomes a
    // <time> element); print it with <%~.
    tHtml: (key: string, values: Readonly<Record<string, HtmlValue>> = {}) =>
      t(key, Object.fromEntries(Object.entries(values).map(([name, value]) => [name, htmlOf(value)]))),
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
