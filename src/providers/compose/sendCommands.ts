/**
 * Send (the compose tab's document, or a message built elsewhere such as an invitation's answer):
 * into the outbox first, then delivered with a progress notification, and the outcome announced
 * with what the user can do next (Show Outbox, Edit, Retry).
 */
import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { MailAddress } from '../../protocol/mime/types';
import type { BuiltMessage } from '../../protocol/smtp/buildMessage';
import type { DeliveryOutcome } from '../../protocol/smtp/deliver';
import type { OutboxEntry } from '../../store/outbox';
import { loadEngine } from '../../loadEngine';
import { localizedErrorMessage } from '../errorText';
import type { OutboxEntryNode } from '../tree/nodes';
import type { DeliveryReport } from './composeCommands';
import { ComposeHost, EDIT, RETRY, SHOW_OUTBOX, shownSubject } from './composeHost';
import { assertCanSend, deliverEntry, enqueue, prepareMessage } from './sending';

/** Sends the compose document in the active editor (or the given one). */
export async function sendDocument(host: ComposeHost, uri?: vscode.Uri): Promise<DeliveryReport | undefined> {
  const found = await host.activeSession(uri);
  if (!found) return undefined;
  const { document, meta, account, store } = found;
  // Ctrl+Enter pressed twice, or Send while the first is still being prepared: one message.
  if (meta.sent || host.preparing.has(meta.id)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('This message is already in the outbox.'));
    return undefined;
  }
  host.preparing.add(meta.id);
  let entry: OutboxEntry;
  try {
    const editors = await host.editors();
    const text = await editors.flush(document);
    const ready = await prepareMessage(store, meta, account, text, 'send');
    assertCanSend(account, ready.identity);
    if (!ready.parsed.subject.trim()) {
      const sendLabel = vscode.l10n.t('Send');
      const choice = await vscode.window.showWarningMessage(vscode.l10n.t('This message has no subject. Send it anyway?'), { modal: true }, sendLabel);
      if (choice !== sendLabel) return undefined;
    }
    entry = await enqueue(host.sendingDeps(store), meta, ready);
    host.invalidateCompletion(account.id);
    await editors.closeQuietly(meta);
  } finally {
    host.preparing.delete(meta.id);
  }
  return host.deliverWithProgress(entry, account);
}

/**
 * Sends a message built elsewhere (an invitation's answer) the way Send does: outbox first, then
 * delivery with the Sent copy, the progress notification and the same failure handling.
 */
export async function sendBuilt(host: ComposeHost, account: AccountConfig, built: BuiltMessage, subject: string, recipients: MailAddress[]): Promise<DeliveryReport> {
  assertCanSend(account);
  const entry = await host.outbox.add({ accountId: account.id, subject, recipients: recipients.map(loadEngine().formatAddress), envelope: built.envelope }, built);
  return host.deliverWithProgress(entry, account);
}

export async function deliverWithProgress(host: ComposeHost, entry: OutboxEntry, account: AccountConfig): Promise<DeliveryReport> {
  const store = await host.store();
  const subject = entry.subject || vscode.l10n.t('(no subject)');
  const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Sending “{0}”…', shownSubject(entry.subject)) }, () =>
    deliverEntry(host.sendingDeps(store), entry.id, account).catch((err: unknown): DeliveryOutcome => ({ status: 'failed', error: MailError.from(err) })),
  );
  const report: DeliveryReport = { outboxId: entry.id, subject, outcome, ...(entry.composeId ? { composeId: entry.composeId } : {}) };
  if (outcome.status !== 'failed' && entry.composeId) {
    // The server has it: the local session is no longer needed (the outbox keeps what is left to do).
    await store.remove(entry.composeId).catch((err: unknown) => host.deps.log.warn(`compose session not removed: ${String(err)}`));
  }
  host.delivered(report);
  void announce(host, entry, outcome);
  return report;
}

async function announce(host: ComposeHost, entry: OutboxEntry, outcome: DeliveryOutcome): Promise<void> {
  const subject = shownSubject(entry.subject);
  let choice: string | undefined;
  if (outcome.status === 'sent') {
    if (outcome.warnings.length === 0) {
      vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) Sent “{0}”', subject), 5000);
      return;
    }
    choice = await vscode.window.showWarningMessage(vscode.l10n.t('Sent “{0}”, but: {1}', subject, outcome.warnings.join(' ')), SHOW_OUTBOX(), RETRY());
  } else if (outcome.status === 'partial') {
    const who = outcome.rejected.map((r) => `${r.address} (${r.response})`).join(', ');
    choice = await vscode.window.showWarningMessage(vscode.l10n.t('“{0}” was sent, but the server refused {1}. It stays in the outbox for those recipients.', subject, who), SHOW_OUTBOX(), RETRY());
  } else {
    const said = outcome.error.detail && !outcome.error.message.includes(outcome.error.detail) ? ` (${outcome.error.detail})` : '';
    host.deps.log.error(`sending “${subject}” failed: ${outcome.error.code} ${outcome.error.message}${said}`);
    choice = await vscode.window.showErrorMessage(vscode.l10n.t('“{0}” was not sent: {1} It is kept in the outbox.', subject, `${localizedErrorMessage(outcome.error)}${said}`), SHOW_OUTBOX(), EDIT(), RETRY());
  }
  const node = host.deps.model.outboxRoot()?.entries.find((e) => e.id === entry.id);
  const arg: Partial<OutboxEntryNode> = { kind: 'outboxEntry', id: `outbox/${entry.id}`, entry: node ?? entry };
  if (choice === SHOW_OUTBOX()) await revealOutbox(host);
  else if (choice === EDIT()) await vscode.commands.executeCommand('mailroom.editOutboxMessage', arg);
  else if (choice === RETRY()) await vscode.commands.executeCommand('mailroom.retrySend', arg);
}

async function revealOutbox(host: ComposeHost): Promise<void> {
  await vscode.commands.executeCommand('workbench.view.extension.mailroom').then(undefined, () => undefined);
  await host.deps.model.getChildren(undefined);
  const root = host.deps.model.outboxRoot();
  if (root) await Promise.resolve(host.deps.treeView.reveal(root, { expand: true, focus: true })).catch(() => undefined);
}
