import * as vscode from 'vscode';
import { MailError } from '../../protocol/errors';
import type { CachedEnvelope, FolderCache } from '../../protocol/imap/cacheContract';
import type { FolderInfo } from '../../protocol/imap/folders';
import type { FolderChange, FolderListing, ImapAccount, SearchHit } from '../../protocol/imap/imapAccount';
import type { SearchCriteria } from '../../protocol/imap/operations/search';
import type { ProtocolLog } from '../../protocol/log';
import { Disposable } from '../../util/dispose';
import type { AccountRepository } from '../accounts';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { Pop3AccountRegistry } from '../pop3Accounts';
import type { CachedPop3Message } from '../../store/pop3';
import { mailroomSettings } from '../settings';
import {
  AccountNode,
  FolderNode,
  LoadMoreNode,
  MailNode,
  MessageItem,
  MessageNode,
  MessageParent,
  nodeIds,
  OutboxEntryNode,
  OutboxEntryView,
  OutboxRootNode,
  Pop3InboxNode,
  SearchNode,
  StatusNode,
  UnifiedInboxNode,
} from './nodes';
import { emptyPop3InboxMessage } from './pop3Placeholder';
import { conversationRows, threadMessageRows } from './conversationRows';
import type { ConversationIndexes } from '../threads/conversations';

type Loaded<T> = { ok: true; value: T } | { ok: false; error: MailError };

/** The outbox as the tree needs it (src/store/outbox.ts Outbox satisfies it). */
export interface OutboxSource {
  list(): Promise<OutboxEntryView[]>;
  onDidChange(listener: () => void): { dispose(): void };
}

/**
 * What the tree shows. Folder lists come from the server (or the last list seen, offline);
 * messages come from the header cache at once, and the tree is told again when a sync, IDLE or
 * another window changes them. Node objects for accounts and folders are kept so `reveal` and
 * `getParent` work and expansion survives refreshes.
 */
export class MailTreeModel extends Disposable {
  private readonly _onDidChangeData = this._register(new vscode.EventEmitter<MailNode | undefined>());
  readonly onDidChangeData = this._onDidChangeData.event;

  private accountNodes: AccountNode[] | undefined;
  private readonly folderLists = new Map<string, Promise<Loaded<FolderListing>>>();
  private readonly folderNodes = new Map<string, FolderNode>();
  private readonly subfolders = new WeakMap<FolderNode, FolderNode[]>();
  private readonly openCaches = new Map<string, FolderCache>();
  private readonly visible = new Map<string, number>();
  private readonly searches = new Map<string, SearchNode[]>();
  private searchSerial = 0;
  private readonly unifiedNode: UnifiedInboxNode = { kind: 'unified', id: nodeIds.unified(), parent: undefined };
  private readonly pop3Nodes = new Map<string, Pop3InboxNode>();
  private readonly pop3Checked = new Set<string>();
  private outbox: OutboxSource | undefined;
  private conversations: ConversationIndexes | undefined;
  private outboxNode: OutboxRootNode | undefined;
  /** Accounts whose last login ended in SignInRequired: their node says so until a login works. */
  private readonly signInNeeded = new Set<string>();

  constructor(
    private readonly repository: AccountRepository,
    private readonly imap: ImapAccountRegistry,
    private readonly pop3: Pop3AccountRegistry,
    private readonly log: ProtocolLog,
  ) {
    super();
    this._register(repository.onDidChange(() => this.refresh()));
    this._register(imap.onDidCreate((account) => this.watch(account)));
    this._register(
      pop3.onDidChange((accountId) => {
        const node = this.pop3Nodes.get(accountId);
        if (node) this._onDidChangeData.fire(node);
        this.fireUnified();
      }),
    );
  }

  getRoots(): AccountNode[] {
    this.accountNodes ??= this.repository.list().map((account) => ({ kind: 'account', id: nodeIds.account(account.id), parent: undefined, account }));
    return this.accountNodes;
  }

