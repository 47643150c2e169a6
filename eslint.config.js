// The house rules, checked by `npm run lint` (part of `npm test`): typescript-eslint's type-aware
// recommended rules, promises that are awaited or handled, no non-null assertions, no import
// cycles, and the layer order of src/ below. Formatting is Prettier's (`npm run format`), not the
// linter's.
import path from 'node:path';
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, bottom first (docs/architecture.md says what each holds). A file may import
 * from its own folder and from the layers below its own: never from a layer above, nor from
 * another folder of its own layer. Every entry of src/ is in exactly one layer
 * (test/unit/layers.test.ts checks that, and that the rule fires).
 */
export const LAYERS = [
  ['kernel'],
  ['i18n', 'secrets'],
  ['config'],
  ['store'],
  ['login', 'mail'],
  ['observability'],
  ['oidc'],
  ['account'],
  ['admin'],
  ['services.ts'],
  ['http', 'cli'],
  ['cluster'],
  ['node-check.ts'],
  ['main.ts'],
];

const ORDER = LAYERS.map((layer) => layer.join(', ')).join(' < ');
const srcPath = (entry) => path.join(import.meta.dirname, 'src', entry);

/** One zone per entry: it may not import any entry above its layer, nor a sibling in it. */
export const layerZones = LAYERS.flatMap((layer, index) =>
  layer.map((entry) => ({
    target: srcPath(entry),
    from: [...layer.filter((other) => other !== entry), ...LAYERS.slice(index + 1).flat()].map(srcPath),
    message: `src/${entry} may import only from the layers below its own (${ORDER}).`,
  })),
).filter((zone) => zone.from.length > 0);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-artifacts/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      // The Store port is asynchronous and SQLite answers synchronously: its methods are async so a
      // throw becomes a rejection, as MongoDB's would. That is the point, not an oversight.
      '@typescript-eslint/require-await': 'off',
    },
    settings: {
      'import-x/resolver': { typescript: true, node: true },
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
  },
  {
    // In tests, a wrong `!` or an untyped JSON body fails the test loudly, which is what a test is
    // for; product code gets no such allowance.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
