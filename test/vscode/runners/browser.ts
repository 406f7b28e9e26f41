// Launches Debian Chromium through playwright-core, opens the workbench and reports the exit code
// the workbench hands to window.codeAutomationExit(code, logs) when the extension tests finish.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, ConsoleMessage, Page } from 'playwright-core';
import { log, onCleanup } from './proc';
import { chromiumArgs } from './tools';

export interface WorkbenchSession {
  browser: Browser;
  page: Page;
  /** Resolves with the code passed to codeAutomationExit (only with extensionTestsPath). */
  exitCode: Promise<number>;
}

interface AutomationLog {
  relativePath: string;
  contents: string;
}

export interface OpenOptions {
  executablePath: string;
  url: string;
  resultsDir: string;
  /** Called with every browser console line (already written to browser-console.log). */
  onConsole?: (line: string) => void;
}

export async function openWorkbench(options: OpenOptions): Promise<WorkbenchSession> {
  const browser = await chromium.launch({
    executablePath: options.executablePath,
    args: chromiumArgs(),
    timeout: 60_000,
    // Our own handlers close the browser; Playwright's would exit the process before the rest is cleaned up.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  onCleanup('chromium', () => browser.close());
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const consoleLog = fs.createWriteStream(path.join(options.resultsDir, 'browser-console.log'), { flags: 'w' });
  const workbenchLog = fs.createWriteStream(path.join(options.resultsDir, 'workbench.log'), { flags: 'w' });
  onCleanup('browser logs', () => {
    consoleLog.end();
    workbenchLog.end();
  });
  page.on('console', (msg: ConsoleMessage) => {
    const line = `[${msg.type()}] ${msg.text()}`;
    consoleLog.write(`${line}\n`);
    options.onConsole?.(line);
  });
  page.on('pageerror', (err) => consoleLog.write(`[pageerror] ${err.stack ?? err.message}\n`));
  page.on('crash', () => log('the browser page crashed'));
  let resolveExit: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  await page.exposeFunction('codeAutomationLog', (level: string, message: string) => {
    workbenchLog.write(`[${level}] ${message}\n`);
  });
  await page.exposeFunction('codeAutomationExit', (code: number, logs?: AutomationLog[]) => {
    saveAutomationLogs(options.resultsDir, logs);
    resolveExit(typeof code === 'number' ? code : 1);
  });
  await page.goto(options.url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  return { browser, page, exitCode };
}

/** The workbench passes its own log files along with the exit code; keep them for post-mortems. */
function saveAutomationLogs(resultsDir: string, logs: AutomationLog[] | undefined): void {
  const root = path.join(resultsDir, 'workbench-logs');
  for (const entry of logs ?? []) {
    const target = path.resolve(root, entry.relativePath);
    if (!target.startsWith(root + path.sep)) {
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, entry.contents);
  }
}
