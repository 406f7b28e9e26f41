/**
 * Starting a message: New Message (or a mailto: link), New Message from Template, and Reply / Reply
 * All / Forward / Forward as Attachment of the selected or open message. Each opens a compose tab.
 */
import * as vscode from 'vscode';
import type { ComposeMeta, ComposeMode } from '../../store/composeStore';
import { loadEngine } from '../../loadEngine';
import { mailroomSettings } from '../settings';
import type { MailNode } from '../tree/nodes';
import type { ComposeArgs } from './composeCommands';
import type { ComposeHost } from './composeHost';
import { pickTemplate, reportTemplateProblems, startFromTemplate, TemplateArgs, TemplateStart } from './templates';
import { startFromMessage, startNewMessage } from './startCompose';
import { accountForNewMessage, targetMessage } from './targets';

export async function composeNew(host: ComposeHost, arg?: ComposeArgs | MailNode): Promise<ComposeMeta | undefined> {
  const args: ComposeArgs = isComposeArgs(arg) ? arg : {};
  const account = await accountForNewMessage(host.deps.repository, host.deps.treeView, args.accountId ?? accountIdOfNode(arg));
  if (!account) return undefined;
  const store = await host.store();
  const meta = await startNewMessage(store, account, args.to ? loadEngine().parseMailto(args.to) : {});
  await host.show(meta, 'to');
  return meta;
}

/** A new message from a template: Quick Pick (or `template`), the account, then placeholders filled in. */
export async function composeFromTemplate(host: ComposeHost, args: TemplateArgs = {}): Promise<TemplateStart | undefined> {
  // The selection of the editor the user came from, before any picker takes the focus.
  const editor = vscode.window.activeTextEditor;
  const selection = args.selection ?? (editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : undefined);
  const file = await pickTemplate({ storageDir: host.deps.storageDir, log: host.deps.log }, args.template);
  if (!file) return undefined;
  const account = await accountForNewMessage(host.deps.repository, host.deps.treeView, args.accountId);
  if (!account) return undefined;
  const started = await startFromTemplate(await host.store(), account, file, args, selection);
  await host.show(started.meta, started.cursor ?? 'body');
  reportTemplateProblems(host.deps.log, file, started.expanded);
  return started;
}

export async function respond(host: ComposeHost, mode: Exclude<ComposeMode, 'new'>, arg?: unknown): Promise<ComposeMeta | undefined> {
  const node = targetMessage(arg, host.deps.panels, host.deps.treeView);
  if (!node) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Select one message in the Mail view, or open it, then run {0} again.', MODE_TITLES()[mode]));
    return undefined;
  }
  const account = host.deps.repository.get(node.account.id) ?? node.account;
  const store = await host.store();
  const meta = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: MODE_PROGRESS()[mode] }, async () => {
    const source = await host.deps.sources.load(node);
    return startFromMessage(store, account, node, source, mode, { signaturePlacement: mailroomSettings().signaturePlacement });
  });
  await host.show(meta, mode === 'reply' || mode === 'replyAll' ? 'body' : 'to');
  return meta;
}

const MODE_TITLES = (): Record<Exclude<ComposeMode, 'new'>, string> => ({
  reply: vscode.l10n.t('Reply'),
  replyAll: vscode.l10n.t('Reply All'),
  forward: vscode.l10n.t('Forward'),
  forwardAsAttachment: vscode.l10n.t('Forward as Attachment'),
});

const MODE_PROGRESS = (): Record<Exclude<ComposeMode, 'new'>, string> => ({
  reply: vscode.l10n.t('Mailroom: preparing reply'),
  replyAll: vscode.l10n.t('Mailroom: preparing reply all'),
  forward: vscode.l10n.t('Mailroom: preparing forward'),
  forwardAsAttachment: vscode.l10n.t('Mailroom: preparing forward as attachment'),
});

function isComposeArgs(value: unknown): value is ComposeArgs {
  if (typeof value !== 'object' || value === null || 'kind' in value) return false;
  const v = value as Record<string, unknown>;
  return (v.to === undefined || typeof v.to === 'string') && (v.accountId === undefined || typeof v.accountId === 'string');
}

function accountIdOfNode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('kind' in value)) return undefined;
  const account = (value as { account?: { id?: unknown } }).account;
  return typeof account?.id === 'string' ? account.id : undefined;
}
