import type { ImapFlow, ListResponse } from 'imapflow';

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
  children: FolderInfo[];
}

const SPECIAL_ORDER: SpecialUse[] = ['\\Inbox', '\\Drafts', '\\Sent', '\\Archive', '\\Junk', '\\Trash', '\\Flagged', '\\All'];

/**
 * LIST plus message and unseen counts (LIST-STATUS when the server has it, STATUS per folder
 * otherwise: imapflow picks), shaped as a tree ordered like mail clients order it: Inbox, then
 * special-use folders, then the rest by name.
 */
export async function listFolders(client: ImapFlow): Promise<FolderInfo[]> {
  const entries = await client.list({ statusQuery: { messages: true, unseen: true } });
  return buildFolderTree(entries);
}

export function buildFolderTree(entries: readonly ListResponse[]): FolderInfo[] {
  const byPath = new Map<string, FolderInfo>();
  for (const entry of entries) byPath.set(entry.path, toFolderInfo(entry));

  const roots: FolderInfo[] = [];
  for (const entry of entries) {
    const folder = byPath.get(entry.path)!;
    const parent = entry.parentPath ? byPath.get(entry.parentPath) ?? ensureContainer(entry, byPath, roots) : undefined;
    (parent ? parent.children : roots).push(folder);
  }
  sortFolders(roots);
  return roots;
}

/** A child listed without its parent (allowed by RFC 3501): add a non-selectable container. */
function ensureContainer(entry: ListResponse, byPath: Map<string, FolderInfo>, roots: FolderInfo[]): FolderInfo {
  let children = roots;
  let path = '';
  let container: FolderInfo | undefined;
  for (const name of entry.parent) {
    path = path ? `${path}${entry.delimiter}${name}` : name;
    container = byPath.get(path);
    if (!container) {
      container = { path, name, delimiter: entry.delimiter, selectable: false, children: [] };
      byPath.set(path, container);
      children.push(container);
    }
    children = container.children;
  }
  return container!;
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

function sortFolders(folders: FolderInfo[]): void {
  const rank = (f: FolderInfo): number => (f.specialUse ? SPECIAL_ORDER.indexOf(f.specialUse) : SPECIAL_ORDER.length);
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

/** Builds the ordered tree from a flat list; a child whose parent is missing goes to the top. */
export function folderTreeFromFlat(entries: readonly FlatFolder[]): FolderInfo[] {
  const byPath = new Map<string, FolderInfo>();
  for (const e of entries) {
    const special = e.path.toUpperCase() === 'INBOX' ? '\\Inbox' : e.specialUse;
    const folder: FolderInfo = { path: e.path, name: e.name, delimiter: e.delimiter, selectable: e.selectable, subscribed: e.subscribed, children: [] };
    if (special && (SPECIAL_ORDER as string[]).includes(special)) folder.specialUse = special;
    if (e.total !== undefined) folder.total = e.total;
    if (e.unseen !== undefined) folder.unseen = e.unseen;
    byPath.set(e.path, folder);
  }
  const roots: FolderInfo[] = [];
  for (const e of entries) {
    const folder = byPath.get(e.path)!;
    const parent = e.parentPath !== undefined ? byPath.get(e.parentPath) : undefined;
    (parent ? parent.children : roots).push(folder);
  }
  sortFolders(roots);
  return roots;
}
