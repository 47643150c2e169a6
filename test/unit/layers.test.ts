// The layer order of src/ (eslint.config.js LAYERS, explained in docs/architecture.md) holds in two
// independent ways: the lint rule that states it fires on a planted violation, upward or sideways,
// and lets a downward import through; and the folder-level import graph, read here from the
// sources with TypeScript's own pre-processor, has no two entries of src/ importing each other
// and no import against the order.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../../eslint.config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const src = path.join(root, 'src');
const RULE = 'import-x/no-restricted-paths';

/** The layer index of each entry of src/ (a folder, or a file at the top). */
const layerOf = new Map<string, number>(LAYERS.flatMap((layer, index) => layer.map((entry): [string, number] => [entry, index])));

/** Lints `code` as if it were the file `file` (relative to src/), with the project's own config, without type information. */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    // The planted file does not exist, so the type-aware rules (which need it in the TypeScript
    // project) are switched off; the layer rule needs only the import's resolved path.
    overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked, languageOptions: { parserOptions: { projectService: false } } }],
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(src, file) });
  return (result?.messages ?? []).filter((message) => message.ruleId === RULE).map((message) => message.message);
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The entry of src/ a path belongs to: its top folder, or the file itself at the top. */
const entryOf = (file: string): string => path.relative(src, file).split(path.sep)[0] ?? '';

/** Every import between two different entries of src/, as "from -> to". */
function entryImports(): Set<string> {
  const edges = new Set<string>();
  for (const file of sourceFiles(src)) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), fileName).replace(/\.js$/, '.ts');
      const [from, to] = [entryOf(file), entryOf(target)];
      if (from !== to) edges.add(`${from} -> ${to}`);
    }
  }
  return edges;
}

describe('the layer order of src/', () => {
  it('places every folder and top-level file of src/ in exactly one layer', () => {
    const entries = fs.readdirSync(src).filter((name) => !name.endsWith('.d.ts'));
    expect(entries.filter((entry) => !layerOf.has(entry))).toEqual([]);
    expect(LAYERS.flat().length).toBe(layerOf.size);
  });

  it('fails lint on an upward import planted in the kernel', async () => {
    const errors = await layerErrors('kernel/planted.ts', "import type { Store } from '../store/port.js';\nexport type Planted = Store;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('src/kernel may import only from the layers below its own');
  });

  it('fails lint on an import between two folders of one layer (login and mail)', async () => {
    const errors = await layerErrors(
      'login/steps/planted.ts',
      "import type { SendQueue } from '../../mail/send-queue.js';\nexport type Planted = SendQueue;\n",
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('src/login may import only from the layers below its own');
  });

  it('fails lint when a concern reaches up into an edge (account into http)', async () => {
    const errors = await layerErrors('account/planted.ts', "import type { LinkidState } from '../http/state.js';\nexport type Planted = LinkidState;\n");
    expect(errors).toHaveLength(1);
  });

  it('lets a downward import through', async () => {
    expect(await layerErrors('http/planted.ts', "import type { Store } from '../store/port.js';\nexport type Planted = Store;\n")).toEqual([]);
  });

  it('has no two entries importing each other, and no import against the order', () => {
    const edges = entryImports();
    // The graph is not empty: the reading of imports works (http imports login, for one).
    expect(edges).toContain('http -> login');
    const mutual = [...edges].filter((edge) => {
      const [from, to] = edge.split(' -> ');
      return edges.has(`${to} -> ${from}`);
    });
    expect(mutual).toEqual([]);
    const upward = [...edges].filter((edge) => {
      const [from = '', to = ''] = edge.split(' -> ');
      return (layerOf.get(to) ?? Infinity) >= (layerOf.get(from) ?? -1);
    });
    expect(upward).toEqual([]);
  });
});
