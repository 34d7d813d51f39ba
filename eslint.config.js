// Lint rules: typescript-eslint's recommended set, plus the house rules that keep
// the core honest (no console in the core, no floating promises).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// `import { z }` binds zod's whole namespace object, so the bundle keeps all of zod (its 60
// locales too, ~550 KB compiled on every start); `import * as z` lets esbuild drop what is unused.
const zodNamespace = {
  selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > :matches(ImportSpecifier[imported.name='z'][importKind!='type'], ImportDefaultSpecifier)",
  message: "write `import * as z from 'zod'`: the named `z` pulls all of zod into the CLI bundle (BENCHMARKS.md, cold start)",
};
// One home per helper: a module that passes on another's exports gives a reader two places to
// look and keeps importers pointing at the wrong one. A folder's index.ts is its public surface.
const reexportMessage = 'import it from the module that declares it instead of passing it on (only a folder\'s index.ts re-exports)';
const noReexports = [
  { selector: 'ExportAllDeclaration', message: reexportMessage },
  { selector: 'ExportNamedDeclaration[source]', message: reexportMessage },
  { selector: 'ExportNamedDeclaration:not([declaration]):not([source]) > ExportSpecifier', message: `export where it is declared; ${reexportMessage}` },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.ws-deployment/', 'terraform/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/index.ts'],
    rules: { 'no-restricted-syntax': ['error', zodNamespace, ...noReexports] },
  },
  {
    files: ['src/**/index.ts'],
    rules: { 'no-restricted-syntax': ['error', zodNamespace] },
  },
  {
    files: ['bin/**', 'bench/**/*.mjs', 'test/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'URL', 'AbortController', 'performance', 'Buffer', 'fetch'].map((g) => [g, 'readonly']),
      ),
    },
  },
);
