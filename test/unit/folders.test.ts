import * as assert from 'node:assert/strict';
import type { ListResponse } from 'imapflow';
import { buildFolderTree, FolderInfo } from '../../src/protocol/imap/folders';

function entry(path: string, extra: Partial<ListResponse> = {}): ListResponse {
  const parts = path.split('/');
  return {
    path,
    pathAsListed: path,
    name: parts[parts.length - 1],
    delimiter: '/',
    parent: parts.slice(0, -1),
    parentPath: parts.slice(0, -1).join('/'),
    flags: new Set<string>(),
    listed: true,
    subscribed: true,
    ...extra,
  };
}

const names = (folders: FolderInfo[]): string[] => folders.map((f) => f.name);

describe('buildFolderTree', () => {
  it('nests children under parents and orders Inbox, special-use, then by name as people sort it', () => {
    const tree = buildFolderTree([
      entry('Zeta'),
      entry('Trash', { specialUse: '\\Trash' }),
      entry('Projects'),
      entry('Projects/Mailroom'),
      entry('Sent', { specialUse: '\\Sent' }),
      entry('INBOX'),
      entry('Drafts', { specialUse: '\\Drafts' }),
      entry('Überweisungen'),
    ]);
    assert.deepEqual(names(tree), ['INBOX', 'Drafts', 'Sent', 'Trash', 'Projects', 'Überweisungen', 'Zeta']);
    assert.equal(tree[0].specialUse, '\\Inbox');
    const projects = tree.find((f) => f.name === 'Projects');
    assert.deepEqual(names(projects?.children ?? []), ['Mailroom']);
  });

  it('adds a non-selectable container for a child listed without its parent', () => {
    const tree = buildFolderTree([entry('INBOX'), entry('Lists/dev/rust')]);
    const lists = tree.find((f) => f.name === 'Lists');
    assert.ok(lists, 'container Lists created');
    assert.equal(lists.selectable, false);
    assert.equal(lists.children[0].name, 'dev');
    assert.equal(lists.children[0].children[0].path, 'Lists/dev/rust');
    assert.equal(lists.children[0].children[0].selectable, true);
  });

  it('marks \\Noselect folders and carries STATUS counts', () => {
    const tree = buildFolderTree([
      entry('Archive', { flags: new Set(['\\Noselect', '\\HasChildren']) }),
      entry('INBOX', { status: { path: 'INBOX', messages: 60, unseen: 7 } }),
    ]);
    const archive = tree.find((f) => f.name === 'Archive');
    assert.equal(archive?.selectable, false);
    assert.equal(tree[0].total, 60);
    assert.equal(tree[0].unseen, 7);
  });

  it('ignores special-use values it does not know', () => {
    const tree = buildFolderTree([entry('Weird', { specialUse: '\\Important' })]);
    assert.equal(tree[0].specialUse, undefined);
  });
});
