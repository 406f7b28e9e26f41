/**
 * The Outbox node's Retry / Edit / Delete. Edit takes an unsent message back into a compose tab
 * (its session, or one rebuilt from the outbox's bytes) before the outbox lets go of it.
 */
import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { ComposeMeta, ComposeStore } from '../../store/composeStore';
import type { OutboxEntry } from '../../store/outbox';
import { loadEngine } from '../../loadEngine';
import type { DeliveryReport } from './composeCommands';
import { ComposeHost, shownSubject } from './composeHost';

export async function retryOutboxEntry(host: ComposeHost, arg?: unknown): Promise<DeliveryReport | undefined> {
  const entry = await outboxEntry(host, arg);
  if (!entry) return undefined;
  if (entry.state === 'sending') {
    void vscode.window.showInformationMessage(vscode.l10n.t('“{0}” is being sent now.', shownSubject(entry.subject)));
    return undefined;
  }
  const account = host.deps.repository.get(entry.accountId);
  if (!account) throw new MailError('InvalidAccount', vscode.l10n.t('The account of “{0}” no longer exists. Edit the message to send it from another account, or delete it.', shownSubject(entry.subject)), { localized: true });
  return host.deliverWithProgress(entry, account);
}

/** Reopens an unsent outbox message in a compose tab and takes it out of the outbox. */
export async function editOutboxEntry(host: ComposeHost, arg?: unknown): Promise<ComposeMeta | undefined> {
  const entry = await outboxEntry(host, arg);
  if (!entry) return undefined;
  if (entry.state === 'sending' || entry.state === 'sent') {
    void vscode.window.showInformationMessage(
      entry.state === 'sending'
        ? vscode.l10n.t('“{0}” is being sent now.', shownSubject(entry.subject))
        : vscode.l10n.t('“{0}” was already sent; only its follow-up steps are left. Use Retry.', shownSubject(entry.subject)),
    );
    return undefined;
  }
  const store = await host.store();
  let meta = entry.composeId ? await store.get(entry.composeId).catch(() => undefined) : undefined;
  if (meta) meta = await store.update(meta.id, { sent: false, outboxId: undefined });
  else meta = await sessionFromOutbox(host, store, entry);
  // The session holds everything now; only then does the outbox let go of it.
  await host.outbox.remove(entry.id);
  await host.show(meta, 'to');
  return meta;
}

export async function deleteOutboxEntry(host: ComposeHost, arg?: unknown, confirmed = false): Promise<boolean> {
  const entry = await outboxEntry(host, arg);
  if (!entry) return false;
  if (entry.state === 'sending') {
    void vscode.window.showInformationMessage(vscode.l10n.t('“{0}” is being sent now.', shownSubject(entry.subject)));
    return false;
  }
  if (!confirmed) {
    const what = entry.state === 'sent' ? vscode.l10n.t('It was sent; its Sent copy or flag may be missing.') : vscode.l10n.t('It has not been sent and will be lost.');
    const deleteLabel = vscode.l10n.t('Delete');
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('Delete “{0}” from the outbox?', shownSubject(entry.subject)), { modal: true, detail: what }, deleteLabel);
    if (choice !== deleteLabel) return false;
  }
  await host.outbox.remove(entry.id);
  if (entry.composeId) await (await host.store()).remove(entry.composeId);
  return true;
}

async function outboxEntry(host: ComposeHost, arg: unknown): Promise<OutboxEntry | undefined> {
  const id = outboxIdOf(arg);
  if (!id) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Choose a message in the Outbox of the Mail view.'));
    return undefined;
  }
  const entry = (await host.outbox.list()).find((e) => e.id === id);
  if (!entry) void vscode.window.showInformationMessage(vscode.l10n.t('That message is no longer in the outbox.'));
  return entry;
}

/** An outbox entry without its compose session (another window, or lost): rebuild one from its bytes. */
async function sessionFromOutbox(host: ComposeHost, store: ComposeStore, entry: OutboxEntry): Promise<ComposeMeta> {
  const { parseMessageStream, formatAddressList, serializeComposeDocument, streamAttachment } = loadEngine();
  const { sentCopy } = await host.outbox.read(entry.id);
  const parsed = await parseMessageStream(sentCopy);
  const fields = { from: formatAddressList(parsed.from), to: formatAddressList(parsed.to), cc: formatAddressList(parsed.cc), bcc: formatAddressList(parsed.bcc), subject: parsed.subject, body: parsed.text };
  const meta = await store.create({
    accountId: entry.accountId,
    mode: 'new',
    subject: parsed.subject,
    text: serializeComposeDocument(fields),
    references: parsed.references,
    ...(parsed.inReplyTo ? { inReplyTo: parsed.inReplyTo } : {}),
  });
  const names: string[] = [];
  for (const info of parsed.attachments.filter((a) => !a.related)) {
    const attached = await store.attachData(meta.id, info.filename || `attachment-${info.index + 1}`, async (sink) => void (await streamAttachment(sentCopy, info.index, sink)), info.contentType);
    names.push(attached.name);
  }
  const text = serializeComposeDocument({ ...fields, attach: names });
  await store.writeDocument(meta, text);
  return store.update(meta.id, { initialDigest: loadEngine().digest(text) });
}

function outboxIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = (value as { entry?: { id?: unknown } }).entry;
  return typeof entry?.id === 'string' ? entry.id : undefined;
}
