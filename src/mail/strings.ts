// Email wording lives in views/locales/<lang>.json, so a translation is a file, not a code change.
// Placeholders are {name}; values are filled in before the template escapes them.
import fs from 'node:fs';
import path from 'node:path';
import { VIEWS_DIR } from '../templates.js';

export type Strings = Record<string, string>;

export function loadStrings(language = 'en', viewsDir = VIEWS_DIR): Strings {
  return JSON.parse(fs.readFileSync(path.join(viewsDir, 'locales', `${language}.json`), 'utf8')) as Strings;
}

export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
