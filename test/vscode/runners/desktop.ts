// Runs the in-host suite in desktop VS Code through @vscode/test-cli (`npx vscode-test`, config in
// .vscode-test.mjs), after starting the mail fixture like the code-server runner does.
//
//   node out/test/vscode/runners/desktop.js
//
// Exit codes: the suite's, or 3 with a one-line reason when desktop VS Code is not available here
// (it cannot be downloaded, or there is no display), so callers can tell that from a failure.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { ensureFixture } from './fixture';
import { log, runMain, spawnManaged } from './proc';
import { isExecutable, repoRoot, resultsDir } from './tools';

const NOT_AVAILABLE = 3;
const DOWNLOAD_HOST = 'update.code.visualstudio.com';
const NETWORK_FAILURE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|Failed to download|Error downloading|socket hang up/i;

function notAvailable(reason: string): number {
  process.stdout.write(`desktop: VS Code not available here: ${reason}\n`);
  return NOT_AVAILABLE;
}

function hasCachedVsCode(): boolean {
  const dir = path.join(repoRoot(), '.vscode-test');
  return fs.existsSync(dir) && fs.readdirSync(dir).some((name) => name.startsWith('vscode-'));
}

/** Resolves with an error message when the download server cannot be reached within 10 s. */
function probeDownload(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = https.request({ host: DOWNLOAD_HOST, path: '/api/releases/stable', method: 'HEAD', timeout: 10_000 }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 10s')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

/** The command that runs vscode-test, wrapped in xvfb-run when Linux has no display. */
function command(): { cmd: string; args: string[] } | string {
  const bin = path.join(repoRoot(), 'node_modules', '.bin', 'vscode-test');
  if (!fs.existsSync(bin)) {
    return `${bin} is missing (npm install)`;
  }
  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY) {
    return { cmd: bin, args: [] };
  }
  const xvfb = ['/usr/bin/xvfb-run', '/usr/local/bin/xvfb-run'].find(isExecutable);
  if (!xvfb) {
    return 'no display: set DISPLAY or install xvfb (apt-get install xvfb)';
  }
  return { cmd: xvfb, args: ['-a', bin] };
}

async function main(): Promise<number> {
  const how = command();
  if (typeof how === 'string') {
    return notAvailable(how);
  }
  if (!hasCachedVsCode()) {
    const problem = await probeDownload();
    if (problem) {
      return notAvailable(`cannot download it from ${DOWNLOAD_HOST} (${problem})`);
    }
  }
  const results = resultsDir();
  const fixture = await ensureFixture(results);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (fixture.infoFile) {
    env.MAILROOM_FIXTURE_INFO = fixture.infoFile;
  }
  return runVsCodeTest(how.cmd, how.args, env);
}

function runVsCodeTest(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  log(`running ${path.basename(cmd)} ${args.map((a) => path.basename(a)).join(' ')}`.trim());
  const child = spawnManaged('vscode-test', cmd, args, { cwd: repoRoot(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const tee = (out: NodeJS.WritableStream) => (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
    out.write(chunk);
  };
  child.stdout?.on('data', tee(process.stdout));
  child.stderr?.on('data', tee(process.stderr));
  return new Promise((resolve) => {
    child.once('error', (err) => resolve(notAvailable(`cannot start vscode-test (${err.message})`)));
    child.once('exit', (code, signal) => {
      if (code !== 0 && NETWORK_FAILURE.test(output) && !/passing|failing/.test(output)) {
        resolve(notAvailable(`downloading it failed (${NETWORK_FAILURE.exec(output)?.[0] ?? 'network error'})`));
        return;
      }
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

runMain('desktop runner', main);
