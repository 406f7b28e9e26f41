/** What the supervisor reports; re-exported by ../supervisor.ts. */
export type ConnectionState = 'disconnected' | 'connecting' | 'online' | 'offline' | 'closed';

export type ResyncReason = 'reconnected' | 'wake';

export type MailboxEvent =
  /** The selected (IDLE) mailbox now holds `count` messages. */
  | { kind: 'exists'; path: string; count: number }
  /** One message left the mailbox: `uid` with QRESYNC (VANISHED), else only its sequence number. */
  | { kind: 'expunge'; path: string; uid?: number; seq?: number }
  /** A message's flags changed; `uid`/`modseq` are present when CONDSTORE/QRESYNC is enabled. */
  | { kind: 'flags'; path: string; uid?: number; seq?: number; modseq?: string; flags: string[] }
  /**
   * Polling fallback (no connection slot for IDLE): STATUS of the watched mailbox changed since the
   * last poll. The caller syncs that folder.
   */
  | { kind: 'status'; path: string; messages: number; unseen?: number; uidNext?: number; highestModseq?: string }
  /**
   * The supervisor started watching `path`: IDLE's EXAMINE, or the first STATUS poll of a polling
   * period. Changes from then on are pushed or polled; a change between the last sync and this
   * moment is not, so the caller compares this snapshot with its cache and syncs on a difference.
   */
  | { kind: 'watching'; path: string; via: 'idle' | 'poll'; snapshot: WatchSnapshot }
  /** Events may have been missed (connection lost, machine slept): resync what is shown. */
  | { kind: 'resync-needed'; reason: ResyncReason };

/** A mailbox as the server reported it when watching started (SELECT/EXAMINE or STATUS). */
export interface WatchSnapshot {
  uidValidity?: string;
  messages: number;
  uidNext?: number;
  /** Absent without CONDSTORE (or NOMODSEQ): then flag changes cannot be told from the snapshot. */
  highestModseq?: string;
}
