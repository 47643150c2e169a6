// The locale files are the only source of words: every shipped language must say everything
// English says (no key missing, none extra, none empty), with the same placeholders and the same
// markup, plural forms its language has, and every key the code and the views ask for must exist.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalog, loadMessages, placeholdersOf, type Message } from '../../src/i18n/catalog.js';
import { LOCALES } from '../../src/kernel/locales.js';
import { REASONS } from '../../src/kernel/reasons.js';
import { VIEWS_DIR } from '../../src/i18n/templates.js';

const english = loadMessages('en');
const texts = (message: Message): string[] => (typeof message === 'string' ? [message] : Object.values(message));
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
const placeholders = (message: Message) => sorted(texts(message).flatMap(placeholdersOf));
const tags = (message: Message) => sorted(texts(message).flatMap((text) => [...text.matchAll(/<\/?[a-z]+/g)].map((match) => match[0])));

describe.each(LOCALES)('views/locales/%s.json', (locale) => {
  const messages = loadMessages(locale);

  it('has exactly the keys of en.json, none empty', () => {
    expect(Object.keys(messages).sort()).toEqual(Object.keys(english).sort());
    for (const [key, message] of Object.entries(messages)) {
      for (const text of texts(message)) expect(text.trim(), key).not.toBe('');
    }
  });

  it('has the same placeholders and markup as English in every message, and plural forms where English has them', () => {
    for (const [key, message] of Object.entries(english)) {
      const translated = messages[key];
      if (translated === undefined) continue;
      expect(typeof translated, key).toBe(typeof message);
      expect(placeholders(translated), key).toEqual(placeholders(message));
      expect(tags(translated), key).toEqual(tags(message));
    }
  });

  it("gives plural messages an 'other' form and only forms the language has", () => {
    const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
    for (const [key, message] of Object.entries(messages)) {
      if (typeof message === 'string') continue;
      expect(message.other, key).toBeDefined();
      for (const form of Object.keys(message)) expect(categories, `${key}.${form}`).toContain(form);
      for (const text of Object.values(message)) expect(text, key).toContain('{count}');
    }
  });
});

/** Every file under `dir` whose name ends with `suffix`. */
const filesUnder = (dir: string, suffix: string): string[] =>
  fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix))
    .map((name) => path.join(dir, name));

describe('keys the code and the views ask for', () => {
  it('every reason code has a title, what happened and a safe next step', () => {
    for (const reason of Object.keys(REASONS)) {
      for (const part of ['title', 'message', 'next']) expect(english[`reason.${reason}.${part}`], `reason.${reason}.${part}`).toBeTruthy();
    }
  });

  it('every key named literally in views/ and src/ is in en.json', () => {
    const sources = [...filesUnder(VIEWS_DIR, '.eta'), ...filesUnder(path.join(VIEWS_DIR, '../src'), '.ts')];
    const used = new Set<string>();
    for (const file of sources) {
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\b(?:t|tHtml)\(\s*'([a-zA-Z_]+\.[\w.]*\w)'/g)) used.add(match[1]!);
      for (const match of text.matchAll(/\blabel: '([a-zA-Z_]+\.[\w.]*\w)'/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((key) => !(key in english))).toEqual([]);
  });

  it('a key that does not exist throws instead of showing a blank or the key', () => {
    const t = createCatalog().translator('en');
    expect(() => t('no.such.key')).toThrow(/no message "no.such.key"/);
    expect(() => t('emailForm.heading')).toThrow(/no value for \{app\}/);
    expect(t('emailForm.heading', { app: '<Notes>' })).toBe('Sign in to <Notes>');
    expect(t('error.waitSeconds', { count: 1 })).toBe('Wait 1 second and try again.');
    expect(t('error.waitSeconds', { count: 30 })).toBe('Wait 30 seconds and try again.');
  });
});
