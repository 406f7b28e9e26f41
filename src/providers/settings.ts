import * as vscode from 'vscode';

/** The `mailroom.*` settings, read in one place with their bounds. */
export interface MailroomSettings {
  pageSize: number;
  connectionTimeoutMs: number;
  maxConnectionsPerAccount: number;
  markReadOnOpen: boolean;
  notifyNewMail: boolean;
  /** Folder paths whose new mail is announced; '*' for every folder Mailroom syncs. */
  notifyFolders: string[];
  bodyCacheBytes: number;
  showUnsubscribedFolders: boolean;
  pollIntervalMs: number;
  /** 0: POP3 accounts are checked only on demand. */
  pop3CheckIntervalMs: number;
  /** IMAP folders list conversations (threads) instead of single messages. */
  conversationView: boolean;
  /** Threads with the same base subject join (RFC 5256 step 5); off as in aerc. */
  threadsMergeSubjects: boolean;
  /** Where a reply's or forward's signature goes. */
  signaturePlacement: 'aboveQuote' | 'belowQuote';
}

export function mailroomSettings(): MailroomSettings {
  const c = vscode.workspace.getConfiguration('mailroom');
  const num = (key: string, fallback: number, min: number, max: number): number => {
    const v = c.get<number>(key, fallback);
    return typeof v === 'number' && Number.isFinite(v) ? Math.max(min, Math.min(max, v)) : fallback;
  };
  return {
    pageSize: num('pageSize', 50, 10, 500),
    connectionTimeoutMs: num('connectionTimeoutSeconds', 20, 3, 300) * 1000,
    maxConnectionsPerAccount: Math.floor(num('maxConnectionsPerAccount', 2, 1, 10)),
    markReadOnOpen: c.get<boolean>('markReadOnOpen', true),
    notifyNewMail: c.get<boolean>('notifyNewMail', false),
    notifyFolders: (() => {
      const v = c.get<unknown>('notifyFolders', ['INBOX']);
      return Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string' && f.length > 0).slice(0, 100) : ['INBOX'];
    })(),
    bodyCacheBytes: num('bodyCacheMegabytes', 200, 0, 100_000) * 1024 * 1024,
    showUnsubscribedFolders: c.get<boolean>('showUnsubscribedFolders', false),
    pollIntervalMs: num('pollIntervalSeconds', 60, 0, 24 * 3600) * 1000,
    pop3CheckIntervalMs: (() => {
      const minutes = num('pop3CheckIntervalMinutes', 10, 0, 7 * 24 * 60);
      return minutes > 0 ? Math.max(1, minutes) * 60_000 : 0;
    })(),
    conversationView: c.get<boolean>('conversationView', false),
    threadsMergeSubjects: c.get<boolean>('conversations.mergeSubjects', false),
    signaturePlacement: c.get<string>('signaturePlacement') === 'belowQuote' ? 'belowQuote' : 'aboveQuote',
  };
}
