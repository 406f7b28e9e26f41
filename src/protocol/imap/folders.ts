import type { ImapFlow, ListResponse } from 'imapflow';
import { defaultNamespaces, Namespace, NamespaceKind, Namespaces, namespacesOf, personalNamespace, rootPath } from './namespaces';

export type SpecialUse = '\\Inbox' | '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export interface FolderInfo {
  /** Full path in Unicode, as imapflow decodes it from modified UTF-7. */
  path: string;
  /** Last path segment, shown in the tree. */
  name: string;
  delimiter: string;
  specialUse?: SpecialUse;
  /** False for \Noselect / \NonExistent containers: they have children but no messages. */
  selectable: boolean;
  total?: number;
  unseen?: number;
  /** False when the folder is listed only because unsubscribed folders were asked for. */
  subscribed?: boolean;
  /** Set on the top-level node that stands for another namespace (other users', shared or public folders). */
  namespace?: NamespaceKind;
  children: FolderInfo[];
}

const SPECIAL_ORDER: SpecialUse[] = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash', '\\Flagged', '\\All'];

/**
 * LIST plus message and unseen counts (LIST-STATUS when the server has it, STATUS per folder
 * otherwise: imapflow picks), shaped as a tree ordered like mail clients order it: Inbox, then
 * special-use folders, then the rest by name, then other namespaces.
 */
export async function listFolders(client: ImapFlow): Promise<FolderInfo[]> {
  const namespaces = namespacesOf(client);
  const entries = await client.list({ statusQuery: { messages: true, unseen: true } });
  return buildFolderTree(entries, namespaces);
}

export function buildFolderTree(entries: readonly ListResponse[], namespaces?: Namespaces): FolderInfo[] {
  return assembleTree(
    entries.map((entry) => ({ folder: toFolderInfo(entry), serverParent: entry.parentPath || undefined })),
    namespaces ?? defaultNamespaces(),
  );
}

function toFolderInfo(entry: ListResponse): FolderInfo {
  const flags = entry.flags;
  const selectable = !flags.has('\\Noselect') && !flags.has('\\NonExistent');
  const folder: FolderInfo = { path: entry.path, name: entry.name, delimiter: entry.delimiter, selectable, children: [] };
  const special = entry.path.toUpperCase() === 'INBOX' ? '\\Inbox' : entry.specialUse;
  if (special && (SPECIAL_ORDER as string[]).includes(special)) folder.specialUse = special as SpecialUse;
  if (entry.status) {
    if (typeof entry.status.messages === 'number') folder.total = entry.status.messages;
    if (typeof entry.status.unseen === 'number') folder.unseen = entry.status.unseen;
  }
  return folder;
}

interface Placed {
  folder: FolderInfo;
  /** The parent in the server's hierarchy (LIST's name minus its last level). */
  serverParent: string | undefined;
}

/**
 * The tree people expect from any namespace layout (RFC 2342): the personal namespace's folders
 * relative to its prefix, so on a server whose prefix is "INBOX." `INBOX.Sent` sits at the top
 * level beside INBOX (as in Thunderbird) instead of under it; every other namespace ("Public.",
 * "Users.") as one top-level node holding its folders. Paths stay full: only the shape changes.
 * A folder listed without its parent (RFC 3501 allows it) gets a non-selectable container.
 */
