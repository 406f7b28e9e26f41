/**
 * Moving, copying and deleting messages without ever removing a message the user did not pick.
 *
 * - Move: UID MOVE when the server offers MOVE. Otherwise UID COPY, then \Deleted on the
 *   originals, then UID EXPUNGE of exactly those UIDs when UIDPLUS is offered. Without UIDPLUS
 *   there is no way to expunge only some messages: a plain EXPUNGE (or CLOSE) would also remove
 *   every message another client flagged \Deleted, so the originals are left flagged \Deleted and
 *   reported in `leftFlaggedDeleted` for the UI to say so.
 * - imapflow's own messageMove()/messageDelete() fall back to a plain EXPUNGE in those cases, so
 *   they are only called here when the capability that makes them safe was checked first.
 * - Delete: a move to Trash; inside Trash (or with no Trash) \Deleted + UID EXPUNGE of those UIDs.
 */
import type { CopyResponseObject, ImapFlow } from 'imapflow';
import { ImapCommandError, serverHas, withMailbox } from './command';
import { setFlagsInSelected } from './flags';
import { runCommand } from './run';
import { normalizeUids, uidSetChunks } from './uidSet';

export type MoveMethod = 'MOVE' | 'COPY+UID EXPUNGE' | 'COPY+flagged';

export interface MoveResult {
  method: MoveMethod;
  /** Source UID → destination UID, when the server reported COPYUID (UIDPLUS). */
  uidMap?: Map<number, number>;
  /** Originals copied to the destination but still in the source, flagged \Deleted (no UIDPLUS). */
  leftFlaggedDeleted: number[];
  /** Destination UIDVALIDITY (decimal string), when the server reported COPYUID. */
  destinationUidValidity?: string;
}

export interface CopyResult {
  uidMap?: Map<number, number>;
  destinationUidValidity?: string;
}

export type DeleteMethod = 'moved-to-trash' | 'expunged' | 'flagged';

export interface DeleteResult {
  method: DeleteMethod;
  /** Set when the messages were moved to Trash. */
  move?: MoveResult;
  /** UIDs permanently removed (UID EXPUNGE). */
  expunged: number[];
  /** UIDs left in the folder flagged \Deleted because the server has no UIDPLUS. */
  leftFlaggedDeleted: number[];
}

export interface DeleteOptions {
  /** The account's Trash folder; absent = there is none, so delete permanently. */
  trashPath?: string;
}

export function samePath(a: string, b: string): boolean {
  return a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');
}

/** Moves `uids` from `from` to `to` (see the module comment for the method chosen). */
export async function moveMessages(client: ImapFlow, from: string, uids: number[], to: string): Promise<MoveResult> {
  checkDistinct(from, to, 'move');
  if (!normalizeUids(uids).length) return { method: serverHas(client, 'MOVE') ? 'MOVE' : serverHas(client, 'UIDPLUS') ? 'COPY+UID EXPUNGE' : 'COPY+flagged', leftFlaggedDeleted: [] };
  return withMailbox(client, from, { readOnly: false, description: 'move messages' }, () => moveInSelected(client, from, uids, to));
}

/** moveMessages on the mailbox `from` the caller has selected read-write under its lock. */
export async function moveInSelected(client: ImapFlow, from: string, uids: number[], to: string): Promise<MoveResult> {
  checkDistinct(from, to, 'move');
  const wanted = normalizeUids(uids);
  if (serverHas(client, 'MOVE')) {
    const mapping = new Mapping();
    for (const set of uidSetChunks(wanted)) {
      mapping.add(await runCommand(client, `move messages to "${to}"`, () => client.messageMove(set, to, { uid: true })));
    }
    return { method: 'MOVE', leftFlaggedDeleted: [], ...mapping.result() };
  }
  // COPY first: if it fails nothing has been touched and nothing is lost.
  const copied = await copyInSelected(client, wanted, to);
  if (serverHas(client, 'UIDPLUS')) {
    for (const set of uidSetChunks(wanted)) {
      // With UIDPLUS checked, imapflow's messageDelete is UID STORE +FLAGS (\Deleted) + UID EXPUNGE <set>.
      await runCommand(client, `remove the moved messages from "${from}"`, () => client.messageDelete(set, { uid: true }));
    }
    return { method: 'COPY+UID EXPUNGE', leftFlaggedDeleted: [], ...copied };
  }
  await setFlagsInSelected(client, wanted, { add: ['\\Deleted'] });
  return { method: 'COPY+flagged', leftFlaggedDeleted: wanted, ...copied };
}

