// Proves that the tools install works on a machine that has never run it: installs Node 24 and
// code-server into a new, empty MAILROOM_TOOLS_CACHE, started the way the README starts it (under
// `npm run`, so the outer npm's npm_config_* environment is there, as it is for `npm test` and
// `npm run demo`), then starts that code-server and asks it for /healthz.
//
//   node out/test/vscode/runners/fresh-install.js     (scripts/test-all.sh runs it as the "install" tier)
//
// Why a tier of its own: CI runs on a machine whose tools cache already exists, so the vscode tier
// stays green even when the install itself is broken (it was: code-server's postinstall read the
// outer npm's Node 20 user agent and refused to install under Node 24).
//
// Prints mocha-style "N passing" / "N failing" lines for test-all.sh's count.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCodeServer } from './codeserver';
import { errorText, killGroup, log, makeTempDir, runMain, spawnManaged, withTimeout } from './proc';
import { checkCodeServer, codeServerPaths, repoRoot, resultsDir } from './tools';

/** code-server's install compiles native modules; about 2.5 minutes on 2 cores. */
const INSTALL_TIMEOUT_MS = 15 * 60_000;

interface Check {
  name: string;
  run: () => Promise<void>;
}

async function main(): Promise<number> {
  const cache = makeTempDir('mailroom-tools-fresh-');
  const results = resultsDir();
  const installLog = path.join(results, 'fresh-install.log');
  const tools = codeServerPaths(cache);
  const checks: Check[] = [
    {
      name: `npm run tools:install into an empty cache (${cache}) installs Node 24 and code-server`,
      run: async () => {
        const code = await runInstall(cache, installLog);
        if (code !== 0) {
          throw new Error(`the install exited with code ${code}; its output:\n${tail(installLog, 40)}`);
        }
        checkCodeServer(tools, `the install printed:\n${tail(installLog, 40)}`);
        const version = execFileSync(tools.node, ['--version'], { encoding: 'utf8' }).trim();
        if (!version.startsWith('v24.')) {
          throw new Error(`the cached Node is ${version}, not 24`);
        }
      },
    },
    {
      name: 'the freshly installed code-server starts and answers /healthz',
      run: async () => {
        checkCodeServer(tools, 'the install did not finish');
        const server = await startCodeServer({
          tools,
          stateDir: makeTempDir('mailroom-fresh-code-server-'),
          logFile: path.join(results, 'fresh-install-code-server.log'),
          env: {},
        });
        log(`fresh code-server answered on ${server.baseUrl}`);
      },
    },
  ];

  let passed = 0;
  let failed = 0;
  for (const check of checks) {
    const started = Date.now();
    try {
      await check.run();
      passed++;
      process.stdout.write(`  ✔ ${check.name} (${Math.round((Date.now() - started) / 1000)}s)\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`  ✗ ${check.name}\n      ${errorText(err).replace(/\n/g, '\n      ')}\n`);
    }
  }
  process.stdout.write(`\n  ${passed} passing\n`);
  if (failed > 0) {
    process.stdout.write(`  ${failed} failing\n`);
  }
  return failed > 0 ? 1 : 0;
}

/** `npm run --silent tools:install` from the repository with MAILROOM_TOOLS_CACHE set to `cache`. */
function runInstall(cache: string, logFile: string): Promise<number | null> {
  log(`installing the tools into ${cache} (log: ${logFile})`);
  const out = fs.openSync(logFile, 'w');
  const child = spawnManaged('the tools install', 'npm', ['run', '--silent', 'tools:install'], {
    cwd: repoRoot(),
    env: { ...process.env, MAILROOM_TOOLS_CACHE: cache },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  return withTimeout(exited, INSTALL_TIMEOUT_MS, 'the tools install').finally(async () => {
    fs.closeSync(out);
    await killGroup(child, 'the tools install');
  });
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

runMain('fresh install check', main);