  /** The Unified Inbox (with two or more accounts), then the accounts. */
  topLevel(): Array<AccountNode | UnifiedInboxNode> {
    const roots = this.getRoots();
    return roots.length >= 2 ? [this.unifiedNode, ...roots] : roots;
  }

  /** Shows an "Outbox" root node while the outbox holds messages; returns the subscription. */
  attachOutbox(outbox: OutboxSource): { dispose(): void } {
    this.outbox = outbox;
    const subscription = outbox.onDidChange(() => {
      this.outboxNode = undefined;
      this._onDidChangeData.fire(undefined);
    });
    this._onDidChangeData.fire(undefined);
    return {
      dispose: () => {
        subscription.dispose();
        if (this.outbox === outbox) this.outbox = undefined;
      },
    };
  }

  /** Lets folders be listed by conversation (the `mailroom.conversationView` setting). */
  attachConversations(conversations: ConversationIndexes): { dispose(): void } {
    this.conversations = conversations;
    return conversations.onDidChange(({ accountId, path }) => {
      const node = this.findFolder(accountId, path);
      if (node) this._onDidChangeData.fire(node);
    });
  }

  /** The Outbox root as last listed (undefined while the outbox is empty or not read yet). */
  outboxRoot(): OutboxRootNode | undefined {
    return this.outboxNode;
  }

  async getChildren(node: MailNode | undefined): Promise<MailNode[]> {
    if (!node) {
      const outbox = await this.outboxRootNode();
      return outbox ? [outbox, ...this.topLevel()] : this.topLevel();
    }
    switch (node.kind) {
      case 'outbox':
        return node.entries.map((entry): OutboxEntryNode => ({ kind: 'outboxEntry', id: nodeIds.outboxEntry(entry.id), parent: node, entry }));
      case 'account':
        return this.accountChildren(node);
      case 'folder':
        return this.folderChildrenOf(node);
      case 'search':
        return this.searchChildren(node);
      case 'thread':
        return threadMessageRows(node);
      case 'pop3Inbox':
        return this.pop3Children(node);
      case 'unified':
        return this.unifiedChildren(node);
      default:
        return [];
    }
  }

  /** Re-reads from the server below `node` (everything when undefined) and tells the tree. */
  refresh(node?: AccountNode | FolderNode): void {
    if (!node) {
      this.accountNodes = undefined;
      this.folderLists.clear();
      this.folderNodes.clear();
      this.pop3Nodes.clear();
      void this.imap.reconcile(this.repository.list());
      this.pop3.reconcile(this.repository.list());
    } else if (node.kind === 'account' && node.account.protocol === 'pop3') {
      void this.pop3.check(node.account);
    } else if (node.kind === 'account') {
      this.folderLists.delete(node.account.id);
      if (node.account.protocol === 'imap') this.imap.get(node.account).kick();
    } else {
      void this.imap.get(node.account).sync(node.folder.path).catch(() => undefined);
    }
    this._onDidChangeData.fire(node && this.viewNode(node));
  }

  /** Lists everything again from what is cached (a view setting changed); fetches nothing. */
  redraw(): void {
    this._onDidChangeData.fire(undefined);
  }

  /** Shows the next page of a folder from the cache. */
  loadMore(folderNode: FolderNode | Pop3InboxNode | UnifiedInboxNode): Promise<void> {
    this.visible.set(folderNode.id, (this.visible.get(folderNode.id) ?? mailroomSettings().pageSize) + mailroomSettings().pageSize);
    this._onDidChangeData.fire(this.viewNode(folderNode));
    return Promise.resolve();
  }

  /**
   * The node the tree view holds now in place of `node`: folder nodes are made anew each time their
   * account's folders are listed again (it comes online, a folder is created), and the view
   * ignores a change fired for a node it no longer holds (a row listed before that, e.g. Load more).
   */
  private viewNode<T extends MailNode>(node: T): T {
    if (node.kind !== 'folder') return node;
    return (this.findFolder(node.account.id, node.folder.path) as T | undefined) ?? node;
  }

