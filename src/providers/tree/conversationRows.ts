/**
 * A folder shown by conversation: one row per thread (newest activity first), paged like messages;
 * a thread of one message is shown as that message. Rows are built only for the threads shown.
 */
import type { FolderCache } from '../../protocol/imap/cacheContract';
import type { FolderThreads } from '../../protocol/threads/folderThreads';
import type { Thread } from '../../protocol/threads/jwz';
import { FolderNode, LoadMoreNode, MailNode, MessageItem, MessageNode, nodeIds, ThreadNode } from './nodes';
import { imapItem } from './treeModel';
import { loadEngine } from '../../loadEngine';

export function conversationRows(node: FolderNode, threads: FolderThreads, limit: number): MailNode[] {
  const all = threads.threads();
  const rows: MailNode[] = [];
  for (const thread of all.slice(0, limit)) {
    const items = threadItems(threads, thread);
    if (!items.length) continue;
    if (items.length === 1) rows.push(messageRow(node, items[0]));
    else rows.push(threadNode(node, thread, items));
  }
  if (all.length > limit) {
    const more: LoadMoreNode = { kind: 'loadMore', id: nodeIds.loadMore(node.id), parent: node, remaining: all.length - limit };
    rows.push(more);
  }
  return rows;
}

/** The thread's messages still in the caches, oldest first. */
export function threadItems(threads: FolderThreads, thread: Thread): MessageItem[] {
  const items: MessageItem[] = [];
  for (const key of thread.keys) {
    const { path, uid } = loadEngine().parseMessageKey(key);
    const cache: FolderCache | undefined = threads.cache(path);
    const envelope = cache?.get(uid);
    const uidValidity = cache?.state()?.uidValidity;
    if (envelope && uidValidity) items.push(imapItem(path, uidValidity, envelope));
  }
  return items;
}

export function threadNode(parent: FolderNode, thread: Thread, items: MessageItem[]): ThreadNode {
  const latest = items.reduce<string | undefined>((a, m) => (m.date && (!a || m.date > a) ? m.date : a), undefined);
  return {
    kind: 'thread',
    id: nodeIds.thread(parent.id, thread.id),
    parent,
    account: parent.account,
    threadId: thread.id,
    subject: items[0].subject,
    items,
    unread: items.filter((m) => !m.seen).length,
    flagged: items.some((m) => m.flagged),
    ...(latest ? { latest } : {}),
  };
}

/** The messages of a thread node, as rows below it. */
export function threadMessageRows(node: ThreadNode): MessageNode[] {
  return node.items.map((item) => ({ kind: 'message', id: nodeIds.message(node.id, node.account.id, item.location), parent: node, account: node.account, item }));
}

function messageRow(parent: FolderNode, item: MessageItem): MessageNode {
  return { kind: 'message', id: nodeIds.message(parent.id, parent.account.id, item.location), parent, account: parent.account, item };
}
