// Launches Debian Chromium through playwright-core, opens the workbench and reports the exit code
// the workbench hands to window.codeAutomationExit(code, logs) when the extension tests finish.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, BrowserContext, chromium, ConsoleMessage, Dialog, Page, Request } from 'playwright-core';
import { routeDialogSwitch } from './input';
import { log, onCleanup } from './proc';
import { isMessageFrame } from './webviewFrames';
import { chromiumArgs } from './tools';

export interface WorkbenchSession {
  browser: Browser;
  page: Page;
  /** Resolves with the code passed to codeAutomationExit (only with extensionTestsPath). */
  exitCode: Promise<number>;
  /** Every request, canary console line, dialog and popup the browser saw. */
  network: NetworkLog;
}

/** One request as Playwright saw it; `failure` is 'csp' when the page's CSP blocked it. */
export interface RequestEntry {
  seq: number;
  url: string;
  method: string;
  resourceType: string;
  /** URL of the frame that made it ('' when unknown, e.g. a service worker). */
  frameUrl: string;
  /** Made by a mail frame inside a webview (the message itself, not the view's page). */
  fromMessageFrame: boolean;
  outcome: 'pending' | 'finished' | 'failed';
  failure?: string;
}

/** A sign that content ran script: a console line with the canary marker, a dialog, a popup. */
export interface CanaryEntry {
  seq: number;
  kind: 'console' | 'dialog' | 'popup';
  text: string;
}

export interface NetworkSnapshot {
  /** The sequence number of the newest entry (pass it as `since` later). */
  mark: number;
  requests: RequestEntry[];
  canaries: CanaryEntry[];
}

/** Console lines containing this are canaries (see test/fixtures/xssCorpus.ts). */
export const CANARY_MARKER = 'MAILROOM-CANARY';
/** Bounded: a page in a request loop cannot exhaust the runner's memory. */
const MAX_ENTRIES = 20_000;

/**
 * The request log the XSS suite reads through the browser service: context-level `request`,
 * `requestfailed` and `requestfinished` (so requests of every frame, webviews and their mail
 * frames included), canary console lines, dialogs (dismissed) and popups (closed).
 */
export class NetworkLog {
  private seq = 0;
  private readonly requests: RequestEntry[] = [];
  private readonly byRequest = new WeakMap<Request, RequestEntry>();
  private readonly canaries: CanaryEntry[] = [];

  attach(context: BrowserContext, page: Page): void {
    context.on('request', (request) => {
      const entry: RequestEntry = {
        seq: ++this.seq,
        url: request.url(),
        method: request.method(),
        resourceType: request.resourceType(),
        frameUrl: frameUrlOf(request),
        fromMessageFrame: fromMessageFrame(request),
        outcome: 'pending',
      };
      this.byRequest.set(request, entry);
      push(this.requests, entry);
    });
    context.on('requestfinished', (request) => {
      const entry = this.byRequest.get(request);
      if (entry) entry.outcome = 'finished';
    });
    context.on('requestfailed', (request) => {
      const entry = this.byRequest.get(request);
      if (entry) {
        entry.outcome = 'failed';
        entry.failure = request.failure()?.errorText ?? 'unknown';
      }
    });
    page.on('console', (msg: ConsoleMessage) => {
      const text = msg.text();
      if (text.includes(CANARY_MARKER)) this.canary('console', text);
    });
    page.on('dialog', (dialog: Dialog) => {
      this.canary('dialog', `${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => undefined);
    });
    context.on('page', (popup) => {
      if (popup === page) return;
      this.canary('popup', popup.url());
      if (this.keepPopups) {
        this.kept.push(popup);
        return;
      }
      popup.close().catch(() => undefined);
    });
  }

  /**
   * While true, pages the workbench opens (openExternal: a sign-in page) stay open for the
   * sign-in endpoints (oauthPages.ts) instead of being closed as canaries.
   */
  keepPopups = false;
  private readonly kept: Page[] = [];

  /** The newest kept page that is still open and was opened after `after` pages were kept. */
  keptPopup(after: number): Page | undefined {
    return this.kept.slice(after).reverse().find((p) => !p.isClosed());
  }

  keptCount(): number {
    return this.kept.length;
  }

  /** Adds a canary seen some other way (e.g. the control check's own evaluation failing). */
  canary(kind: CanaryEntry['kind'], text: string): void {
    push(this.canaries, { seq: ++this.seq, kind, text });
  }

  mark(): number {
    return this.seq;
  }

  since(mark: number): NetworkSnapshot {
    return {
      mark: this.seq,
      requests: this.requests.filter((r) => r.seq > mark).map((r) => ({ ...r })),
      canaries: this.canaries.filter((c) => c.seq > mark).map((c) => ({ ...c })),
    };
  }
}

const NETWORK_LOGS = new WeakMap<Page, NetworkLog>();

/** The log openWorkbench attached to this page (the browser service reads it). */
export function networkLogOf(page: Page): NetworkLog | undefined {
  return NETWORK_LOGS.get(page);
}

function push<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_ENTRIES) list.splice(0, list.length - MAX_ENTRIES);
}

function fromMessageFrame(request: Request): boolean {
  try {
    return isMessageFrame(request.frame());
  } catch {
    return false; // Service-worker requests have no frame.
  }
}

function frameUrlOf(request: Request): string {
  try {
    return request.frame().url();
  } catch {
    return ''; // Service-worker requests have no frame.
  }
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
  // MAILROOM_BROWSER_TIMEZONE puts the browser (the UI, webviews included) in another zone than the
  // extension host (TZ): what a remote window looks like when the remote machine's zone is not the user's.
  const timezoneId = process.env.MAILROOM_BROWSER_TIMEZONE;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...(timezoneId ? { timezoneId } : {}) });
  await routeDialogSwitch(context);
  const page = await context.newPage();
  const network = new NetworkLog();
  network.attach(context, page);
  NETWORK_LOGS.set(page, network);
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
  return { browser, page, exitCode, network };
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
