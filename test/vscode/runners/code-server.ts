// Runs the in-host VS Code suite (out/test/vscode/suite/index.js) in code-server, driven by Chromium.
//
//   node out/test/vscode/runners/code-server.js       (npm run test:vscode builds first)
//
// Environment:
//   MAILROOM_FIXTURE_INFO          use an already running fixture instead of starting out/test/fixtures/cli.js
//   MAILROOM_SKIP_FIXTURE=1        run without mail servers
//   MAILROOM_VSCODE_TIMEOUT_SECONDS  overall limit for the suite (default 600)
//   MAILROOM_TEST_GREP             only run tests whose full title matches (mocha --grep)
//   MAILROOM_RESULTS_DIR           where screenshots and logs go (default <repo>/test-results)
//   MAILROOM_TOOLS_CACHE           where scripts/install-code-server.sh put Node 24 and code-server
//   MAILROOM_CHROMIUM              Chromium binary (default /usr/bin/chromium)
//   MAILROOM_VERBOSE=1             also echo every browser console line
//   MAILROOM_LOCALE                VS Code's display language (code-server --locale), e.g. de
// The suite gets MAILROOM_FIXTURE_INFO, MAILROOM_SCREENSHOT_URL, MAILROOM_TEST_LOG and
// MAILROOM_TEST_REPORT through code-server's environment, which the extension host inherits; the
// extension gets MAILROOM_DISCOVERY_DNS / _HOSTS / _CA for the discovery domains (discoveryDomain.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { openWorkbench } from './browser';
import { startCodeServer, workbenchUrl } from './codeserver';
import { startDiscoveryDomain } from './discoveryDomain';
import { ensureFixture } from './fixture';
import { log, makeTempDir, runMain, withTimeout } from './proc';
import { finalExitCode, readReport, removeIfPresent, summaryLine, tailFile } from './report';
import { startBrowserService } from './service';
import { extensionPath, findChromium, findCodeServer, MissingToolError, repoRoot, resultsDir } from './tools';

const TIMEOUT_MS = Number(process.env.MAILROOM_VSCODE_TIMEOUT_SECONDS ?? 600) * 1000;

interface Prerequisites {
  tools: ReturnType<typeof findCodeServer>;
  chromium: string;
  extensionDir: string;
  testsIndex: string;
}

function prerequisites(): Prerequisites {
  const testsIndex = path.join(repoRoot(), 'out', 'test', 'vscode', 'suite', 'index.js');
  if (!fs.existsSync(testsIndex)) {
    throw new MissingToolError(`${testsIndex} is missing: run \`npm run compile-tests\``);
  }
  return { tools: findCodeServer(), chromium: findChromium(), extensionDir: extensionPath(), testsIndex };
}

async function main(): Promise<number> {
  let pre: Prerequisites;
  try {
    pre = prerequisites();
  } catch (err) {
    if (err instanceof MissingToolError) {
      log(`cannot run the VS Code suite: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const results = resultsDir();
  const reportFile = path.join(results, 'vscode-report.json');
  const testLog = path.join(results, 'vscode-test.log');
  removeIfPresent(reportFile, testLog);

  const fixture = await ensureFixture(results);
  let page: Page | undefined;
  const service = await startBrowserService(results, () => page);
  const stateDir = makeTempDir('mailroom-code-server-');
  const workspace = process.env.MAILROOM_TEST_WORKSPACE ?? path.join(stateDir, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });

  const env: Record<string, string> = {
    MAILROOM_SCREENSHOT_URL: service.url,
    MAILROOM_TEST_REPORT: reportFile,
    MAILROOM_TEST_LOG: testLog,
  };
  if (fixture.infoFile) {
    env.MAILROOM_FIXTURE_INFO = fixture.infoFile;
    Object.assign(env, await startDiscoveryDomain(fixture.infoFile));
  }
  const server = await startCodeServer({
    tools: pre.tools,
    stateDir,
    logFile: path.join(results, 'code-server.log'),
    env,
    locale: process.env.MAILROOM_LOCALE,
  });
  const tail = tailFile(testLog, process.stdout);
  try {
    const url = workbenchUrl(server, workspace, pre.extensionDir, pre.testsIndex);
    log(`opening ${server.baseUrl} in Chromium; the suite's output follows`);
    const verbose = process.env.MAILROOM_VERBOSE === '1';
    const session = await openWorkbench({
      executablePath: pre.chromium,
      url,
      resultsDir: results,
      onConsole: (line) => verbose && process.stdout.write(`[browser] ${line}\n`),
    });
    page = session.page;
    const suiteCode = await waitForSuite(session.exitCode, session.page, results);
    tail.stop();
    keepExtensionLogs(server.userDataDir, results);
    return conclude(suiteCode, reportFile, results);
  } finally {
    tail.stop();
  }
}

/** The extension host's logs (the Mailroom output channel among them) outlive the temp user-data dir. */
function keepExtensionLogs(userDataDir: string, results: string): void {
  const from = path.join(userDataDir, 'logs');
  const to = path.join(results, 'extension-logs');
  try {
    fs.rmSync(to, { recursive: true, force: true });
    if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true });
  } catch (err) {
    log(`could not keep the extension host logs: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function waitForSuite(exitCode: Promise<number>, page: Page, results: string): Promise<number | 'timeout'> {
  try {
    return await withTimeout(exitCode, TIMEOUT_MS, 'the VS Code suite');
  } catch {
    const shot = path.join(results, 'timeout.png');
    await page.screenshot({ path: shot, timeout: 10_000 }).catch(() => undefined);
    log(`the VS Code suite did not finish within ${TIMEOUT_MS / 1000}s (MAILROOM_VSCODE_TIMEOUT_SECONDS); screenshot: ${shot}`);
    return 'timeout';
  }
}

function conclude(suiteCode: number | 'timeout', reportFile: string, results: string): number {
  const report = readReport(reportFile);
  if (report) {
    process.stdout.write(`${summaryLine(report)}\n`);
  } else {
    process.stdout.write('vscode: no test report: the suite did not run to the end'
      + ` (see ${path.join(results, 'code-server.log')} and ${path.join(results, 'browser-console.log')})\n`);
  }
  if (report && report.passed + report.failed + report.pending === 0) {
    log('no tests ran: check MAILROOM_TEST_GREP and that out/test/vscode/suite/**/*.test.js exist');
  }
  if (suiteCode === 'timeout') {
    return 1;
  }
  const code = finalExitCode(suiteCode, report);
  if (code !== 0) {
    log(`suite exit code ${suiteCode}; runner exits with ${code}. Logs: ${results}/{code-server.log,browser-console.log,workbench.log}`);
  }
  return code;
}

runMain('code-server runner', main);
