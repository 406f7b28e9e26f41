// A person at the browser during an OAuth2 sign-in started by the extension under test: the page
// the workbench opened (vscode.env.openExternal -> a new tab of this browser context) is filled and
// submitted as a person would, with the mouse and keyboard: oidc-provider's login page (any user
// name and password), its consent page (Continue, or Cancel to decline), and for the device flow
// its code page and device confirmation. Served by service.ts:
//   POST /popups/keep  body JSON {keep: boolean}: pages the workbench opens stay open (instead of
//                      being closed as canaries) so /oauth/act can use them; 200 + JSON {mark}
//   POST /oauth/act    body JSON {mark, login, password?, userCode?, decline?, shots?, timeoutMs?}:
//                      waits for a page opened after `mark`, then acts on each page until the
//                      redirect reaches 127.0.0.1/callback (the extension host's loopback) or a page
//                      with nothing to fill; a screenshot test-results/<shots>-<n>-<step>.png of
//                      every page. Then the tab is closed and the workbench brought to the front, as
//                      a person goes back to VS Code (the workbench shows notifications only while it
//                      has focus). 200 + JSON {steps: [{url, action, shot}], finalUrl, finalText}
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { NetworkLog } from './browser';
import { log } from './proc';

interface Reply {
  status: number;
  body: string;
  type: string;
}

interface ActRequest {
  mark: number;
  login: string;
  password?: string;
  userCode?: string;
  decline?: boolean;
  shots?: string;
  timeoutMs?: number;
}

interface Step {
  url: string;
  action: string;
  shot: string;
}

const MAX_STEPS = 12;
const STEP_TIMEOUT_MS = 15_000;

export async function oauthEndpoint(workbench: Page, netLog: NetworkLog, pathname: string, body: string, resultsDir: string): Promise<Reply | undefined> {
  if (pathname === '/popups/keep') {
    const keep = (parse(body) as { keep?: unknown } | undefined)?.keep;
    if (typeof keep !== 'boolean') return bad('POST {"keep": true | false}');
    netLog.keepPopups = keep;
    return json({ mark: netLog.keptCount() });
  }
  if (pathname !== '/oauth/act') return undefined;
  const request = parse(body) as Partial<ActRequest> | undefined;
  if (!request || typeof request.login !== 'string' || typeof request.mark !== 'number') return bad('POST {"mark": N, "login": "…"} (mark from /popups/keep)');
  const timeout = Math.min(Number(request.timeoutMs) || 30_000, 120_000);
  const page = await waitForPopup(netLog, request.mark, timeout);
  if (!page) return { status: 404, body: `no page was opened within ${timeout} ms\n`, type: 'text/plain' };
  try {
    return json(await act(page, request as ActRequest, resultsDir));
  } finally {
    await page.close().catch(() => undefined);
    await workbench.bringToFront().catch(() => undefined);
  }
}

async function waitForPopup(netLog: NetworkLog, mark: number, timeoutMs: number): Promise<Page | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = netLog.keptPopup(mark);
    if (page) return page;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function act(page: Page, request: ActRequest, resultsDir: string): Promise<{ steps: Step[]; finalUrl: string; finalText: string }> {
  const steps: Step[] = [];
  const shots = (request.shots ?? 'oauth').replace(/[^A-Za-z0-9._-]+/g, '-');
  for (let n = 1; n <= MAX_STEPS; n++) {
    await page.waitForLoadState('domcontentloaded', { timeout: STEP_TIMEOUT_MS });
    const url = page.url();
    const action = await nextAction(page, request);
    const shot = path.join(resultsDir, `${shots}-${n}-${action.name}.png`);
    await page.screenshot({ path: shot, timeout: STEP_TIMEOUT_MS }).catch((err: unknown) => log(`screenshot of ${url} failed: ${String(err)}`));
    steps.push({ url, action: action.name, shot: path.basename(shot) });
    log(`sign-in page ${n}: ${url} -> ${action.name}`);
    if (!action.run) break;
    const before = page.url();
    await action.run();
    // A submit either navigates or re-renders at the same address (the device code page): wait for either.
    await page.waitForURL((u) => u.href !== before, { timeout: 3_000, waitUntil: 'domcontentloaded' }).catch(() => undefined);
  }
  const finalText = await page.evaluate('document.body ? document.body.innerText : ""').then(String, () => '');
  return { steps, finalUrl: page.url(), finalText: finalText.slice(0, 2_000) };
}

interface Action {
  name: string;
  run?: () => Promise<void>;
}

/** What a person does on this page; no `run` on the last page (the app's redirect, a result). */
async function nextAction(page: Page, request: ActRequest): Promise<Action> {
  const url = new URL(page.url());
  if (url.hostname === '127.0.0.1' && url.pathname === '/callback') return { name: 'redirected-to-app' };
  const visible = async (selector: string): Promise<boolean> => (await page.locator(selector).count()) > 0 && page.locator(selector).first().isVisible();
  if (await visible('input[name="user_code"]:not([type="hidden"])')) {
    if (!request.userCode) return { name: 'code-page-without-code' };
    return {
      name: 'enter-code',
      run: async () => {
        await page.locator('input[name="user_code"]').first().fill(request.userCode!);
        await page.locator('button[type="submit"][form="op.deviceInputForm"]').click();
      },
    };
  }
  if (await visible('input[name="login"]')) {
    return {
      name: 'login',
      run: async () => {
        await page.locator('input[name="login"]').fill(request.login);
        await page.locator('input[name="password"]').fill(request.password ?? 'any password');
        await page.locator('button[type="submit"]').first().click();
      },
    };
  }
  if ((await page.locator('input[name="prompt"][value="consent"]').count()) > 0) {
    if (request.decline) return { name: 'decline-consent', run: () => page.getByText('[ Cancel ]').click() };
    return { name: 'consent', run: () => page.locator('form button[type="submit"]').first().click() };
  }
  if ((await page.locator('button[type="submit"][form="op.deviceConfirmForm"]:not([name="abort"])').count()) > 0) {
    return { name: 'confirm-device', run: () => page.locator('button[type="submit"][form="op.deviceConfirmForm"]:not([name="abort"])').click() };
  }
  return { name: 'final-page' };
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function bad(message: string): Reply {
  return { status: 400, body: `${message}\n`, type: 'text/plain' };
}

function json(value: unknown): Reply {
  return { status: 200, body: JSON.stringify(value), type: 'application/json' };
}
