// @vscode/test-cli configuration for desktop VS Code (`npx vscode-test`).
// Prefer `node out/test/vscode/runners/desktop.js`, which also starts the mail fixture and passes
// MAILROOM_FIXTURE_INFO on; the code-server runner (npm run test:vscode) is what runs in CI here.
import { defineConfig } from '@vscode/test-cli';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// An empty folder to open (.vscode-test/ is git-ignored and also holds the downloaded VS Code).
const workspace = path.join(path.dirname(fileURLToPath(import.meta.url)), '.vscode-test', 'workspace');
fs.mkdirSync(workspace, { recursive: true });

export default defineConfig({
  label: 'desktop',
  files: 'out/test/vscode/suite/**/*.test.js',
  workspaceFolder: workspace,
  mocha: { ui: 'bdd', timeout: 60000, color: false },
  env: {
    MAILROOM_FIXTURE_INFO: process.env.MAILROOM_FIXTURE_INFO,
    MAILROOM_TEST_GREP: process.env.MAILROOM_TEST_GREP,
  },
  launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
});
