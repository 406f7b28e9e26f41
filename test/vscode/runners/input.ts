// What a person does with keyboard and mouse in the workbench, for in-host tests of interactive
// commands (the Add Account quick input, the certificate dialog). Served by service.ts:
//   POST /keyboard        body JSON {type: 'text' | 'press', value}: types text into whatever has
//                         focus, or presses one key chord (Playwright names: 'Enter', 'Control+A').
//                         200 + 'ok'
//   POST /quick-input?title=T[&timeoutMs=N]
//                         waits until the quick input is on screen with a title containing T;
//                         (and has the keyboard focus, so typing goes into it);
//                         200 + JSON {title, message, value} (message: the prompt or the validation text)
//   POST /dialog-button   body JSON {label[, click][, timeoutMs]}: waits for a modal dialog with a
//                         button of exactly that label and clicks it (unless click is false);
//                         200 + JSON {message, detail}
//   POST /notification-button body JSON {text, label[, click][, timeoutMs]}: waits for a
//                         notification (a toast, or a row of the notification center, opened from the
//                         bell: with enable-smoke-test-driver the workbench shows no toasts) whose
//                         message contains `text` and clicks its button `label` (unless click is
//                         false); 200 + JSON {message}, 404 when none came
//   POST /dialogs         body JSON {show: boolean}: lets modal dialogs open in this window (or
//                         refuses them again, the default); 200 + 'ok', 501 when not possible
// Modal dialogs in code-server are workbench DOM, so they are clicked like any button. But VS Code's
// DialogService refuses every dialog in a window that runs extension tests (skipDialogs()), so
// routeDialogSwitch() serves the workbench with that check asking a page flag first, which
// /dialogs sets for the test that wants to answer a dialog.
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { log } from './proc';

interface InputReply {
  status: number;
  body: string;
  type: string;
}

const DEFAULT_WAIT_MS = 15_000;
const MAX_WAIT_MS = 60_000;
const MAX_TEXT = 1_000;

/** Handles the input endpoints; undefined for any other path. */
export async function handleInput(page: Page, pathname: string, params: URLSearchParams, body: string): Promise<InputReply | undefined> {
  switch (pathname) {
    case '/keyboard':
      return keyboard(page, body);
    case '/quick-input':
      return quickInput(page, params.get('title') ?? '', waitMs(params.get('timeoutMs')));
    case '/dialog-button':
      return dialogButton(page, body);
    case '/notification-button':
      return notificationButton(page, body);
    case '/dialogs':
      return dialogSwitch(page, body);
    default:
      return undefined;
  }
}

function waitMs(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? Math.min(n, MAX_WAIT_MS) : DEFAULT_WAIT_MS;
}

function bad(message: string): InputReply {
  return { status: 400, body: `${message}\n`, type: 'text/plain' };
}

function json(value: unknown): InputReply {
  return { status: 200, body: JSON.stringify(value), type: 'application/json' };
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function keyboard(page: Page, body: string): Promise<InputReply> {
  const request = parse(body);
  const value = request?.value;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) return bad(`POST {"type": "text" | "press", "value": "…"} (1 to ${MAX_TEXT} characters)`);
  if (request?.type === 'text') await page.keyboard.type(value);
  else if (request?.type === 'press') await page.keyboard.press(value);
  else return bad('"type" must be "text" or "press"');
  return { status: 200, body: 'ok\n', type: 'text/plain' };
}

