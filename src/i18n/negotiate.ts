// Which shipped language a person reads: the one the app asked for (OIDC `ui_locales`, a
// space-separated list in order of preference), else the browser's Accept-Language, else
// DEFAULT_LOCALE. A tag matches a shipped language by itself or by its primary subtag (de-AT: de).
import type { Context } from 'koa';
import { isLocale, LOCALES, type Locale } from '../kernel/locales.js';

/** The first tag of `tags` (BCP 47, case-insensitive) that names a shipped language. */
function firstShipped(tags: readonly string[]): Locale | undefined {
  for (const tag of tags) {
    const lower = tag.trim().toLowerCase();
    const primary = lower.split('-')[0];
    if (isLocale(lower)) return lower;
    if (isLocale(primary)) return primary;
  }
  return undefined;
}

/** The language an authorization request's `ui_locales` asks for, if it names a shipped one. */
export function fromUiLocales(uiLocales: unknown): Locale | undefined {
  return typeof uiLocales === 'string' ? firstShipped(uiLocales.slice(0, 256).split(/\s+/)) : undefined;
}

/** The browser's best shipped language by Accept-Language (q-values honoured), else `fallback`. */
export function fromAcceptLanguage(ctx: Context, fallback: Locale): Locale {
  if (!ctx.get('accept-language')) return fallback;
  // koa's acceptsLanguages (negotiator) matches de-AT to de; the fallback first answers `*`.
  const best = ctx.acceptsLanguages([fallback, ...LOCALES.filter((locale) => locale !== fallback)]);
  return isLocale(best) ? best : fallback;
}
