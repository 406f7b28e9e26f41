import type { AccountConfig } from '../../protocol/account';
import type { MailError } from '../../protocol/errors';
import type { FolderInfo } from '../../protocol/imap/folders';
import type { MessageSummary } from '../../protocol/imap/messages';

/** Every contextValue the tree uses; menus in package.json match on these. */
export const enum ContextValue {
  ImapAccount = 'mailroom.account.imap',
  Pop3Account = 'mailroom.account.pop3',
  Folder = 'mailroom.folder',
  FolderContainer = 'mailroom.folder.noselect',
  MessageUnread = 'mailroom.message.unread',
  MessageRead = 'mailroom.message.read',
  LoadMore = 'mailroom.loadMore',
  Status = 'mailroom.status',
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

export interface MessageNode {
  kind: 'message';
  id: string;
  parent: FolderNode;
  account: AccountConfig;
  path: string;
  uidValidity: string;
  summary: MessageSummary;
}

export interface LoadMoreNode {
  kind: 'loadMore';
  id: string;
  parent: FolderNode;
  /** Messages not listed yet. */
  remaining: number;
}

export interface StatusNode {
  kind: 'status';
  id: string;
  parent: AccountNode | FolderNode;
  severity: 'error' | 'info';
  message: string;
  error?: MailError;
}

export type MailNode = AccountNode | FolderNode | MessageNode | LoadMoreNode | StatusNode;

/** Ids are built from the path so that expansion state survives refreshes. */
export const nodeIds = {
  account: (accountId: string) => `account/${accountId}`,
  folder: (accountId: string, path: string) => `account/${accountId}/folder/${path}`,
  message: (accountId: string, path: string, uidValidity: string, uid: number) =>
    `account/${accountId}/folder/${path}/message/${uidValidity}/${uid}`,
  loadMore: (accountId: string, path: string) => `account/${accountId}/folder/${path}/more`,
  status: (parentId: string) => `${parentId}/status`,
};
