import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { FolderInfo } from '../../protocol/imap/folders';
import type { MessageSummary } from '../../protocol/imap/messages';
import type { ProtocolLog } from '../../protocol/log';
import { Disposable } from '../../util/dispose';
import type { AccountRepository } from '../accounts';
import type { SessionRegistry } from '../sessions';
import { AccountNode, FolderNode, LoadMoreNode, MailNode, MessageNode, nodeIds, StatusNode } from './nodes';

interface FolderListing {
  messages: MessageSummary[];
  uids: Set<number>;
  total: number;
  uidValidity: string;
  olderThanSeq: number | undefined;
}

type Loaded<T> = { ok: true; value: T } | { ok: false; error: MailError };

/**
 * What the tree shows, fetched on demand and cached until refreshed. Node objects are cached too,
 * so `getParent`/`reveal` work and the same node is handed out for the same item.
 */
export class MailTreeModel extends Disposable {
  private readonly _onDidChangeData = this._register(new vscode.EventEmitter<MailNode | undefined>());
  readonly onDidChangeData = this._onDidChangeData.event;

  private accountNodes: AccountNode[] | undefined;
  private readonly folderChildren = new Map<string, Promise<Loaded<FolderNode[]>>>();
  private readonly listings = new Map<string, Promise<Loaded<FolderListing>>>();
  private readonly subfolders = new WeakMap<FolderNode, FolderNode[]>();

  constructor(
    private readonly repository: AccountRepository,
    private readonly sessions: SessionRegistry,
    private readonly log: ProtocolLog,
  ) {
    super();
    this._register(repository.onDidChange(() => this.refresh()));
  }

  getRoots(): AccountNode[] {
    this.accountNodes ??= this.repository.list().map((account) => ({ kind: 'account', id: nodeIds.account(account.id), parent: undefined, account }));
    return this.accountNodes;
  }

  async getChildren(node: MailNode | undefined): Promise<MailNode[]> {
    if (!node) return this.getRoots();
    switch (node.kind) {
      case 'account':
        return this.accountChildren(node);
      case 'folder':
        return this.folderChildrenOf(node);
      default:
        return [];
    }
  }

  /** Forgets cached data below `node` (everything when undefined) and tells the tree. */
  refresh(node?: AccountNode | FolderNode): void {
    if (!node) {
      this.accountNodes = undefined;
      this.folderChildren.clear();
      this.listings.clear();
      void this.sessions.reconcile(this.repository.list());
    } else if (node.kind === 'account') {
      this.forgetUnder(node.id);
    } else {
      this.listings.delete(node.id);
    }
    this._onDidChangeData.fire(node);
  }

  /** Fetches the next older page of a folder and appends it. */
  async loadMore(folderNode: FolderNode): Promise<void> {
    const current = await this.listings.get(folderNode.id);
    if (!current?.ok || current.value.olderThanSeq === undefined) return;
    const listing = current.value;
    const page = await this.sessions.get(folderNode.account).fetchPage(folderNode.folder.path, { endSeq: listing.olderThanSeq, pageSize: pageSize() });
    for (const m of page.messages) {
      if (listing.uids.has(m.uid)) continue; // a message shifted into this page by an expunge
      listing.uids.add(m.uid);
      listing.messages.push(m);
    }
    listing.total = page.total;
    listing.olderThanSeq = page.olderThanSeq;
    this._onDidChangeData.fire(folderNode);
  }

  findAccount(accountId: string): AccountNode | undefined {
    return this.getRoots().find((n) => n.account.id === accountId);
  }

  private forgetUnder(prefix: string): void {
    for (const map of [this.folderChildren, this.listings] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) if (key === prefix || key.startsWith(`${prefix}/`)) map.delete(key);
    }
  }

  private async accountChildren(node: AccountNode): Promise<MailNode[]> {
    if (node.account.protocol !== 'imap') {
      return [status(node, 'info', 'POP3 mailboxes are not supported by this version of Mailroom yet.')];
    }
    let loading = this.folderChildren.get(node.id);
    if (!loading) {
      loading = settle(this.sessions.get(node.account).listFolders()).then((r) => (r.ok ? { ok: true, value: folderNodes(node, r.value) } : r));
      this.folderChildren.set(node.id, loading);
    }
    const result = await loading;
    if (result.ok) return result.value;
    this.folderChildren.delete(node.id); // a failure is not cached: expanding again retries
    this.log.warn(`listing folders failed: ${result.error.message} ${result.error.detail ?? ''}`);
    return [status(node, 'error', result.error.message, result.error)];
  }

  private async folderChildrenOf(node: FolderNode): Promise<MailNode[]> {
    let subfolders = this.subfolders.get(node);
    if (!subfolders) {
      subfolders = folderNodes(node, node.folder.children);
      this.subfolders.set(node, subfolders);
    }
    if (!node.folder.selectable) return subfolders;
    let loading = this.listings.get(node.id);
    if (!loading) {
      loading = settle(this.sessions.get(node.account).fetchPage(node.folder.path, { pageSize: pageSize() })).then((r) =>
        r.ok
          ? { ok: true, value: { messages: r.value.messages, uids: new Set(r.value.messages.map((m) => m.uid)), total: r.value.total, uidValidity: r.value.uidValidity, olderThanSeq: r.value.olderThanSeq } }
          : r,
      );
      this.listings.set(node.id, loading);
    }
    const result = await loading;
    if (!result.ok) {
      this.listings.delete(node.id);
      this.log.warn(`listing ${node.folder.path} failed: ${result.error.message} ${result.error.detail ?? ''}`);
      return [...subfolders, status(node, 'error', result.error.message, result.error)];
    }
    const listing = result.value;
    const messages: MailNode[] = listing.messages.map((summary) => messageNode(node, listing.uidValidity, summary));
    const remaining = listing.olderThanSeq ?? 0;
    if (remaining > 0) {
      const more: LoadMoreNode = { kind: 'loadMore', id: nodeIds.loadMore(node.account.id, node.folder.path), parent: node, remaining };
      messages.push(more);
    }
    if (listing.messages.length === 0) messages.push(status(node, 'info', 'No messages'));
    return [...subfolders, ...messages];
  }
}

function folderNodes(parent: AccountNode | FolderNode, folders: FolderInfo[]): FolderNode[] {
  const account = parent.account;
  return folders.map((folder) => ({ kind: 'folder', id: nodeIds.folder(account.id, folder.path), parent, account, folder }));
}

function messageNode(parent: FolderNode, uidValidity: string, summary: MessageSummary): MessageNode {
  const { account, folder } = parent;
  return { kind: 'message', id: nodeIds.message(account.id, folder.path, uidValidity, summary.uid), parent, account, path: folder.path, uidValidity, summary };
}

function status(parent: AccountNode | FolderNode, severity: StatusNode['severity'], message: string, error?: MailError): StatusNode {
  return { kind: 'status', id: nodeIds.status(parent.id), parent, severity, message, ...(error ? { error } : {}) };
}

async function settle<T>(promise: Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return { ok: false, error: MailError.is(err) ? err : new MailError('Unknown', err instanceof Error ? err.message : String(err), { cause: err }) };
  }
}

function pageSize(): number {
  return Math.max(10, Math.min(500, vscode.workspace.getConfiguration('mailroom').get<number>('pageSize', 50)));
}

