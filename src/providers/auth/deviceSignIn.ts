/**
 * Sign-in with a code on another device (RFC 8628) for where a loopback redirect cannot reach the
 * browser: the code goes to the clipboard and into a notification with the page to enter it on,
 * and a cancellable progress notification waits while the token endpoint is polled.
 */
import * as vscode from 'vscode';
import { openSignInPage } from './signInPage';
import type { DeviceAuthorization, OAuthClient, TokenSet } from '../../protocol/oauth/tokens';
import { loadEngine } from '../../loadEngine';

export interface DeviceSignInOptions {
  client: OAuthClient;
  scope: string;
  accountName: string;
  /** Ends the wait (a newer sign-in of the same account replaced this one). */
  signal?: AbortSignal;
}

const OPEN_PAGE = (): string => vscode.l10n.t('Open Page');
const COPY_CODE = (): string => vscode.l10n.t('Copy Code');

/** The tokens, or undefined when the user cancelled; errors (expired code, declined) are thrown. */
export async function signInWithDeviceCode(options: DeviceSignInOptions): Promise<TokenSet | undefined> {
  const { pollDeviceToken, startDeviceAuthorization } = loadEngine();
  const device = await startDeviceAuthorization(options.client, options.scope);
  await copyCode(device.userCode);
  const done = new AbortController();
  const onReplaced = (): void => done.abort();
  options.signal?.addEventListener('abort', onReplaced, { once: true });
  void offerPage(device, options.accountName, done.signal);
  try {
    return await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Signing in to {0}: enter the code {1} at {2}', options.accountName, device.userCode, device.verificationUri),
        cancellable: true,
      },
      async (progress, token) => {
        const minutes = Math.max(1, Math.round((device.expiresAt - Date.now()) / 60_000));
        progress.report({ message: vscode.l10n.t('waiting (the code is valid for {0} minutes)…', minutes) });
        const cancel = token.onCancellationRequested(() => done.abort());
        try {
          return await pollDeviceToken(options.client, device, { signal: done.signal, sleep: (ms) => abortableSleep(ms, done.signal) });
        } catch (err) {
          if (done.signal.aborted) return undefined;
          throw err;
        } finally {
          cancel.dispose();
        }
      },
    );
  } finally {
    done.abort();
    options.signal?.removeEventListener('abort', onReplaced);
  }
}

/** The notification a person reads the code from, with the page to open; shown again after Copy Code. */
async function offerPage(device: DeviceAuthorization, accountName: string, done: AbortSignal): Promise<void> {
  for (let shown = 0; shown < 10 && !done.aborted; shown++) {
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('To sign in to {0}, open {1} and enter the code {2} (it is on the clipboard).', accountName, device.verificationUri, device.userCode),
      OPEN_PAGE(),
      COPY_CODE(),
    );
    if (done.aborted) return;
    if (choice === OPEN_PAGE()) {
      await openSignInPage(device.verificationUri);
      return;
    }
    if (choice !== COPY_CODE()) return;
    await copyCode(device.userCode);
  }
}

async function copyCode(code: string): Promise<void> {
  try {
    await vscode.env.clipboard.writeText(code);
  } catch {
    // A browser may refuse the clipboard; the code is in the notification too.
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