  /** Whether the account's last login ended because the user must sign in again (OAuth2). */
  needsSignIn(accountId: string): boolean {
    return this.signInNeeded.has(accountId);
  }

  findAccount(accountId: string): AccountNode | undefined {
    return this.getRoots().find((n) => n.account.id === accountId);
  }

  /** The folder node handed to the tree for this path, if the tree has shown it. */
  findFolder(accountId: string, path: string): FolderNode | undefined {
    return this.folderNodes.get(nodeIds.folder(accountId, path));
  }

  /**
   * The message row for an envelope of `path`, with the folder node the tree shows (its ancestors
   * are listed as the tree would list them, so a folder not expanded yet still has its node).
   */
  async messageNodeFor(accountId: string, path: string, envelope: CachedEnvelope): Promise<MessageNode | undefined> {
    const accountNode = this.findAccount(accountId);
    if (!accountNode || accountNode.account.protocol !== 'imap') return undefined;
    let folder = this.findFolder(accountId, path);
    let level: MailNode[] = await this.getChildren(accountNode);
    folder ??= this.findFolder(accountId, path); // a top-level folder the tree had not shown yet
    for (let depth = 0; !folder && depth < MAX_FOLDER_DEPTH; depth++) {
      const parent = level.find((n): n is FolderNode => n.kind === 'folder' && isAncestorPath(n.folder.path, n.folder.delimiter, path));
      if (!parent) break;
      level = await this.getChildren(parent);
      folder = this.findFolder(accountId, path);
    }
    if (!folder) return undefined;
    const cache = await this.imap.headers.folder(accountId, path);
    const uidValidity = cache.state()?.uidValidity;
    if (!uidValidity) return undefined;
    return messageNode(folder, imapItem(path, uidValidity, envelope));
  }

  /** The message row for a cached POP3 message, under the account's inbox node. */
  pop3MessageNodeFor(accountId: string, message: CachedPop3Message): MessageNode | undefined {
    const accountNode = this.findAccount(accountId);
    if (!accountNode || accountNode.account.protocol !== 'pop3') return undefined;
    return messageNode(this.pop3InboxNode(accountNode), pop3Item(message));
  }

  /** Unread and total from the synced cache when the folder is open, else from STATUS. */
  counts(node: FolderNode): { unseen?: number; total?: number } {
    const cache = this.openCaches.get(node.id);
    if (cache?.state()) return { unseen: cache.unseenCount(), total: cache.count() };
    return { ...(node.folder.unseen !== undefined ? { unseen: node.folder.unseen } : {}), ...(node.folder.total !== undefined ? { total: node.folder.total } : {}) };
  }

  /** Every folder of an account as last listed (for pickers). */
  async listFolders(accountNode: AccountNode): Promise<FolderInfo[]> {
    const listing = await this.folderListing(accountNode);
    if (!listing.ok) throw listing.error;
    return listing.value.folders;
  }

  /** Runs a server-side search and adds its result node under the account. */
  async search(accountNode: AccountNode, criteria: SearchCriteria, paths: string[], label: string): Promise<SearchNode> {
    const { hits, capped } = await this.imap.get(accountNode.account).search(paths, criteria);
    const node: SearchNode = {
      kind: 'search',
      id: nodeIds.search(accountNode.account.id, ++this.searchSerial),
      parent: accountNode,
      account: accountNode.account,
      label,
      criteria,
      paths,
      capped,
      items: hits.map(hitItem),
    };
    const list = this.searches.get(accountNode.account.id) ?? [];
    list.push(node);
    this.searches.set(accountNode.account.id, list);
    this._onDidChangeData.fire(accountNode);
    return node;
  }

  closeSearch(node: SearchNode): void {
    const list = this.searches.get(node.account.id) ?? [];
    this.searches.set(
      node.account.id,
      list.filter((s) => s.id !== node.id),
    );
    this._onDidChangeData.fire(node.parent);
  }

