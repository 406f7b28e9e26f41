import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { decideLink, LinkDecision } from './linkPolicy';

/**
 * A link clicked in a message: refused, opened, shown first (when its text names another host), or
 * turned into a new message (mailto). The decision is linkPolicy's; this only talks to VS Code.
 */
export async function openMessageLink(href: string, text: string, log: ProtocolLog, decided?: (decision: LinkDecision) => void): Promise<void> {
  const decision = decideLink(href, text);
  decided?.(decision);
  switch (decision.kind) {
    case 'refuse':
      log.info(`link not opened: ${decision.reason}`);
      void vscode.window.showWarningMessage(decision.reason);
      return;
    case 'mailto':
      await vscode.commands.executeCommand('mailroom.compose', { to: decision.address });
      return;
    case 'confirm': {
      const choice = await vscode.window.showWarningMessage(
        `This link goes to ${decision.realHost}`,
        { modal: true, detail: `${decision.reason}\n\nReal destination:\n${decision.url}` },
        'Open Link',
      );
      if (choice !== 'Open Link') return;
      await vscode.env.openExternal(vscode.Uri.parse(decision.url, true));
      return;
    }
    case 'open':
      await vscode.env.openExternal(vscode.Uri.parse(decision.url, true));
      return;
  }
}
