import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import type { ProtocolLog } from '../../protocol/log';
import type { FolderThreads } from '../../protocol/threads/folderThreads';
import { Disposable } from '../../util/dispose';
import type { ImapAccountRegistry } from '../imapAccounts';
import { mailroomSettings } from '../settings';
import { loadEngine } from '../../loadEngine';

interface Entry {
  /** The ImapAccount the threads were built on: a new one (settings changed) means a new build. */
  owner: object;
  threads: Promise<FolderThreads>;
}

/**
 * The conversations of the folders shown by conversation, one FolderThreads per account and folder,
 * built when a folder is first listed that way (never at activation) and kept current by the
 * account's sync events. Fires when a folder's threads changed, so the tree redraws that folder.
 */
export class ConversationIndexes extends Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<{ accountId: string; path: string }>());
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly imap: ImapAccountRegistry, private readonly log: ProtocolLog) {
    super();
  }

  threads(account: AccountConfig, path: string): Promise<FolderThreads> {
    const key = `${account.id}\u0000${path}`;
    const owner = this.imap.get(account);
    const existing = this.entries.get(key);
    if (existing?.owner === owner) return existing.threads;
    if (existing) void existing.threads.then((t) => t.dispose(), () => undefined);
    const threads = loadEngine().FolderThreads.build(owner, path, { mergeSubjects: mailroomSettings().threadsMergeSubjects, log: this.log });
    const entry: Entry = { owner, threads };
    this.entries.set(key, entry);
    // The account closed (removed, or its settings changed): its indexes go with it.
    const closed = owner.onDidClose(() => {
      closed.dispose();
      if (this.entries.get(key) !== entry) return;
      this.entries.delete(key);
      void threads.then((t) => t.dispose(), () => undefined);
    });
    threads.then(
      (t) => {
        t.onDidChange(() => this._onDidChange.fire({ accountId: account.id, path }));
        t.onDidInvalidate(() => {
          if (this.entries.get(key) !== entry) return;
          this.entries.delete(key);
          t.dispose();
          this._onDidChange.fire({ accountId: account.id, path });
        });
      },
      () => {
        // A failed build is not kept: listing the folder again retries.
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return threads;
  }

  /** Forgets every index (a threading setting changed); the next listing builds them again. */
  clear(): void {
    for (const entry of this.entries.values()) void entry.threads.then((t) => t.dispose(), () => undefined);
    this.entries.clear();
  }

  override dispose(): void {
    this.clear();
    super.dispose();
  }
}
