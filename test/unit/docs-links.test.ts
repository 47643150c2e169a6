// Every relative link between README.md, CONTRIBUTING.md and docs/*.md names a file that exists,
// and every #anchor names a heading of its target as GitHub slugs it. A section moved from one
// file to another breaks the links to it; this test says which. Web and mail links are not
// followed, and nothing inside a fenced code block is a link. README's map links every docs/ file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** The lines of a Markdown text outside fenced code blocks (``` or ~~~), each with its number. */
function proseLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, index) => {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) fence = marker;
    else if (fence !== undefined && marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker)
      fence = undefined;
    else if (fence === undefined) out.push({ line, number: index + 1 });
  });
  return out;
}

/**
 * The anchors GitHub gives a file's headings: the text (a link's text only, no markup) lower-cased,
 * every character but letters, digits, `_`, `-` and spaces dropped, spaces made hyphens; a slug met
 * again gets -1, -2, ...
 */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of proseLines(text)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    out.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return out;
}

/** Every broken relative link in `files` (paths relative to `dir`), one line each: file:line, link, why. */
function brokenLinks(dir: string, files: string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const { line, number } of proseLines(text)) {
      // Inline code is not a link, but a link's text may be code: drop only the code's content.
      const prose = line.replace(/`[^`]*`/g, '``');
      for (const [, target] of prose.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        if (/^(https?|mailto):/i.test(target!)) continue;
        const [filePart, anchor] = target!.split('#', 2) as [string, string | undefined];
        const targetFile = filePart === '' ? file : path.join(path.dirname(file), decodeURIComponent(filePart));
        const where = `${file}:${number}: (${target})`;
        if (!fs.existsSync(path.join(dir, targetFile))) problems.push(`${where} names no file ${targetFile}`);
        else if (anchor !== undefined && targetFile.endsWith('.md') && !anchors(fs.readFileSync(path.join(dir, targetFile), 'utf8')).has(anchor))
          problems.push(`${where} names no heading of ${targetFile}`);
      }
    }
  }
  return problems;
}

const docs = () =>
  ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(path.join(root, 'docs')).map((name) => `docs/${name}`)].filter(
    (file) => file.endsWith('.md') && fs.existsSync(path.join(root, file)),
  );

describe('links between the docs', () => {
  it('name files that exist and headings those files have', () => {
    expect(docs().length).toBeGreaterThan(1);
    expect(brokenLinks(root, docs())).toEqual([]);
  });

  it('are one step from README: its map of the docs links every file in docs/', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const listed = new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+\.md)(?:#[^)\s]*)?\)/g)].map(([, file]) => file));
    expect(docs().filter((file) => file.startsWith('docs/') && !listed.has(file))).toEqual([]);
  });

  it('reports a missing file, a missing heading and a missing heading of the same file, and nothing in code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkid-docs-links-'));
    try {
      fs.mkdirSync(path.join(dir, 'docs'));
      fs.writeFileSync(
        path.join(dir, 'README.md'),
        [
          '# Title',
          '## What is in `DATA_DIR`',
          '## Run a cluster',
          '## Run a cluster',
          'Fine: [a](docs/a.md), [b](docs/a.md#where-the-time-goes-profiles), [c](#what-is-in-data_dir), [d](#run-a-cluster-1),',
          '[`code` text](docs/a.md#a), [web](https://example.com/x.md#nowhere), [mail](mailto:a@example.com), `[not](a/link.md)`.',
          'Broken: [e](docs/gone.md) and [f](docs/a.md#nowhere) and [g](#run-a-cluster-2).',
          '```md',
          '[in code](docs/gone.md)',
          '```',
        ].join('\n'),
      );
      fs.writeFileSync(path.join(dir, 'docs/a.md'), '# A\n\n## Where the time goes (profiles)\n\nBack to [the top](../README.md#title).\n');
      expect(brokenLinks(dir, ['README.md', 'docs/a.md'])).toEqual([
        'README.md:7: (docs/gone.md) names no file docs/gone.md',
        'README.md:7: (docs/a.md#nowhere) names no heading of docs/a.md',
        'README.md:7: (#run-a-cluster-2) names no heading of README.md',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
