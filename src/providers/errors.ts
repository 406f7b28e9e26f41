import * as vscode from 'vscode';
import { MailError } from '../protocol/errors';
import type { ProtocolLog } from '../protocol/log';
import { localizedErrorMessage } from './errorText';

/**
 * The command boundary: logs the error with its context and detail, and shows the user one
 * sentence they can act on. Never throws, so a failing command cannot take anything down.
 */
export async function reportError(log: ProtocolLog, context: string, err: unknown, actions: string[] = []): Promise<string | undefined> {
  const message = MailError.is(err) ? err.message : `${context} failed: ${err instanceof Error ? err.message : String(err)}`;
  const detail = MailError.is(err) && err.detail ? ` (${err.detail})` : '';
  log.error(`${context}: ${message}${detail}`);
  const shown = MailError.is(err) ? localizedErrorMessage(err) : vscode.l10n.t('{0} failed: {1}', context, err instanceof Error ? err.message : String(err));
  try {
    return await vscode.window.showErrorMessage(shown, ...actions);
  } catch {
    return undefined;
  }
}

export function errorSummary(err: unknown): { code: string; message: string } {
  if (MailError.is(err)) return { code: err.code, message: err.message };
  return { code: 'Unknown', message: err instanceof Error ? err.message : String(err) };
}
