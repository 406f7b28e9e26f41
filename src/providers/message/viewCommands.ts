import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { HeadersViewModel } from '../../shared/headersView';
import { reportError } from '../errors';
import { MessagePanel, MessagePanelManager, MessageSourceProvider, RenderedReport } from '../messagePanel';
import type { MailNode, MessageNode } from '../tree/nodes';
import { AttachmentActions } from './attachmentActions';
import { buildHeadersModel } from './headersModel';
import { HeadersPanel, HeadersRenderedReport } from './headersPanel';
import { applyMessagePatch, ApplyPatchOptions, findMessagePatch, openPatchDocument } from './patchActions';
import { rememberAllowedSender } from './remoteSenders';
import { MessageSourceFileSystem } from './sourceDocuments';
import { loadEngine } from '../../loadEngine';

export interface MessageViewCommandDeps {
  panels: MessagePanelManager;
  /** The same source provider the panels use (MessageSources). */
  sources: MessageSourceProvider;
  treeView: vscode.TreeView<MailNode>;
  log: ProtocolLog;
  extensionUri: vscode.Uri;
}

/** What a command acts on: a MessageNode argument, a panel key, the active message panel, or the tree's single selected message. */
type Target = { node: MessageNode; panel: MessagePanel | undefined };

/**
 * The message view's commands: remote content, View Source, Inspect Headers, patches and
 * attachments. Each returns what it did (tests drive them with arguments instead of dialogs).
 */
export function registerMessageViewCommands(deps: MessageViewCommandDeps): vscode.Disposable {
  const { fs: sourceFs, disposable: sourceFsRegistration } = MessageSourceFileSystem.register(deps.sources);
  const attachments = new AttachmentActions(deps.sources);
  let headersPanel: HeadersPanel | undefined;

  const target = (arg: unknown): Target | undefined => {
    if (typeof arg === 'string') {
      const panel = deps.panels.get(arg);
      return panel ? { node: panel.node, panel } : undefined;
    }
    if (isMessageNode(arg)) return { node: arg, panel: deps.panels.panelFor(arg) };
    const active = deps.panels.activePanel();
    if (active) return { node: active.node, panel: active };
    const selected = deps.treeView.selection.filter(isMessageNode);
    return selected.length === 1 ? { node: selected[0], panel: deps.panels.panelFor(selected[0]) } : undefined;
  };

  /** Runs `fn` on the target, or says what to do when there is none; errors end at the command boundary. */
  const command = <T>(id: string, title: string, fn: (t: Target, ...rest: unknown[]) => Promise<T>) =>
    vscode.commands.registerCommand(id, async (arg?: unknown, ...rest: unknown[]): Promise<T | undefined> => {
      const t = target(arg);
      if (!t) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Open or select a message first.'));
        return undefined;
      }
      try {
        return await fn(t, ...rest);
      } catch (err) {
        await reportError(deps.log, title, err);
        return undefined;
      }
    });

  const loadRemote = async (t: Target): Promise<RenderedReport | undefined> => {
    const panel = t.panel ?? deps.panels.open(t.node);
    if (!panel.model) await panel.nextRender();
    return panel.loadRemoteContent();
  };

  return vscode.Disposable.from(
    sourceFsRegistration,
    attachments,
    { dispose: () => headersPanel?.dispose() },
    command('mailroom.loadRemoteContent', 'Loading remote content', loadRemote),
    command('mailroom.alwaysLoadRemoteContentFromSender', 'Allowing remote content', async (t) => {
      const address = t.panel?.model?.fromAddress || (await loadEngine().parseMessageStream(await deps.sources.load(t.node))).from.find((a) => a.address)?.address || '';
      const next = await rememberAllowedSender(address);
      if (t.panel) await loadRemote(t);
      return next;
    }),
    command('mailroom.viewSource', 'Opening the message source', async (t) => {
      const uri = sourceFs.uriFor(t.panel?.key ?? t.node.id, t.node);
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document, { preview: false });
      return uri;
    }),
    command('mailroom.inspectHeaders', 'Inspecting headers', async (t): Promise<{ model: HeadersViewModel; rendered: HeadersRenderedReport }> => {
      const model = buildHeadersModel(await loadEngine().parseMessageStream(await deps.sources.load(t.node)));
      if (headersPanel) return { model, rendered: await headersPanel.show(model) };
      const panel = new HeadersPanel(model, deps.extensionUri, deps.log);
      headersPanel = panel;
      panel.onDidDispose(() => {
        if (headersPanel === panel) headersPanel = undefined;
      });
      return { model, rendered: await panel.nextRender() };
    }),
    command('mailroom.openPatch', 'Opening the patch', async (t) => (await openPatchDocument(await findMessagePatch(t.node, deps.sources, attachments))).uri),
    command('mailroom.applyPatch', 'Applying the patch', async (t, options) =>
      applyMessagePatch(await findMessagePatch(t.node, deps.sources, attachments), isApplyOptions(options) ? options : {}),
    ),
    command('mailroom.saveAttachment', 'Saving the attachment', async (t, index, targetUri) =>
      attachments.save(t.node, attachmentIndex(index), targetUri instanceof vscode.Uri ? targetUri : undefined),
    ),
    command('mailroom.openAttachment', 'Opening the attachment', async (t, index) => attachments.open(t.node, attachmentIndex(index))),
  );
}

function isMessageNode(value: unknown): value is MessageNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'message' && typeof (value as { id?: unknown }).id === 'string';
}

function isApplyOptions(value: unknown): value is ApplyPatchOptions {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri);
}

function attachmentIndex(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new MailError('MessageNotFound', 'No attachment was chosen.');
}