/** UID COPY `uids` from `from` to `to`; the source is opened read-only (EXAMINE). */
export async function copyMessages(client: ImapFlow, from: string, uids: number[], to: string): Promise<CopyResult> {
  checkDistinct(from, to, 'copy');
  if (!normalizeUids(uids).length) return {};
  return withMailbox(client, from, { readOnly: true, description: 'copy messages' }, () => copyInSelected(client, uids, to));
}

/** UID COPY in the mailbox the caller has selected under its lock. */
export async function copyInSelected(client: ImapFlow, uids: number[], to: string): Promise<CopyResult> {
  const mapping = new Mapping();
  for (const set of uidSetChunks(uids)) {
    mapping.add(await runCommand(client, `copy messages to "${to}"`, () => client.messageCopy(set, to, { uid: true })));
  }
  return mapping.result();
}

/**
 * Deletes `uids` from `path`: moved to `trashPath` when given and different from `path`;
 * otherwise \Deleted + UID EXPUNGE of exactly those UIDs (UIDPLUS), or \Deleted only (no UIDPLUS,
 * reported in leftFlaggedDeleted). The caller confirms permanent deletion with the user first.
 */
export async function deleteMessages(client: ImapFlow, path: string, uids: number[], options: DeleteOptions = {}): Promise<DeleteResult> {
  const trash = options.trashPath;
  if (trash !== undefined && !samePath(trash, path)) {
    const move = await moveMessages(client, path, uids, trash);
    return { method: 'moved-to-trash', move, expunged: [], leftFlaggedDeleted: move.leftFlaggedDeleted };
  }
  if (!normalizeUids(uids).length) return { method: serverHas(client, 'UIDPLUS') ? 'expunged' : 'flagged', expunged: [], leftFlaggedDeleted: [] };
  return withMailbox(client, path, { readOnly: false, description: 'delete messages' }, () => expungeInSelected(client, path, uids));
}

/** The permanent half of deleteMessages, on the mailbox the caller has selected read-write. */
export async function expungeInSelected(client: ImapFlow, path: string, uids: number[]): Promise<DeleteResult> {
  const wanted = normalizeUids(uids);
  if (serverHas(client, 'UIDPLUS')) {
    for (const set of uidSetChunks(wanted)) {
      await runCommand(client, `delete messages in "${path}"`, () => client.messageDelete(set, { uid: true }));
    }
    return { method: 'expunged', expunged: wanted, leftFlaggedDeleted: [] };
  }
  await setFlagsInSelected(client, wanted, { add: ['\\Deleted'] });
  return { method: 'flagged', expunged: [], leftFlaggedDeleted: wanted };
}

function checkDistinct(from: string, to: string, verb: string): void {
  if (samePath(from, to)) {
    throw new ImapCommandError(`Cannot ${verb} messages into the folder they are already in ("${to}").`, undefined, undefined, { detail: 'source and destination are the same; not sent' });
  }
}

/** Merges the COPYUID answers of several chunks. */
class Mapping {
  private map: Map<number, number> | undefined;
  private uidValidity: string | undefined;
  private complete = true;

  add(response: CopyResponseObject): void {
    if (response.uidValidity !== undefined) this.uidValidity = response.uidValidity.toString();
    if (!response.uidMap) {
      this.complete = false;
      return;
    }
    this.map ??= new Map();
    for (const [source, destination] of response.uidMap) this.map.set(source, destination);
  }

  result(): CopyResult {
    const result: CopyResult = {};
    if (this.map && this.complete) result.uidMap = this.map;
    if (this.uidValidity !== undefined) result.destinationUidValidity = this.uidValidity;
    return result;
  }
}
