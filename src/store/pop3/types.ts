/** Shapes shared by the POP3 cache, the policy and the check engine (contract of issue 4). */

export interface Pop3Policy {
  /** Keep messages on the server after downloading them. Default true. */
  leaveOnServer: boolean;
  /** With leaveOnServer: delete a message from the server this many days after it was downloaded. */
  deleteFromServerAfterDays?: number;
  /** Download only the header (TOP n 0) of messages larger than this; the body when opened. */
  headersOnlyAboveBytes?: number;
}

export const DEFAULT_POP3_POLICY: Pop3Policy = { leaveOnServer: true };

export interface LocalFlags {
  seen: boolean;
  flagged: boolean;
  answered: boolean;
}

export interface CachedPop3Message {
  /** The server's UIDL; `sha256:<hex>` of the bytes when the server has no UIDL. */
  uidl: string;
  /** Size on the server (LIST), or of the bytes when downloaded whole. */
  size: number;
  /** ISO 8601, when the message was downloaded. */
  receivedAt: string;
  /** Path of the message file relative to the Maildir, e.g. `cur/1700000000.M1P2Q3.host,U=…:2,S`. */
  file: string;
  /** Only the header block is cached (headers-only policy); `fetchFullBody` replaces it. */
  partial: boolean;
  flags: LocalFlags;
  subject: string;
  from?: { name: string; address: string };
  /** ISO 8601 from the Date header, when it parses. */
  date?: string;
  messageId?: string;
  /** A QUIT confirmed its DELE, or a later check no longer found it on the server. */
  deletedFromServer: boolean;
}

export interface CheckReport {
  /** Messages in the maildrop when the check listed it (0: the server has no mail for this account). */
  onServer: number;
  downloaded: number;
  /** Bytes received for downloaded messages (RETR and TOP bodies). */
  bytes: number;
  /** DELEs committed by QUIT in this check. */
  deletedFromServer: number;
  skippedAlreadyCached: number;
  headersOnly: number;
  warnings: string[];
}
