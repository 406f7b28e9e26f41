import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { decideLink, LinkDecision } from './linkPolicy';

/** What a decided link does in VS Code. */
export interface LinkActions {
  /** Shows the real destination of a link whose text shows something else; resolves true to open it. */
  confirm(decision: Extract<LinkDecision, { kind: 'confirm' }>): Promise<boolean>;
  open(url: string): Promise<void>;
  compose(address: string): Promise<void>;
  refuse(reason: string): void;
}

/** The real dialogs, browser and compose command. */
export const vscodeLinkActions: LinkActions = {
  async confirm(decision) {
    const openLabel = vscode.l10n.t('Open Link');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('This link goes to {0}', decision.realHost),
      { modal: true, detail: `${decision.reason}\n\n${vscode.l10n.t('Real destination:')}\n${decision.url}` },
      openLabel,
    );
    return choice === openLabel;
  },
  async open(url) {
    await vscode.env.openExternal(vscode.Uri.parse(url, true));
  },
  async compose(address) {
    await vscode.commands.executeCommand('mailroom.compose', { to: address });
  },
  refuse(reason) {
    void vscode.window.showWarningMessage(reason);
  },
};

/**
 * A link clicked in a message: refused, opened, shown first (when what it shows is not where it
 * goes), or turned into a new message (mailto). The decision is linkPolicy's; this only acts on it.
 */
export async function openMessageLink(link: { href: string; text: string; shown?: string }, log: ProtocolLog, actions: LinkActions, decided?: (decision: LinkDecision) => void): Promise<void> {
  const decision = decideLink(link.href, link.text, link.shown);
  decided?.(decision);
  switch (decision.kind) {
    case 'refuse':
      log.info(`link not opened: ${decision.reason}`);
      actions.refuse(decision.reason);
      return;
    case 'mailto':
      await actions.compose(decision.address);
      return;
    case 'confirm':
      log.info(`link shown before opening: ${decision.reason}`);
      if (await actions.confirm(decision)) await actions.open(decision.url);
      return;
    case 'open':
      await actions.open(decision.url);
      return;
  }
}
