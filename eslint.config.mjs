// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const typeChecked = {
  languageOptions: {
    parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
  },
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-misused-promises': 'error',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    curly: ['error', 'multi-line'],
    eqeqeq: ['error', 'always'],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'dist-vsix/**', 'test-results/**', '*.js', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.ts'], ...typeChecked },
  {
    // The protocol and store layers speak mail, not VS Code: they must run in plain Node.
    files: ['src/protocol/**/*.ts', 'src/store/**/*.ts', 'src/shared/**/*.ts', 'src/util/**/*.ts', 'src/patch/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/protocol, src/store, src/shared, src/util and src/patch must not depend on VS Code.' }] }],
    },
  },
  {
    // Webview code runs in the browser sandbox: only src/shared (types and pure validators) may be shared.
    files: ['media/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'Webview code cannot use the VS Code API; talk to the host through src/shared messages.' }],
          patterns: [
            { group: ['**/src/providers/**', '**/src/protocol/**', '**/src/store/**', '**/src/extension*'], message: 'Webview code must not import host code; use src/shared.' },
            { group: ['node:*', 'fs', 'net', 'tls', 'path', 'child_process'], message: 'Node modules are not available in a webview.' },
          ],
        },
      ],
    },
  },
);
