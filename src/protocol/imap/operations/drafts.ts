/**
 * Drafts and the Sent folder over IMAP.
 *
 * A draft carries `X-Mailroom-Draft: <draftId>` (the compose tab's id). Saving appends the new
 * copy (\Draft \Seen), then finds the older copies by that header and removes exactly those:
 * UID EXPUNGE when the server has UIDPLUS, else a MOVE to Trash, else they stay flagged \Deleted.
 * Never a plain EXPUNGE, which would also remove messages other clients flagged \Deleted (see
 * move.ts).
 */
import type { ImapFlow } from 'imapflow';
import { FolderInfo, flattenFolders, relativeFolderPaths } from '../folders';
import { ImapCommandError, serverHas, withMailbox } from './command';
import { expungeInSelected, moveInSelected, samePath } from './move';
import { setFlagsInSelected } from './flags';
import { runCommand } from './run';
import { normalizeUids } from './uidSet';

export const DRAFT_HEADER = 'X-Mailroom-Draft';

export type SpecialFolderUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Archive';

/** Names other clients and servers give these folders, tried when none is marked special-use. */
const COMMON_NAMES: Record<SpecialFolderUse, string[]> = {
  '\\Sent': ['sent', 'sent items', 'sent messages', 'sent mail'],
  '\\Drafts': ['drafts', 'draft'],
  '\\Trash': ['trash', 'deleted items', 'deleted messages'],
  '\\Archive': ['archive', 'archives'],
};

/** Trash receives deleted mail: a nested "Projects/Trash" is someone's folder, not the place for it. */
const TOP_LEVEL_ONLY: ReadonlySet<SpecialFolderUse> = new Set(['\\Trash', '\\Archive']);

/**
 * The folder for `use` in a folder tree (as folderTreeFromFlat shapes it, relative to the personal
 * namespace): marked special-use first (shallowest first), then a common name at the top level,
 * then (Sent and Drafts) a common name deeper down. So "INBOX.Sent" on a server whose prefix is
 * "INBOX." counts as top level, as it shows.
 */
export function pickSpecialFolder(tree: readonly FolderInfo[], use: SpecialFolderUse): string | undefined {
  const levels = levelOrder(tree).filter((f) => f.selectable && !f.namespace);
  const marked = levels.find((f) => f.specialUse === use);
  if (marked) return marked.path;
  const top = tree.filter((f) => f.selectable && !f.namespace);
  for (const name of COMMON_NAMES[use]) {
    const atTop = top.find((f) => f.name.toLowerCase() === name);
    if (atTop) return atTop.path;
  }
  if (TOP_LEVEL_ONLY.has(use)) return undefined;
  for (const name of COMMON_NAMES[use]) {
    const nested = levels.find((f) => f.name.toLowerCase() === name);
    if (nested) return nested.path;
  }
  return undefined;
}

/**
 * A folder the user named in settings (sentFolder, draftsFolder): its full path when the tree has
 * it, else the folder it names relative to the personal namespace ("Sent" is "INBOX.Sent" on a
 * server whose prefix is "INBOX."), else the name as given.
 */
export function resolveConfiguredFolder(tree: readonly FolderInfo[], name: string): string {
  if (flattenFolders(tree).some((f) => f.path === name)) return name;
  return relativeFolderPaths(tree).get(name)?.path ?? name;
}

/** Every folder, the top level first, then the next level down, and so on. Namespace nodes' folders do not count. */
function levelOrder(tree: readonly FolderInfo[]): FolderInfo[] {
  const out: FolderInfo[] = [];
  let level: readonly FolderInfo[] = tree;
  while (level.length) {
    out.push(...level);
    level = level.filter((f) => !f.namespace).flatMap((f) => f.children);
  }
  return out;
}

export interface DraftCleanup {
  /** UIDs of older copies removed for good (UID EXPUNGE) or moved to Trash. */
  removed: number[];
  /** Older copies left flagged \Deleted because the server has neither UIDPLUS nor MOVE to Trash. */
  leftFlaggedDeleted: number[];
}

export interface SaveDraftResult extends DraftCleanup {
  /** UID of the new copy, when the server reported it (UIDPLUS). */
  uid?: number;
}

const DRAFT_ID = /^[A-Za-z0-9._-]{1,200}$/;

/** APPENDs the draft, then removes older copies with the same draft id. */
export async function saveDraft(client: ImapFlow, path: string, bytes: Buffer, draftId: string, options: { trashPath?: string } = {}): Promise<SaveDraftResult> {
  checkDraftId(draftId);
  const appended = await runCommand(client, `save the draft in "${path}"`, () => client.append(path, bytes, ['\\Draft', '\\Seen']));
  const cleanup = await removeDraftCopies(client, path, draftId, { ...options, keepNewest: appended.uid === undefined, ...(appended.uid !== undefined ? { keepUid: appended.uid } : {}) });
  return { ...cleanup, ...(appended.uid !== undefined ? { uid: appended.uid } : {}) };
}

/** Removes every copy of the draft (after sending, or when the user discards it). */
export async function deleteDraft(client: ImapFlow, path: string, draftId: string, options: { trashPath?: string } = {}): Promise<DraftCleanup> {
  checkDraftId(draftId);
  return removeDraftCopies(client, path, draftId, options);
}

interface CleanupOptions {
  trashPath?: string;
  keepUid?: number;
  /** Without the new copy's UID (no UIDPLUS), keep the highest matching UID: the one just appended. */
  keepNewest?: boolean;
}

async function removeDraftCopies(client: ImapFlow, path: string, draftId: string, options: CleanupOptions): Promise<DraftCleanup> {
  return withMailbox(client, path, { readOnly: false, description: 'replace draft' }, async () => {
    const found = normalizeUids(await runCommand(client, `find older copies of the draft in "${path}"`, () => client.search({ header: { [DRAFT_HEADER]: draftId }, deleted: false }, { uid: true })));
    let old = found.filter((uid) => uid !== options.keepUid);
    if (options.keepNewest && old.length) old = old.slice(0, -1);
    if (!old.length) return { removed: [], leftFlaggedDeleted: [] };
    if (serverHas(client, 'UIDPLUS')) {
      const result = await expungeInSelected(client, path, old);
      return { removed: result.expunged, leftFlaggedDeleted: result.leftFlaggedDeleted };
    }
    if (options.trashPath && !samePath(options.trashPath, path) && serverHas(client, 'MOVE')) {
      await moveInSelected(client, path, old, options.trashPath);
      return { removed: old, leftFlaggedDeleted: [] };
    }
    await setFlagsInSelected(client, old, { add: ['\\Deleted'] });
    return { removed: [], leftFlaggedDeleted: old };
  });
}

function checkDraftId(draftId: string): void {
  if (!DRAFT_ID.test(draftId)) {
    throw new ImapCommandError(`"${draftId}" is not a draft id Mailroom can search for.`, undefined, undefined, { detail: 'invalid draft id, not sent' });
  }
}
