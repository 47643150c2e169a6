// Every word a person reads, on pages and in emails, from views/locales/<locale>.json, so a
// translation is a file, not a code change. Keys are flat ("confirm.heading"); a value is a
// string, or an object of plural forms ("one", "other", ...) chosen by the `count` value. {name}
// placeholders are filled with the values given; a missing key or value throws, so a page never
// shows a blank or a raw key (the locale tests render every page in every language).
import fs from 'node:fs';
import path from 'node:path';
import { VIEWS_DIR } from './templates.js';
import { LOCALES, type Locale } from '../kernel/locales.js';

export type PluralForms = Readonly<Partial<Record<Intl.LDMLPluralRule, string>>>;
export type Message = string | PluralForms;
export type Messages = Readonly<Record<string, Message>>;
export type Values = Readonly<Record<string, string | number>>;

/** Plain text: the template escapes it (values are filled in before escaping). */
export type Translate = (key: string, values?: Values) => string;

export interface Catalog {
  /** Translates in `locale`, with `defaults` filling placeholders the call does not. */
  translator(locale: Locale, defaults?: Values): Translate;
  /** A moment as a date and time with the zone (UTC), written as `locale` writes them. */
  formatDateTime(locale: Locale, epochMs: number): string;
}

export function loadMessages(locale: string, viewsDir = VIEWS_DIR): Messages {
  return JSON.parse(fs.readFileSync(path.join(viewsDir, 'locales', `${locale}.json`), 'utf8')) as Messages;
}

/** The {name} placeholders of a text, in order. */
export const placeholdersOf = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? '');

export function fill(text: string, values: Values): string {
  return text.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for {${name}} in "${text}"`);
    return String(value);
  });
}

export function createCatalog(viewsDir = VIEWS_DIR): Catalog {
  const messages = new Map(LOCALES.map((locale) => [locale, loadMessages(locale, viewsDir)]));
  const plurals = new Map(LOCALES.map((locale) => [locale, new Intl.PluralRules(locale)]));
  const dates = new Map(LOCALES.map((locale) => [locale, new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' })]));
  return {
    translator(locale, defaults = {}) {
      const table = messages.get(locale) ?? {};
      return (key, values = {}) => {
        const message = table[key];
        if (message === undefined) throw new Error(`no message "${key}" in views/locales/${locale}.json`);
        const all = { ...defaults, ...values };
        if (typeof message === 'string') return fill(message, all);
        const count = all.count;
        if (typeof count !== 'number') throw new Error(`"${key}" has plural forms and needs a number {count}`);
        const form = message[plurals.get(locale)?.select(count) ?? 'other'] ?? message.other;
        if (form === undefined) throw new Error(`"${key}" in ${locale} has no "other" form`);
        return fill(form, all);
      };
    },
    formatDateTime: (locale, epochMs) => `${dates.get(locale)?.format(epochMs) ?? new Date(epochMs).toISOString()} UTC`,
  };
}
