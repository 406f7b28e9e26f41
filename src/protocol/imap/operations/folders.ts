/**
 * Folder management: create, rename, delete, subscribe, and a listing that includes
 * unsubscribed folders. Names are Unicode; imapflow encodes them as modified UTF-7 (or sends
 * UTF-8 when UTF8=ACCEPT is enabled).
 *
 * Dovecot facts these functions are built around (checked against Dovecot 2.3, maildir):
 * - DELETE of a folder that has subfolders succeeds, but only removes that folder's messages: the
 *   name stays in LIST (as "\HasChildren", without \Noselect) while SELECT and STATUS answer
 *   "Mailbox doesn't exist". deleteFolder therefore refuses a folder with subfolders unless asked
 *   to delete them too, and then deletes the deepest first.
 * - DELETE and RENAME leave subscriptions as they were (RFC 3501 allows it): renameFolder moves
 *   them to the new names, deleteFolder removes them, so LSUB shows no ghosts.
 * - imapflow CLOSEs the selected mailbox before renaming or deleting it, and CLOSE expunges every
 *   \Deleted message (other clients' too) when the server lacks UNSELECT. Rename and delete run
 *   while holding the lock on INBOX opened read-only, so the target is never the selected one.
 */
import type { ImapFlow, ListResponse } from 'imapflow';
import { MailError } from '../../errors';
import { FlatFolder, FolderInfo, folderTreeFromFlat, SpecialUse } from '../folders';
import { childPath, namespacesOf } from '../namespaces';
import { ImapCommandError, operationError, withMailbox } from './command';
import { runCommand } from './run';

/** One folder as listed: flat, with its parent's path (see folderTreeFromFlat for the tree). */
export type FolderEntry = FlatFolder;

export interface ListAllOptions {
  /** Include folders the user has not subscribed to (LIST as well as LSUB). */
  includeUnsubscribed: boolean;
  /** Also read message and unseen counts (LIST-STATUS, or STATUS per folder). */
  status?: boolean;
}

export interface CreateFolderResult {
  path: string;
  /** False when a folder of that name already existed (nothing changed). */
  created: boolean;
}

export interface DeleteFolderOptions {
  /** Delete the folder's subfolders (deepest first) as well. Without it a folder with subfolders is refused. */
  withSubfolders?: boolean;
}

const SPECIAL_USES: ReadonlySet<string> = new Set(['\\Inbox', '\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged']);

/**
 * Every folder (includeUnsubscribed) or the subscribed ones, in LIST order. INBOX always counts as
 * subscribed, and an unsubscribed parent of a subscribed folder is kept (subscribed: false) so a
 * tree built from the result keeps its shape.
 */
export async function listAllFolders(client: ImapFlow, options: ListAllOptions): Promise<FolderEntry[]> {
  let entries: ListResponse[];
  try {
    entries = await client.list(options.status ? { statusQuery: { messages: true, unseen: true } } : {});
  } catch (err) {
    throw operationError(client, err, 'list folders');
  }
  const all = entries.map(toEntry);
  if (options.includeUnsubscribed) return all;
  const keep = new Set<string>();
  for (const entry of all) {
    if (!entry.subscribed) continue;
    keep.add(entry.path);
    for (let parent = entry.parentPath; parent !== undefined; parent = all.find((e) => e.path === parent)?.parentPath) {
      if (keep.has(parent)) break;
      keep.add(parent);
    }
  }
  return all.filter((e) => keep.has(e.path));
}

/** listAllFolders shaped as the tree, placed in the server's namespaces (RFC 2342, see folderTreeFromFlat). */
export async function listFolderTree(client: ImapFlow, options: ListAllOptions): Promise<FolderInfo[]> {
  return folderTreeFromFlat(await listAllFolders(client, options), namespacesOf(client));
}

/** The folder with a special-use role (e.g. '\\Trash'), if the server marks one. */
export async function findSpecialUseFolder(client: ImapFlow, use: SpecialUse): Promise<string | undefined> {
  const all = await listAllFolders(client, { includeUnsubscribed: true });
  return all.find((e) => e.specialUse === use && e.selectable)?.path;
}

/**
 * Creates `name` under `parentPath`, joined with the server's hierarchy delimiter, or at the top
 * level of the personal namespace when undefined (under its prefix: "INBOX.Name" where the
 * prefix is "INBOX."), and subscribes it (imapflow does both).
 */
export async function createFolder(client: ImapFlow, parentPath: string | undefined, name: string): Promise<CreateFolderResult> {
  const delimiter = await delimiterOf(client);
  checkName(name, delimiter);
  const path = childPath(parentPath, name, delimiter, namespacesOf(client));
  try {
    const result = await client.mailboxCreate(path);
    return { path: result.path, created: result.created };
  } catch (err) {
    throw operationError(client, err, `create the folder "${path}"`);
  }
}

/**
 * Renames the folder at `path` to `newName` within the same parent. Subfolders follow (RENAME
 * moves the hierarchy); subscriptions are moved to the new names. Returns the new path.
 */
