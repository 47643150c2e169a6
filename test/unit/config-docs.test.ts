// The configuration is described once, in src/config/env.ts; docs/configuration.md's table and
// config/linkid.env.example are generated from it. These tests fail when a copy has drifted
// (fix: `npm run docs:config`) or when a variable's documentation is missing or untrue.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTableIn, renderConfigTable, renderEnvExample, withConfigTable } from '../../src/config/env-docs.js';
import { CONFIG_SECTIONS, CONFIG_VARIABLE_NAMES, CONFIG_VARIABLES, loadConfig } from '../../src/config/env.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const RUN = 'out of date: run `npm run docs:config` and commit the result';

/** NAME=value lines of an env file, as the environment would hold them. */
function envFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('configuration documentation', () => {
  it('documents every variable the schema reads, each in a known section with a one-line meaning', () => {
    expect(CONFIG_VARIABLE_NAMES.length).toBeGreaterThan(30);
    expect([...CONFIG_VARIABLE_NAMES].sort()).toEqual(Object.keys(CONFIG_VARIABLES).sort());
    for (const name of CONFIG_VARIABLE_NAMES) {
      const doc = CONFIG_VARIABLES[name as keyof typeof CONFIG_VARIABLES];
      expect(Object.keys(CONFIG_SECTIONS), name).toContain(doc.section);
      expect(doc.meaning.trim(), name).not.toBe('');
      expect(doc.meaning, name).not.toMatch(/\n/);
      expect(doc.meaning, `${name}: a table cell has no final full stop`).not.toMatch(/\.$/);
    }
  });

  it('shows defaults that are the real ones: setting a documented default changes nothing', () => {
    const defaults = loadConfig({});
    const documented = Object.entries(CONFIG_VARIABLES).filter(([, doc]) => doc.default !== undefined);
    expect(documented.length).toBeGreaterThan(20);
    for (const [name, doc] of documented) expect(loadConfig({ [name]: doc.default }), name).toEqual(defaults);
  });

  it('ships an example file that lists every variable once and, copied as is, means the defaults', () => {
    const example = read('config/linkid.env.example');
    const assignments = example.split('\n').filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line));
    expect(assignments.map((line) => line.split('=')[0]).sort()).toEqual([...CONFIG_VARIABLE_NAMES].sort());
    expect(loadConfig(envFile(example))).toEqual(loadConfig({}));
  });

  it("has docs/configuration.md's table as the schema renders it", () => {
    expect(configTableIn(read('docs/configuration.md')), `docs/configuration.md's table is ${RUN}`).toBe(renderConfigTable());
  });

  it('has config/linkid.env.example as the schema renders it', () => {
    expect(read('config/linkid.env.example'), `config/linkid.env.example is ${RUN}`).toBe(renderEnvExample());
  });

  it('puts a table row for every variable and the rate-limit syntax below the table, not inside it', () => {
    const lines = renderConfigTable().split('\n');
    const rows = lines.filter((line) => line.startsWith('| `'));
    expect(rows.map((row) => row.split('`')[1])).toEqual(
      Object.keys(CONFIG_SECTIONS).flatMap((section) =>
        Object.entries(CONFIG_VARIABLES)
          .filter(([, doc]) => doc.section === section)
          .map(([name]) => name),
      ),
    );
    const table = lines.filter((line) => line.startsWith('|'));
    const first = lines.indexOf(table[0]!);
    expect(lines.slice(first, first + table.length)).toEqual(table);
    expect(lines.findIndex((line) => line.startsWith('Rate limits are `POINTS/DURATION`'))).toBeGreaterThan(first + table.length);
  });

  it('rewrites only what lies between the markers, and refuses a file without them', () => {
    const doc = 'intro\n<!-- config:start -->\nold table\n<!-- config:end -->\noutro\n';
    expect(withConfigTable(doc, 'new table')).toBe('intro\n<!-- config:start -->\nnew table\n<!-- config:end -->\noutro\n');
    expect(() => withConfigTable('no markers here', 'x')).toThrow(/config:start/);
    expect(() => withConfigTable('<!-- config:end -->\n<!-- config:start -->', 'x')).toThrow(/config:start/);
  });
});
