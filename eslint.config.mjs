// Lint rules. The architecture rule: only src/extension may import `vscode`, and the engine
// imports neither `vscode` nor the LSP libraries, so it stays a plain library.
import tseslint from 'typescript-eslint';

const lspLibraries = ['vscode-languageclient', 'vscode-languageclient/*', 'vscode-languageserver', 'vscode-languageserver/*', 'vscode-languageserver-protocol', 'vscode-jsonrpc'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'bench/node_modules/**', 'media/**', 'test/editor/fixture-extension/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension may import vscode.' }] }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The engine must not import vscode.' }],
          patterns: [{ group: lspLibraries, message: 'The engine must not import LSP libraries; put protocol code in src/protocol or src/server.' }],
        },
      ],
    },
  },
  {
    files: ['src/server/**/*.ts', 'src/protocol/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['src/extension/**/*.ts', 'test/editor/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