  // ---- internals -----------------------------------------------------------------------------

  private async outboxRootNode(): Promise<OutboxRootNode | undefined> {
    if (!this.outbox) return undefined;
    let entries: OutboxEntryView[];
    try {
      entries = await this.outbox.list();
    } catch (err) {
      this.log.warn(`outbox unreadable: ${MailError.from(err).message}`);
      return undefined;
    }
    this.outboxNode = entries.length ? { kind: 'outbox', id: nodeIds.outbox(), parent: undefined, entries } : undefined;
    return this.outboxNode;
  }

  private watch(account: ImapAccount): void {
    const subscriptions = [
      account.onDidChangeFolder((change) => this.onFolderChanged(account, change)),
      account.onDidChangeFolders(() => {
        this.folderLists.delete(account.id);
        this._onDidChangeData.fire(this.findAccount(account.id));
      }),
      account.onDidChangeState((state) => {
        if (state === 'online' || state === 'offline') {
          this.folderLists.delete(account.id);
          this._onDidChangeData.fire(this.findAccount(account.id));
        }
      }),
    ];
    this._register({ dispose: () => subscriptions.forEach((s) => s.dispose()) });
  }

  private onFolderChanged(account: ImapAccount, change: FolderChange): void {
    const node = this.findFolder(account.id, change.path);
    if (change.error) this.log.warn(`sync of ${change.path} failed: ${change.error.message} ${change.error.detail ?? ''}`);
    if (node) this._onDidChangeData.fire(node);
    if (change.path.toUpperCase() === 'INBOX') this.fireUnified();
  }

  /**
   * Marks or clears "sign in required" on the account node after a login, and redraws that node
   * only when the mark changes (redrawing lists again, which must not repeat the redraw).
   */
  private noteSignIn(node: AccountNode, error: MailError | undefined): void {
    const needed = MailError.is(error, 'SignInRequired');
    if (needed === this.signInNeeded.has(node.account.id)) return;
    if (needed) this.signInNeeded.add(node.account.id);
    else this.signInNeeded.delete(node.account.id);
    setTimeout(() => this._onDidChangeData.fire(node), 0);
  }

  private fireUnified(): void {
    if (this.getRoots().length >= 2) this._onDidChangeData.fire(this.unifiedNode);
  }

  private pop3InboxNode(node: AccountNode): Pop3InboxNode {
    let inbox = this.pop3Nodes.get(node.account.id);
    if (!inbox || inbox.parent !== node) {
      inbox = { kind: 'pop3Inbox', id: nodeIds.pop3Inbox(node.account.id), parent: node, account: node.account };
      this.pop3Nodes.set(node.account.id, inbox);
    }
    return inbox;
  }

  private async pop3Children(node: Pop3InboxNode): Promise<MailNode[]> {
    if (!this.pop3Checked.has(node.account.id)) {
      // First look in this window: check the server, as opening an IMAP folder syncs it.
      this.pop3Checked.add(node.account.id);
      void this.pop3.check(node.account);
    }
    const rows: MailNode[] = [];
    const error = this.pop3.lastError(node.account.id);
    if (error) rows.push(status(node, 'error', error.message, error));
    this.noteSignIn(node.parent, error);
    let cache;
    try {
      cache = await this.pop3.cache(node.account);
    } catch (err) {
      const e = MailError.from(err);
      return [status(node, 'error', e.message, e)];
    }
    const limit = this.visible.get(node.id) ?? mailroomSettings().pageSize;
    rows.push(...cache.page(0, limit).map((m) => messageNode(node, pop3Item(m))));
    if (cache.size > limit) rows.push({ kind: 'loadMore', id: nodeIds.loadMore(node.id), parent: node, remaining: cache.size - limit });
    const empty = cache.size === 0 && !error ? emptyPop3InboxMessage(this.pop3.checkState(node.account.id)) : undefined;
    if (empty) rows.push(status(node, 'info', empty));
    return rows;
  }