function assembleTree(items: readonly Placed[], namespaces: Namespaces): FolderInfo[] {
  const personal = personalNamespace(namespaces);
  const byPath = new Map<string, FolderInfo>();
  const kept: Placed[] = [];
  for (const item of items) {
    // The personal namespace's own root ("Mail" for "Mail/") is not a folder: its children move up.
    if (personal.prefix && item.folder.path === rootPath(personal) && !item.folder.selectable && item.folder.specialUse !== '\\Inbox') continue;
    if (byPath.has(item.folder.path)) continue;
    byPath.set(item.folder.path, item.folder);
    kept.push(item);
  }
  const roots: FolderInfo[] = [];
  const parentOf = (path: string, delimiter: string, serverParent: string | undefined): FolderInfo | undefined => {
    const parentPath = treeParent(path, delimiter, serverParent, personal);
    if (parentPath === undefined) return undefined;
    let parent = byPath.get(parentPath);
    if (!parent) {
      const cut = delimiter ? parentPath.lastIndexOf(delimiter) : -1;
      parent = { path: parentPath, name: cut >= 0 ? parentPath.slice(cut + delimiter.length) : parentPath, delimiter, selectable: false, children: [] };
      byPath.set(parentPath, parent);
      attach(parent, parentOf(parentPath, delimiter, cut > 0 ? parentPath.slice(0, cut) : undefined));
    }
    return parent;
  };
  const attach = (folder: FolderInfo, parent: FolderInfo | undefined): void => {
    (parent ? parent.children : roots).push(folder);
  };
  for (const item of kept) attach(item.folder, parentOf(item.folder.path, item.folder.delimiter, item.serverParent));
  for (const ns of namespaces) {
    const node = ns === personal ? undefined : byPath.get(rootPath(ns));
    if (node && roots.includes(node)) node.namespace = ns.kind;
  }
  sortFolders(roots);
  return roots;
}

/** Where a folder goes: undefined for the top level, else its parent's path. */
function treeParent(path: string, delimiter: string, serverParent: string | undefined, personal: Namespace): string | undefined {
  if (path.toUpperCase() === 'INBOX') return undefined;
  if (personal.prefix && path.startsWith(personal.prefix)) {
    const relative = path.slice(personal.prefix.length);
    const cut = delimiter ? relative.lastIndexOf(delimiter) : -1;
    return cut > 0 ? personal.prefix + relative.slice(0, cut) : undefined;
  }
  return serverParent || undefined;
}

function sortFolders(folders: FolderInfo[]): void {
  const rank = (f: FolderInfo): number => (f.namespace ? SPECIAL_ORDER.length + 1 : f.specialUse ? SPECIAL_ORDER.indexOf(f.specialUse) : SPECIAL_ORDER.length);
  folders.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  for (const f of folders) sortFolders(f.children);
}

/** Every folder of a tree, parents before children. */
export function flattenFolders(folders: readonly FolderInfo[]): FolderInfo[] {
  const out: FolderInfo[] = [];
  const walk = (list: readonly FolderInfo[]): void => {
    for (const f of list) {
      out.push(f);
      walk(f.children);
    }
  };
  walk(folders);
  return out;
}

/** The shape operations/folders.ts lists: flat, with parent paths. */
export interface FlatFolder {
  path: string;
  name: string;
  delimiter: string;
  parentPath: string | undefined;
  specialUse?: SpecialUse;
  selectable: boolean;
  subscribed: boolean;
  total?: number;
  unseen?: number;
}

/** Builds the ordered tree from a flat list, placed in the server's namespaces (see assembleTree). */
export function folderTreeFromFlat(entries: readonly FlatFolder[], namespaces?: Namespaces): FolderInfo[] {
  const items: Placed[] = entries.map((e) => {
    const special = e.path.toUpperCase() === 'INBOX' ? '\\Inbox' : e.specialUse;
    const folder: FolderInfo = { path: e.path, name: e.name, delimiter: e.delimiter, selectable: e.selectable, subscribed: e.subscribed, children: [] };
    if (special && (SPECIAL_ORDER as string[]).includes(special)) folder.specialUse = special;
    if (e.total !== undefined) folder.total = e.total;
    if (e.unseen !== undefined) folder.unseen = e.unseen;
    return { folder, serverParent: e.parentPath };
  });
  return assembleTree(items, namespaces ?? defaultNamespaces());
}

/**
 * Every folder of a tree with its path relative to the tree's top (the names from the top level
 * down, joined with the delimiter): "Projects.Mailroom" for INBOX.Projects.Mailroom on a server
 * whose personal prefix is "INBOX.". Lets a name the user typed without the prefix find its folder.
 */
export function relativeFolderPaths(folders: readonly FolderInfo[]): Map<string, FolderInfo> {
  const out = new Map<string, FolderInfo>();
  const walk = (list: readonly FolderInfo[], above: string | undefined): void => {
    for (const f of list) {
      const relative = above === undefined ? f.name : `${above}${f.delimiter}${f.name}`;
      if (!out.has(relative)) out.set(relative, f);
      walk(f.children, relative);
    }
  };
  walk(folders, undefined);
  return out;
}