export async function renameFolder(client: ImapFlow, path: string, newName: string): Promise<{ from: string; to: string }> {
  refuseInbox(path, 'rename');
  const delimiter = await delimiterOf(client);
  checkName(newName, delimiter);
  const cut = path.lastIndexOf(delimiter);
  const to = cut >= 0 ? `${path.slice(0, cut)}${delimiter}${newName}` : newName;
  if (to === path) return { from: path, to };
  const subscribedBefore = (await listAllFolders(client, { includeUnsubscribed: true })).filter(
    (e) => e.subscribed && (e.path === path || e.path.startsWith(path + delimiter)),
  );
  await outsideTarget(client, async () => {
    try {
      await client.mailboxRename(path, to);
    } catch (err) {
      throw operationError(client, err, `rename "${path}" to "${newName}"`);
    }
  });
  for (const entry of subscribedBefore) {
    const moved = to + entry.path.slice(path.length);
    await runCommand(client, `subscribe "${moved}"`, () => client.mailboxSubscribe(moved));
    await runCommand(client, `unsubscribe "${entry.path}"`, () => client.mailboxUnsubscribe(entry.path));
  }
  return { from: path, to };
}

/**
 * Deletes the folder at `path` and unsubscribes it. A folder with subfolders is refused
 * (ImapCommandError with responseCode 'HASCHILDREN', nothing deleted) unless
 * `withSubfolders` is set; then subfolders go first, deepest first. Returns the deleted paths.
 */
export async function deleteFolder(client: ImapFlow, path: string, options: DeleteFolderOptions = {}): Promise<string[]> {
  refuseInbox(path, 'delete');
  const delimiter = await delimiterOf(client);
  const all = await listAllFolders(client, { includeUnsubscribed: true });
  if (!all.some((e) => e.path === path)) {
    throw new MailError('MailboxNotFound', `The folder "${path}" does not exist any more; another client may have renamed or deleted it. Refresh the account.`);
  }
  const subfolders = all.filter((e) => e.path.startsWith(path + delimiter));
  if (subfolders.length && !options.withSubfolders) {
    throw new ImapCommandError(`"${path}" has ${subfolders.length} subfolder(s). Delete them too, or move them out first.`, undefined, 'HASCHILDREN', {
      detail: 'refused before sending DELETE: Dovecot would keep the name and drop only the messages',
    });
  }
  // Deepest first; containers (\Noselect) need a DELETE too, or their name lingers.
  const targets = [...subfolders.sort((a, b) => depth(b.path, delimiter) - depth(a.path, delimiter)), all.find((e) => e.path === path)!];
  const deleted: string[] = [];
  await outsideTarget(client, async () => {
    for (const target of targets) {
      try {
        await client.mailboxDelete(target.path);
      } catch (err) {
        const mapped = operationError(client, err, `delete the folder "${target.path}"`);
        // A container that exists only because of its children vanishes with them.
        if (target.selectable || !MailError.is(mapped, 'MailboxNotFound')) throw mapped;
      }
      deleted.push(target.path);
      if (target.subscribed) await runCommand(client, `unsubscribe "${target.path}"`, () => client.mailboxUnsubscribe(target.path));
    }
  });
  return deleted;
}

/** SUBSCRIBE / UNSUBSCRIBE. */
export async function setSubscribed(client: ImapFlow, path: string, subscribed: boolean): Promise<void> {
  if (subscribed) await runCommand(client, `subscribe "${path}"`, () => client.mailboxSubscribe(path));
  else await runCommand(client, `unsubscribe "${path}"`, () => client.mailboxUnsubscribe(path));
}

/** Runs `work` holding the lock on INBOX opened read-only, so no other folder is selected. */
function outsideTarget(client: ImapFlow, work: () => Promise<void>): Promise<void> {
  return withMailbox(client, 'INBOX', { readOnly: true, description: 'folder change' }, work);
}

async function delimiterOf(client: ImapFlow): Promise<string> {
  const known = client.namespace?.delimiter;
  if (known) return known;
  const all = await listAllFolders(client, { includeUnsubscribed: true });
  return all.find((e) => e.delimiter)?.delimiter ?? '/';
}

function checkName(name: string, delimiter: string): void {
  const problem =
    typeof name !== 'string' || !name.trim()
      ? 'a folder name cannot be empty'
      : name.includes(delimiter)
        ? `a folder name cannot contain "${delimiter}", the server's hierarchy separator`
        : /[\p{Cc}*%]/u.test(name)
          ? 'a folder name cannot contain control characters, "*" or "%"'
          : name !== name.trim()
            ? 'a folder name cannot start or end with spaces'
            : undefined;
  if (problem) throw new ImapCommandError(`"${String(name)}" is not a valid folder name: ${problem}.`, undefined, undefined, { detail: 'invalid name, not sent' });
}

function refuseInbox(path: string, verb: string): void {
  if (path.toUpperCase() === 'INBOX') throw new MailError('Unsupported', `The Inbox cannot be ${verb === 'rename' ? 'renamed' : 'deleted'}.`);
}

function depth(path: string, delimiter: string): number {
  return path.split(delimiter).length;
}

function toEntry(entry: ListResponse): FolderEntry {
  const flags = entry.flags;
  const result: FolderEntry = {
    path: entry.path,
    name: entry.name,
    delimiter: entry.delimiter,
    parentPath: entry.parentPath || undefined,
    selectable: !flags.has('\\Noselect') && !flags.has('\\NonExistent'),
    subscribed: entry.path.toUpperCase() === 'INBOX' || entry.subscribed === true,
  };
  const special = entry.path.toUpperCase() === 'INBOX' ? '\\Inbox' : entry.specialUse;
  if (special && SPECIAL_USES.has(special)) result.specialUse = special as SpecialUse;
  if (typeof entry.status?.messages === 'number') result.total = entry.status.messages;
  if (typeof entry.status?.unseen === 'number') result.unseen = entry.status.unseen;
  return result;
}