  private async unifiedChildren(node: UnifiedInboxNode): Promise<MailNode[]> {
    const limit = this.visible.get(node.id) ?? mailroomSettings().pageSize;
    const rows: Array<{ account: AccountNode['account']; item: MessageItem }> = [];
    let total = 0;
    const problems: string[] = [];
    for (const accountNode of this.getRoots()) {
      const account = accountNode.account;
      try {
        if (account.protocol === 'imap') {
          const imapAccount = this.imap.get(account);
          const cache = await imapAccount.openFolder('INBOX', limit);
          const uidValidity = imapAccount.uidValidityOf('INBOX', cache);
          total += cache.count();
          for (const e of cache.page(0, limit)) rows.push({ account, item: imapItem('INBOX', uidValidity, e) });
        } else {
          const cache = await this.pop3.cache(account);
          total += cache.size;
          for (const m of cache.page(0, limit)) rows.push({ account, item: pop3Item(m) });
        }
      } catch (err) {
        problems.push(`${account.label ?? account.host}: ${MailError.from(err).message}`);
      }
    }
    rows.sort((a, b) => (b.item.date ?? '').localeCompare(a.item.date ?? ''));
    const shown = rows.slice(0, limit);
    const children: MailNode[] = shown.map(({ account, item }) => ({ kind: 'message', id: nodeIds.message(node.id, account.id, item.location), parent: node, account, item }));
    if (total > shown.length) children.push({ kind: 'loadMore', id: nodeIds.loadMore(node.id), parent: node, remaining: total - shown.length });
    if (problems.length) children.push(status(node, 'error', problems.join('; ')));
    if (children.length === 0) children.push(status(node, 'info', vscode.l10n.t('No messages')));
    return children;
  }

  private folderListing(node: AccountNode): Promise<Loaded<FolderListing>> {
    let loading = this.folderLists.get(node.account.id);
    if (!loading) {
      loading = settle(this.imap.get(node.account).folders());
      this.folderLists.set(node.account.id, loading);
    }
    return loading;
  }

  private async accountChildren(node: AccountNode): Promise<MailNode[]> {
    if (node.account.protocol === 'pop3') return [this.pop3InboxNode(node)];
    const result = await this.folderListing(node);
    this.noteSignIn(node, result.ok ? undefined : result.error);
    if (!result.ok) {
      this.folderLists.delete(node.account.id); // a failure is not cached: expanding again retries
      this.log.warn(`listing folders failed: ${result.error.message} ${result.error.detail ?? ''}`);
      return [status(node, 'error', result.error.message, result.error)];
    }
    const children: MailNode[] = [];
    if (result.value.offline) {
      children.push(status(node, 'offline', vscode.l10n.t('Offline: showing cached mail ({0})', result.value.error?.message ?? vscode.l10n.t('server unreachable')), result.value.error));
    }
    children.push(...this.folderNodesFor(node, result.value.folders));
    children.push(...(this.searches.get(node.account.id) ?? []));
    return children;
  }

  private folderNodesFor(parent: AccountNode | FolderNode, folders: FolderInfo[]): FolderNode[] {
    const account = parent.account;
    return folders.map((folder) => {
      const id = nodeIds.folder(account.id, folder.path);
      const node: FolderNode = { kind: 'folder', id, parent, account, folder };
      this.folderNodes.set(id, node);
      return node;
    });
  }

