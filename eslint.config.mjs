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

const LITERAL = ':matches(Literal[value=/[A-Za-z]/], TemplateLiteral)';
const L10N_MESSAGE = 'Text a user reads goes through vscode.l10n.t(...) (and l10n/bundle.l10n.*.json); see DEVELOPERS.md, Localization.';
/** no-restricted-syntax entries: where a string literal reaches the user without vscode.l10n.t. */
const L10N_RESTRICTIONS = [
  // showInformationMessage('…', 'Button'), setStatusBarMessage('…'): every literal argument (the message and the buttons).
  `CallExpression[callee.property.name=/^(show(Information|Warning|Error)Message|setStatusBarMessage)$/] > ${LITERAL}`,
  // showInputBox({ prompt: '…' }), showQuickPick(items, { title: '…' }), withProgress({ title: '…' }), dialogs' labels, validation messages.
  `CallExpression[callee.property.name=/^(showInputBox|showQuickPick|withProgress|showOpenDialog|showSaveDialog|createWebviewPanel)$/] Property[key.name=/^(title|prompt|placeHolder|openLabel|saveLabel|message)$/] > ${LITERAL}.value`,
  `CallExpression[callee.property.name='createWebviewPanel'] > ${LITERAL}:nth-child(2)`,
  // quickPick.title = '…', item.tooltip = '…', statusItem.text = '…', box.validationMessage = '…'.
  `AssignmentExpression[left.property.name=/^(title|placeholder|prompt|tooltip|validationMessage)$/] > ${LITERAL}.right`,
].map((selector) => ({ selector, message: L10N_MESSAGE }));

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
    // Every string a user reads goes through vscode.l10n.t (bundles in l10n/, `npm run l10n:export`):
    // a literal passed straight to a message, input box, quick pick, progress or status bar is an error.
    files: ['src/**/*.ts'],
    ignores: ['src/protocol/**', 'src/store/**', 'src/shared/**', 'src/util/**', 'src/patch/**', 'src/cli/**'],
    rules: {
      'no-restricted-syntax': ['error', ...L10N_RESTRICTIONS],
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
