// The languages linkid ships, each a views/locales/<locale>.json. Here, at the bottom, because the
// configuration, the sign-in, the emails and the pages all name a language; how a request picks
// one is src/i18n/negotiate.ts.
export const LOCALES = ['en', 'de', 'fr', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

export const isLocale = (value: unknown): value is Locale => typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
