/**
 * The shape of an operation queued while the account was offline. Defined here (protocol layer)
 * so replay.ts can use it; src/store/offlineQueue.ts persists it.
 */

export type OfflineOperationKind = 'flags' | 'move' | 'copy' | 'delete';

export interface OfflineOperation {
  /** Unique within the queue. */
  id: string;
  kind: OfflineOperationKind;
  accountId: string;
  /** Folder the UIDs belong to. */
  path: string;
  /** UIDVALIDITY of `path` when the operation was queued (decimal string); a change voids the UIDs. */
  uidValidity: string;
  uids: number[];
  /** 'flags': flags to add / remove. */
  add?: string[];
  remove?: string[];
  /** 'move' / 'copy': destination. 'delete': the Trash folder; absent = delete permanently. */
  to?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Replays that failed with a temporary server error so far. */
  attempts?: number;
  /** The last such error, for the UI and the log. */
  lastError?: string;
}

const KINDS: ReadonlySet<string> = new Set(['flags', 'move', 'copy', 'delete']);

/** Returns a problem description, or undefined when `value` is a well-formed OfflineOperation. */
export function offlineOperationProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const op = value as Record<string, unknown>;
  const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  const isTextList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0);
  if (!isText(op.id)) return 'id missing';
  if (typeof op.kind !== 'string' || !KINDS.has(op.kind)) return `unknown kind ${JSON.stringify(op.kind)}`;
  if (!isText(op.accountId)) return 'accountId missing';
  if (!isText(op.path)) return 'path missing';
  if (typeof op.uidValidity !== 'string' || !/^[1-9]\d{0,19}$/.test(op.uidValidity)) return 'uidValidity is not a decimal string';
  if (!Array.isArray(op.uids) || !op.uids.every((u) => Number.isInteger(u) && (u as number) > 0 && (u as number) <= 0xffffffff)) return 'uids are not positive 32-bit integers';
  if (op.add !== undefined && !isTextList(op.add)) return 'add is not a list of flags';
  if (op.remove !== undefined && !isTextList(op.remove)) return 'remove is not a list of flags';
  if (op.to !== undefined && !isText(op.to)) return 'to is not a folder path';
  if ((op.kind === 'move' || op.kind === 'copy') && op.to === undefined) return `${op.kind} without a destination`;
  if (op.kind === 'flags' && !(op.add as unknown[] | undefined)?.length && !(op.remove as unknown[] | undefined)?.length) return 'flags without add or remove';
  if (typeof op.createdAt !== 'number' || !Number.isFinite(op.createdAt)) return 'createdAt is not a number';
  if (op.attempts !== undefined && (!Number.isInteger(op.attempts) || (op.attempts as number) < 0)) return 'attempts is not a count';
  if (op.lastError !== undefined && typeof op.lastError !== 'string') return 'lastError is not text';
  return undefined;
}