  private async folderChildrenOf(node: FolderNode): Promise<MailNode[]> {
    let subfolders = this.subfolders.get(node);
    if (!subfolders) {
      subfolders = this.folderNodesFor(node, node.folder.children);
      this.subfolders.set(node, subfolders);
    }
    if (!node.folder.selectable) return subfolders;
    const account = this.imap.get(node.account);
    let cache: FolderCache;
    try {
      cache = await account.openFolder(node.folder.path, mailroomSettings().pageSize);
      this.openCaches.set(node.id, cache);
      // Nothing to show yet (empty folder, or the first page failed): wait for the sync's verdict.
      if (!cache.state() && cache.count() === 0) await account.sync(node.folder.path);
    } catch (err) {
      const error = MailError.from(err);
      this.log.warn(`listing ${node.folder.path} failed: ${error.message} ${error.detail ?? ''}`);
      return [...subfolders, status(node, 'error', error.message, error)];
    }
    const limit = this.visible.get(node.id) ?? mailroomSettings().pageSize;
    if (this.conversations && mailroomSettings().conversationView && cache.count() > 0) {
      try {
        return [...subfolders, ...conversationRows(node, await this.conversations.threads(node.account, node.folder.path), limit)];
      } catch (err) {
        const error = MailError.from(err);
        this.log.warn(`threading ${node.folder.path} failed: ${error.message} ${error.detail ?? ''}`);
        return [...subfolders, status(node, 'error', error.message, error)];
      }
    }
    const uidValidity = account.uidValidityOf(node.folder.path, cache);
    const messages: MailNode[] = cache.page(0, limit).map((envelope) => messageNode(node, imapItem(node.folder.path, uidValidity, envelope)));
    const remaining = cache.count() - limit;
    if (remaining > 0) {
      const more: LoadMoreNode = { kind: 'loadMore', id: nodeIds.loadMore(node.id), parent: node, remaining };
      messages.push(more);
    }
    if (cache.count() === 0) messages.push(status(node, 'info', vscode.l10n.t('No messages')));
    return [...subfolders, ...messages];
  }

  private searchChildren(node: SearchNode): MailNode[] {
    const rows: MailNode[] = node.items.map((item) => messageNode(node, item));
    if (node.capped) rows.push(status(node, 'info', vscode.l10n.t('More results than shown: narrow the search')));
    if (rows.length === 0) rows.push(status(node, 'info', vscode.l10n.t('No messages match')));
    return rows;
  }
}

export function imapItem(path: string, uidValidity: string, e: CachedEnvelope): MessageItem {
  return {
    location: { protocol: 'imap', path, uidValidity, uid: e.uid },
    subject: e.subject,
    ...(e.from ? { from: e.from } : {}),
    ...(e.date ? { date: e.date } : {}),
    seen: e.flags.includes('\\Seen'),
    flagged: e.flags.includes('\\Flagged'),
    answered: e.flags.includes('\\Answered'),
    size: e.size,
  };
}

export function pop3Item(m: CachedPop3Message): MessageItem {
  return {
    location: { protocol: 'pop3', uidl: m.uidl },
    subject: m.subject,
    ...(m.from ? { from: m.from } : {}),
    ...(m.date || m.receivedAt ? { date: m.date ?? m.receivedAt } : {}),
    seen: m.flags.seen,
    flagged: m.flags.flagged,
    answered: m.flags.answered,
    size: m.size,
    ...(m.partial ? { partial: true } : {}),
  };
}

function hitItem(hit: SearchHit): MessageItem {
  return imapItem(hit.path, hit.uidValidity, hit.envelope);
}

function messageNode(parent: Exclude<MessageParent, UnifiedInboxNode>, item: MessageItem): MessageNode {
  const account = parent.account;
  return { kind: 'message', id: nodeIds.message(parent.id, account.id, item.location), parent, account, item };
}

function status(parent: StatusNode['parent'], severity: StatusNode['severity'], message: string, error?: MailError): StatusNode {
  return { kind: 'status', id: nodeIds.status(parent.id), parent, severity, message, ...(error ? { error } : {}) };
}


async function settle<T>(promise: Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return { ok: false, error: MailError.from(err) };
  }
}

/** Folder trees deeper than this are not walked to find a message's folder. */
const MAX_FOLDER_DEPTH = 20;

function isAncestorPath(candidate: string, delimiter: string | null | undefined, path: string): boolean {
  return !!delimiter && path.startsWith(candidate + delimiter);
}
