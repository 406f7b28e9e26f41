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
