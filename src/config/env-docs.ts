// Renders the configuration documentation from the documented schema in env.ts: the table in
// docs/configuration.md and config/linkid.env.example. Pure functions, so the unit test can compare
// the committed files with what they should be; `npm run docs:config` (write-env-docs.ts) writes them.
import { CONFIG_SECTIONS, CONFIG_VARIABLES, type SectionName, type VariableDoc } from './env.js';

/** docs/configuration.md's table lives between these two lines; the rest of that file is written by hand. */
export const TABLE_START = '<!-- config:start -->';
export const TABLE_END = '<!-- config:end -->';

const WIDTH = 100;
const SOURCE_NOTE = 'Generated from src/config/env.ts by `npm run docs:config`: change the descriptions there.';

type Entry = readonly [name: string, doc: VariableDoc];

/** Variables grouped by section, sections in their documented order, variables in declaration order. */
function sections(): Array<{ readonly name: SectionName; readonly entries: Entry[] }> {
  const all = Object.entries(CONFIG_VARIABLES) as Entry[];
  return (Object.keys(CONFIG_SECTIONS) as SectionName[])
    .map((name) => ({ name, entries: all.filter(([, doc]) => doc.section === name) }))
    .filter((section) => section.entries.length > 0);
}

/** Greedy word wrap; a word longer than the line stays whole. */
function wrap(text: string, width: number, prefix = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(prefix + line);
  return lines;
}

/** The example file is read in a terminal: no Markdown code marks. */
const plain = (markdown: string): string => markdown.replaceAll('`', '');

/** A table cell as a comment sentence; a cell opening with code (`fatal`, `user:password`) keeps its case. */
const sentence = (markdown: string): string => {
  const text = markdown.startsWith('`') ? plain(markdown) : plain(markdown.charAt(0).toUpperCase() + markdown.slice(1));
  return /[.!?]$/.test(text) ? text : `${text}.`;
};

const cell = (markdown: string): string => markdown.replaceAll('|', '\\|');

function defaultCell(doc: VariableDoc): string {
  const shown = [doc.default === undefined ? undefined : `\`${doc.default}\``, doc.defaultText].filter(Boolean).join(' ');
  return shown || 'unset';
}

/** The lines between the markers: the table, then the sections' notes as paragraphs below it. */
export function renderConfigTable(): string {
  const rows = sections().flatMap(({ entries }) => entries.map(([name, doc]) => `| \`${name}\` | ${cell(defaultCell(doc))} | ${cell(doc.meaning)} |`));
  const notes = sections().flatMap(({ name }) => {
    const note = CONFIG_SECTIONS[name].note;
    return note ? ['', ...wrap(note, WIDTH)] : [];
  });
  // Blank lines around the table keep the markers out of it, whatever the Markdown renderer.
  return [`<!-- ${SOURCE_NOTE} -->`, '', '| variable | default | meaning |', '| --- | --- | --- |', ...rows, ...notes, ''].join('\n');
}

function exampleVariable([name, doc]: Entry): string[] {
  return [
    ...wrap(sentence(doc.meaning), WIDTH, '# '),
    ...(doc.defaultText ? wrap(`Default: ${plain(defaultCell(doc))}`, WIDTH, '# ') : []),
    ...(doc.example ? [`# Example: ${doc.example}`] : []),
    `${name}=${doc.default ?? ''}`,
  ];
}

/** The whole of config/linkid.env.example. */
export function renderEnvExample(): string {
  const header = wrap(
    "Every setting linkid reads, with its default. Copy to .env (or your orchestrator's secret store) " +
      `and change what you need. Unset or empty means the default. ${SOURCE_NOTE}`,
    WIDTH,
    '# ',
  );
  const body = sections().flatMap(({ name, entries }) => {
    const note = CONFIG_SECTIONS[name].note;
    return [
      '',
      `# --- ${CONFIG_SECTIONS[name].title} ---`,
      ...(note ? wrap(plain(note), WIDTH, '# ') : []),
      ...entries.flatMap((entry) => ['', ...exampleVariable(entry)]),
    ];
  });
  return `${[...header, ...body].join('\n')}\n`;
}

function markerLines(doc: string): { start: number; end: number; lines: string[] } {
  const lines = doc.split('\n');
  const start = lines.indexOf(TABLE_START);
  const end = lines.indexOf(TABLE_END);
  const once = (marker: string) => lines.filter((line) => line === marker).length === 1;
  if (!once(TABLE_START) || !once(TABLE_END) || end < start) {
    throw new Error(`docs/configuration.md must hold ${TABLE_START} and then ${TABLE_END}, each once on a line of its own`);
  }
  return { start, end, lines };
}

/** What docs/configuration.md holds between its markers now. */
export function configTableIn(doc: string): string {
  const { start, end, lines } = markerLines(doc);
  return lines.slice(start + 1, end).join('\n');
}

/** docs/configuration.md with the text between its markers replaced by `table`; everything else unchanged. */
export function withConfigTable(doc: string, table: string): string {
  const { start, end, lines } = markerLines(doc);
  return [...lines.slice(0, start + 1), table, ...lines.slice(end)].join('\n');
}