async function quickInput(page: Page, title: string, timeout: number): Promise<InputReply> {
  if (!title) return bad('?title= is required: a part of the quick input title to wait for');
  const widget = page.locator('.quick-input-widget').filter({ has: page.locator('.quick-input-title', { hasText: title }) });
  await widget.waitFor({ state: 'visible', timeout });
  // A step that just opened takes the keyboard focus a moment later: keys typed before that are
  // lost (a host name typed into nothing, then Enter on an empty box). Wait for the focus, bounded.
  const input = widget.locator('.quick-input-box input').first();
  const focused = (): Promise<boolean> => input.evaluate((e) => e === e.ownerDocument.activeElement).catch(() => false);
  for (let waited = 0; waited < 5_000 && !(await focused()); waited += 100) await page.waitForTimeout(100);
  // Still elsewhere (CI once had a message webview left open by an earlier suite keep it, and the
  // address typed next went nowhere): click into the box, as a person would.
  if (!(await focused())) {
    log(`quick input "${title}": the box did not take the keyboard focus; clicking into it`);
    await input.click({ timeout: 2_000 }).catch(() => undefined);
  }
  const text = async (selector: string): Promise<string> => ((await widget.locator(selector).first().textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
  const value = await input.inputValue({ timeout: 1_000 }).catch(() => '');
  return json({ title: await text('.quick-input-title'), message: await text('.quick-input-message'), value });
}

async function dialogButton(page: Page, body: string): Promise<InputReply> {
  const request = parse(body);
  const label = request?.label;
  if (typeof label !== 'string' || !label) return bad('POST {"label": "…"}: the button to click');
  const dialog = page.locator('.monaco-dialog-box');
  const button = dialog.locator('.dialog-buttons .monaco-button').filter({ hasText: new RegExp(`^${escapeRegExp(label)}$`) });
  try {
    await button.first().waitFor({ state: 'visible', timeout: waitMs(request?.timeoutMs) });
  } catch (err) {
    // Say what is on screen instead: the dialog's buttons, or that there is no dialog at all.
    const seen = await dialog.evaluateAll((boxes) => boxes.map((b) => (b as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').slice(0, 500)));
    return { status: 404, body: `no dialog button "${label}" appeared; dialogs on screen: ${JSON.stringify(seen)} (${err instanceof Error ? err.message.split('\n')[0] : String(err)})\n`, type: 'text/plain' };
  }
  // The dialog that holds the button: another one may still be closing behind it.
  const box = dialog.filter({ has: page.locator('.dialog-buttons .monaco-button').filter({ hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
  const message = ((await box.locator('.dialog-message-text').first().textContent({ timeout: 5_000 }).catch(() => '')) ?? '').trim();
  const detail = ((await box.locator('.dialog-message-detail').first().textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
  if (!message) log(`dialog with "${label}": no message text; it shows ${JSON.stringify(await box.first().innerText().catch(() => ''))}`);
  if (request?.click !== false) await button.first().click();
  return json({ message, detail });
}

/**
 * A notification as a person finds it: its toast, or, when no toast shows (the workbench in this
 * headless browser does not always lay toasts out), the notification center opened from the bell
 * in the status bar, where every notification is listed with the same buttons.
 */
async function notificationButton(page: Page, body: string): Promise<InputReply> {
  const request = parse(body);
  const text = request?.text;
  const label = request?.label;
  if (typeof text !== 'string' || !text || typeof label !== 'string' || !label) return bad('POST {"text": "…", "label": "…"}: part of the notification message and the button to click');
  const items = page.locator('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item');
  // The notification with that text that has that button (a progress notification may share the text).
  const buttonIn = (scope: Locator | Page): Locator => scope.locator('.notification-list-item-buttons-container .monaco-button').filter({ hasText: new RegExp(`^${escapeRegExp(label)}$`) });
  const item = items.filter({ has: page.locator('.notification-list-item-message', { hasText: text }) }).filter({ has: buttonIn(page) }).last();
  const button = buttonIn(item).first();
  const bell = page.locator('[id="status.notifications"] a, [id="status.notifications"]').first();
  const center = page.locator('.notifications-center.visible');
  const deadline = Date.now() + waitMs(request?.timeoutMs);
  while (!(await button.isVisible().catch(() => false))) {
    if (Date.now() > deadline) {
      const seen = await items.evaluateAll((all) => all.map((i) => (i as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').slice(0, 300)));
      return { status: 404, body: `no notification with "${text}" and a button "${label}" appeared; notifications listed: ${JSON.stringify(seen)}\n`, type: 'text/plain' };
    }
    if (!(await center.isVisible().catch(() => false)) && (await bell.isVisible().catch(() => false))) {
      await bell.click().catch(() => undefined);
      await page.waitForTimeout(300); // the list lays itself out before its buttons are clicked
    }
    await page.waitForTimeout(300);
  }
  const message = ((await item.locator('.notification-list-item-message').textContent()) ?? '').trim();
  // The list stays open: closing it (a key, the bell) could also answer or hide a dialog the button opens.
  if (request?.click !== false) {
    // An answered notification closes. One that is still there took the click while the list was
    // still moving (a notification arriving above it): a person clicks once more.
    for (let attempt = 0; attempt < 2; attempt++) {
      await button.click();
      const closed = await item.waitFor({ state: 'detached', timeout: 3_000 }).then(() => true, () => false);
      if (closed) break;
      log(`notification "${text}" still shown after clicking "${label}"${attempt === 0 ? ': clicking again' : ''}`);
    }
  }
  return json({ message });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The test-window check in DialogService.skipDialogs() of the pinned code-server's workbench. */
const TEST_WINDOW_CHECK = /(skipDialogs\(\)\{return [^{}]*?)(this\.environmentService\.isExtensionDevelopment&&!!this\.environmentService\.extensionTestsLocationURI)\}/g;
const DIALOG_FLAG = '__mailroomShowDialogs';
let dialogSwitchInstalled = false;

/**
 * Serves the workbench bundle with skipDialogs() asking `globalThis.__mailroomShowDialogs` first.
 * The flag is off until a test turns it on, so every other test sees dialogs refused as before.
 */
export async function routeDialogSwitch(context: BrowserContext): Promise<void> {
  await context.route('**/out/vs/code/browser/workbench/workbench.js', async (route) => {
    const response = await route.fetch();
    const original = await response.text();
    const patched = original.replace(TEST_WINDOW_CHECK, `$1!globalThis.${DIALOG_FLAG}&&$2}`);
    dialogSwitchInstalled = patched !== original;
    if (!dialogSwitchInstalled) log('the workbench has no DialogService.skipDialogs() as expected: tests cannot answer modal dialogs');
    const headers = { ...response.headers() };
    delete headers['content-length'];
    delete headers['content-encoding'];
    await route.fulfill({ status: response.status(), headers, body: patched });
  });
}

async function dialogSwitch(page: Page, body: string): Promise<InputReply> {
  const show = parse(body)?.show;
  if (typeof show !== 'boolean') return bad('POST {"show": true | false}');
  if (!dialogSwitchInstalled) return { status: 501, body: 'modal dialogs cannot be shown in this window (the workbench was not patched)\n', type: 'text/plain' };
  await page.evaluate(`globalThis.${DIALOG_FLAG} = ${show}`);
  return { status: 200, body: 'ok\n', type: 'text/plain' };
}
