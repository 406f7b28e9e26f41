// Keyboard and mouse in the workbench, through the code-server runner's browser service (see
// runners/input.ts): for tests that drive an interactive command the way a person does.
import { hasBrowserService, post } from './harness';

function serviceUrl(): string {
  const base = process.env.MAILROOM_SCREENSHOT_URL;
  if (!base) throw new Error('MAILROOM_SCREENSHOT_URL is not set: typing into the workbench needs the code-server runner');
  return base;
}

/** Whether keyboard and dialogs can be driven (the code-server runner; not desktop test-cli). */
export const canDriveInput = hasBrowserService;

/** Types text into whatever has focus. */
export async function typeText(text: string): Promise<void> {
  await post(`${serviceUrl()}/keyboard`, JSON.stringify({ type: 'text', value: text }));
}

/** Presses one key chord ('Enter', 'Control+A'). */
export async function pressKey(chord: string): Promise<void> {
  await post(`${serviceUrl()}/keyboard`, JSON.stringify({ type: 'press', value: chord }));
}

export interface QuickInputState {
  title: string;
  /** The prompt, or the validation message when the input is invalid. */
  message: string;
  /** What the input box holds. */
  value: string;
}

/** Waits until the quick input shows a title containing `title`. */
export async function waitForQuickInput(title: string, timeoutMs = 15_000): Promise<QuickInputState> {
  return JSON.parse(await post(`${serviceUrl()}/quick-input?title=${encodeURIComponent(title)}&timeoutMs=${timeoutMs}`)) as QuickInputState;
}

export interface DialogText {
  message: string;
  detail: string;
}

/** Waits for a modal dialog with a button labelled exactly `label`, clicks it; the dialog's text. */
export async function clickDialogButton(label: string, timeoutMs = 15_000): Promise<DialogText> {
  return JSON.parse(await post(`${serviceUrl()}/dialog-button`, JSON.stringify({ label, timeoutMs }))) as DialogText;
}

/** Waits for a modal dialog with a button labelled exactly `label`, without clicking it. */
export async function waitForDialogButton(label: string, timeoutMs = 15_000): Promise<DialogText> {
  return JSON.parse(await post(`${serviceUrl()}/dialog-button`, JSON.stringify({ label, timeoutMs, click: false }))) as DialogText;
}

/** Waits for a notification whose message contains `text` and clicks its button `label`; the message. */
export async function clickNotificationButton(text: string, label: string, timeoutMs = 15_000): Promise<string> {
  return (JSON.parse(await post(`${serviceUrl()}/notification-button`, JSON.stringify({ text, label, timeoutMs }))) as { message: string }).message;
}

/** Waits for a notification whose message contains `text` and has a button `label`, without clicking. */
export async function waitForNotification(text: string, label: string, timeoutMs = 15_000): Promise<string> {
  return (JSON.parse(await post(`${serviceUrl()}/notification-button`, JSON.stringify({ text, label, timeoutMs, click: false }))) as { message: string }).message;
}

/**
 * Lets modal dialogs open in this window while `body` runs (VS Code refuses them in a window that
 * runs extension tests; the runner can lift that for one test).
 */
export async function withDialogs<T>(body: () => Promise<T>): Promise<T> {
  await post(`${serviceUrl()}/dialogs`, JSON.stringify({ show: true }));
  try {
    return await body();
  } finally {
    await post(`${serviceUrl()}/dialogs`, JSON.stringify({ show: false }));
  }
}
