import type { AccountConfig } from '../../protocol/account';
import type { MailError } from '../../protocol/errors';
import type { EnvelopeAddress } from '../../protocol/imap/cacheContract';
import type { FolderInfo } from '../../protocol/imap/folders';
import type { SearchCriteria } from '../../protocol/imap/operations/search';

/** Every contextValue the tree uses; menus in package.json match on these with regexes. */
export const enum ContextValue {
  /**
   * Suffixed `.signInRequired` while the account's OAuth2 sign-in has ended or never was (the inline
   * mailroom.signIn shows), `.oauth2` while an OAuth2 account holds one (Sign In in its context menu).
   */
  ImapAccount = 'mailroom.account.imap',
  Pop3Account = 'mailroom.account.pop3',
  /** An OAuth2 account's suffix while it holds a sign-in (`.signInRequired` replaces it when not). */
  OAuth2 = 'oauth2',
  SignInRequired = 'signInRequired',
  /** Suffixed: `.inbox` or `.other`, then `.subscribed`/`.unsubscribed`. */
  Folder = 'mailroom.folder',
  FolderContainer = 'mailroom.folder.noselect',
  Pop3Inbox = 'mailroom.pop3inbox',
  UnifiedInbox = 'mailroom.unified',
  /** Suffixed: `.imap`/`.pop3`, `.unread`/`.read`, `.flagged`/`.unflagged`. */
  Message = 'mailroom.message',
  /** A conversation; suffixed `.unread`/`.read`, then `.flagged`/`.unflagged` (any of its messages). */
  Thread = 'mailroom.thread',
  LoadMore = 'mailroom.loadMore',
  Search = 'mailroom.search',
  /** Suffixed `.signInRequired` when the error is that the user must sign in again. */
  Status = 'mailroom.status',
  OutboxRoot = 'mailroom.outboxRoot',
  /** Suffixed with the entry's state: `.queued`, `.sending`, `.failed`, `.partial`, `.sent`. */
  OutboxEntry = 'mailroom.outbox',
}

export interface AccountNode {
  kind: 'account';
  id: string;
  parent: undefined;
  account: AccountConfig;
}

export interface FolderNode {
  kind: 'folder';
  id: string;
  parent: AccountNode | FolderNode;
  account: AccountConfig;
  folder: FolderInfo;
}

/** A POP3 account's only mailbox: its local cache. */
export interface Pop3InboxNode {
  kind: 'pop3Inbox';
  id: string;
  parent: AccountNode;
  account: AccountConfig;
}

/** Every account's inbox merged, newest first. */
export interface UnifiedInboxNode {
  kind: 'unified';
  id: string;
  parent: undefined;
}

export interface SearchNode {
  kind: 'search';
  id: string;
  parent: AccountNode;
  account: AccountConfig;
  label: string;
  criteria: SearchCriteria;
  paths: string[];
  capped: boolean;
  items: MessageItem[];
}

export type MessageLocation =
  | { protocol: 'imap'; path: string; uidValidity: string; uid: number }
  | { protocol: 'pop3'; uidl: string };

/** What a message row needs, whatever the protocol. */
export interface MessageItem {
  location: MessageLocation;
  subject: string;
  from?: EnvelopeAddress;
  /** ISO 8601. */
  date?: string;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  size: number;
  /** POP3 messages downloaded as headers only. */
  partial?: boolean;
}

/** A conversation of a folder shown by conversation (src/protocol/threads/folderThreads.ts). */
export interface ThreadNode {
  kind: 'thread';
  id: string;
  parent: FolderNode;
  account: AccountConfig;
  threadId: string;
  /** The oldest message's subject. */
  subject: string;
  /** Its messages oldest first, replies of the user's from Sent included. */
  items: MessageItem[];
  unread: number;
  flagged: boolean;
  /** ISO 8601 of the newest message. */
  latest?: string;
}

export type MessageParent = FolderNode | SearchNode | Pop3InboxNode | UnifiedInboxNode | ThreadNode;

export interface MessageNode {
  kind: 'message';
  id: string;
  parent: MessageParent;
  account: AccountConfig;
  item: MessageItem;
}

export interface LoadMoreNode {
  kind: 'loadMore';
  id: string;
  parent: FolderNode | Pop3InboxNode | UnifiedInboxNode;
  /** Messages not listed yet. */
  remaining: number;
}

export interface StatusNode {
  kind: 'status';
  id: string;
  parent: AccountNode | FolderNode | Pop3InboxNode | SearchNode | UnifiedInboxNode;
  severity: 'error' | 'info' | 'offline';
  message: string;
  error?: MailError;
}

/** Messages waiting to be sent, or that failed: shown only while there are any. */
export interface OutboxRootNode {
  kind: 'outbox';
  id: string;
  parent: undefined;
  entries: OutboxEntryView[];
}

/** What the tree shows of an outbox entry (src/store/outbox.ts OutboxEntry). */
export interface OutboxEntryView {
  id: string;
  accountId: string;
  state: 'queued' | 'sending' | 'failed' | 'partial' | 'sent';
  subject: string;
  recipients: string[];
  createdAt: string;
  lastError?: { code: string; message: string; response?: string };
}

export interface OutboxEntryNode {
  kind: 'outboxEntry';
  id: string;
  parent: OutboxRootNode;
  entry: OutboxEntryView;
}

export type MailNode = AccountNode | FolderNode | Pop3InboxNode | UnifiedInboxNode | SearchNode | ThreadNode | MessageNode | LoadMoreNode | StatusNode | OutboxRootNode | OutboxEntryNode;

/** Nodes that own a list of messages. */
export type MessageContainerNode = FolderNode | Pop3InboxNode | UnifiedInboxNode;

/** Ids are built from the path so that expansion state survives refreshes. */
export const nodeIds = {
  unified: () => 'unified',
  outbox: () => 'outbox',
  outboxEntry: (entryId: string) => `outbox/${entryId}`,
  account: (accountId: string) => `account/${accountId}`,
  folder: (accountId: string, path: string) => `account/${accountId}/folder/${path}`,
  pop3Inbox: (accountId: string) => `account/${accountId}/pop3`,
  search: (accountId: string, serial: number) => `account/${accountId}/search/${serial}`,
  message: (parentId: string, accountId: string, location: MessageLocation) =>
    location.protocol === 'imap'
      ? `${parentId}/message/${accountId}/${location.uidValidity}/${location.uid}`
      : `${parentId}/message/${accountId}/${location.uidl}`,
  thread: (folderId: string, threadId: string) => `${folderId}/thread/${threadId}`,
  loadMore: (parentId: string) => `${parentId}/more`,
  status: (parentId: string) => `${parentId}/status`,
};

/** The message's folder path on the server (IMAP) or undefined (POP3). */
export function imapLocation(node: MessageNode): Extract<MessageLocation, { protocol: 'imap' }> | undefined {
  return node.item.location.protocol === 'imap' ? node.item.location : undefined;
}
