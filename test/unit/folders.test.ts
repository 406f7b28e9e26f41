import * as assert from 'node:assert/strict';
import type { ListResponse } from 'imapflow';
import { buildFolderTree, FlatFolder, FolderInfo, folderTreeFromFlat, relativeFolderPaths } from '../../src/protocol/imap/folders';
import type { Namespaces } from '../../src/protocol/imap/namespaces';
import { pickSpecialFolder, resolveConfiguredFolder } from '../../src/protocol/imap/operations/drafts';

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

/** A flat entry as listAllFolders returns it, for a server whose separator is `sep`. */
function flat(path: string, sep: string, extra: Partial<FlatFolder> = {}): FlatFolder {
  const cut = path.lastIndexOf(sep);
  return {
    path,
    name: cut >= 0 ? path.slice(cut + sep.length) : path,
    delimiter: sep,
    parentPath: cut >= 0 ? path.slice(0, cut) : undefined,
    selectable: true,
    subscribed: true,
    ...extra,
  };
}

const INBOX_DOT: Namespaces = [{ kind: 'personal', prefix: 'INBOX.', delimiter: '.' }];

describe('folderTreeFromFlat in namespaces (RFC 2342)', () => {
  const courier = [
    flat('INBOX', '.', { selectable: true }),
    flat('INBOX.Sent', '.', { specialUse: '\\Sent' }),
    flat('INBOX.Drafts', '.'),
    flat('INBOX.Trash', '.'),
    flat('INBOX.Projects', '.'),
    flat('INBOX.Projects.Mailroom', '.'),
  ];

  it('puts folders of an "INBOX." personal namespace beside INBOX, keeping their full paths', () => {
    const tree = folderTreeFromFlat(courier, INBOX_DOT);
    assert.deepEqual(names(tree), ['INBOX', 'Sent', 'Drafts', 'Projects', 'Trash']);
    assert.deepEqual(tree[0].children, [], 'INBOX holds no folders');
    assert.deepEqual(tree.map((f) => f.path), ['INBOX', 'INBOX.Sent', 'INBOX.Drafts', 'INBOX.Projects', 'INBOX.Trash']);
    const projects = tree.find((f) => f.name === 'Projects');
    assert.deepEqual(projects?.children.map((f) => [f.name, f.path]), [['Mailroom', 'INBOX.Projects.Mailroom']]);
  });

  it('without the namespaces (or with an empty prefix) keeps the server hierarchy', () => {
    assert.deepEqual(names(folderTreeFromFlat(courier)), ['INBOX']);
    assert.deepEqual(names(folderTreeFromFlat(courier, [{ kind: 'personal', prefix: '', delimiter: '.' }])[0].children), ['Sent', 'Drafts', 'Projects', 'Trash']);
  });

  it('gives each other namespace one top-level node after the personal folders, its root merged into it', () => {
    const namespaces: Namespaces = [...INBOX_DOT, { kind: 'other', prefix: 'Users.', delimiter: '.' }, { kind: 'shared', prefix: 'Public.', delimiter: '.' }];
    const tree = folderTreeFromFlat(
      [
        flat('Public', '.', { selectable: false }),
        flat('Public.News', '.'),
        flat('Users.bob.Reports', '.'),
        ...courier,
      ],
      namespaces,
    );
    assert.deepEqual(names(tree), ['INBOX', 'Sent', 'Drafts', 'Projects', 'Trash', 'Public', 'Users']);
    const [pub, users] = tree.slice(-2);
    assert.deepEqual([pub.path, pub.namespace, pub.selectable, pub.children.map((f) => f.path)], ['Public', 'shared', false, ['Public.News']]);
    assert.deepEqual([users.path, users.namespace, users.selectable], ['Users', 'other', false]);
    assert.deepEqual(users.children.map((f) => [f.path, f.selectable]), [['Users.bob', false]], 'a container for the user listed without its parent');
    assert.deepEqual(users.children[0].children.map((f) => f.path), ['Users.bob.Reports']);
  });

  it('hides a non-selectable personal namespace root ("Mail" for "Mail/") and lifts its folders to the top', () => {
    const tree = folderTreeFromFlat([flat('INBOX', '/'), flat('Mail', '/', { selectable: false }), flat('Mail/Sent', '/'), flat('Mail/Lists/dev', '/')], [
      { kind: 'personal', prefix: 'Mail/', delimiter: '/' },
    ]);
    assert.deepEqual(names(tree), ['INBOX', 'Lists', 'Sent']);
    const lists = tree.find((f) => f.name === 'Lists');
    assert.deepEqual([lists?.path, lists?.selectable, lists?.children.map((f) => f.path)], ['Mail/Lists', false, ['Mail/Lists/dev']]);
  });

  it('adds containers for a child listed without its parent, as buildFolderTree does', () => {
    const tree = folderTreeFromFlat([flat('INBOX', '/'), flat('Lists/dev/rust', '/')]);
    assert.deepEqual(names(tree), ['INBOX', 'Lists']);
    assert.equal(tree[1].children[0].children[0].path, 'Lists/dev/rust');
  });

  it('relativeFolderPaths names each folder as the tree shows it', () => {
    const paths = relativeFolderPaths(folderTreeFromFlat(courier, INBOX_DOT));
    assert.equal(paths.get('Sent')?.path, 'INBOX.Sent');
    assert.equal(paths.get('Projects.Mailroom')?.path, 'INBOX.Projects.Mailroom');
    assert.equal(paths.get('INBOX')?.path, 'INBOX');
  });
});

describe('pickSpecialFolder and resolveConfiguredFolder on a prefixed tree', () => {
  const tree = (extra: FlatFolder[] = []): FolderInfo[] =>
    folderTreeFromFlat([flat('INBOX', '.'), flat('INBOX.Projects', '.'), flat('INBOX.Projects.Trash', '.'), flat('INBOX.Projects.Sent', '.'), ...extra], INBOX_DOT);

  it('finds Sent, Drafts and Trash by name at the top level of the namespace when nothing is marked', () => {
    const t = tree([flat('INBOX.Sent Items', '.'), flat('INBOX.Drafts', '.'), flat('INBOX.Trash', '.')]);
    assert.equal(pickSpecialFolder(t, '\\Sent'), 'INBOX.Sent Items', 'top level before the nested "Sent"');
    assert.equal(pickSpecialFolder(t, '\\Drafts'), 'INBOX.Drafts');
    assert.equal(pickSpecialFolder(t, '\\Trash'), 'INBOX.Trash');
  });

  it('prefers a marked folder, and never takes a nested Trash or a folder of another namespace', () => {
    const namespaces: Namespaces = [...INBOX_DOT, { kind: 'shared', prefix: 'Public.', delimiter: '.' }];
    const t = folderTreeFromFlat(
      [flat('INBOX', '.'), flat('INBOX.Projects', '.'), flat('INBOX.Projects.Trash', '.'), flat('INBOX.Outbox', '.', { specialUse: '\\Sent' }), flat('Public.Drafts', '.'), flat('Public.Trash', '.', { specialUse: '\\Trash' })],
      namespaces,
    );
    assert.equal(pickSpecialFolder(t, '\\Sent'), 'INBOX.Outbox');
    assert.equal(pickSpecialFolder(t, '\\Trash'), undefined);
    assert.equal(pickSpecialFolder(t, '\\Drafts'), undefined);
  });

  it('finds Archive by \\Archive or by name at the top level only (a nested "Projects.Archive" is someone\'s folder)', () => {
    assert.equal(pickSpecialFolder(tree([flat('INBOX.Projects.Archive', '.')]), '\\Archive'), undefined);
    assert.equal(pickSpecialFolder(tree([flat('INBOX.Projects.Archive', '.'), flat('INBOX.Archives', '.')]), '\\Archive'), 'INBOX.Archives');
    assert.equal(pickSpecialFolder(tree([flat('INBOX.Archives', '.'), flat('INBOX.Old mail', '.', { specialUse: '\\Archive' })]), '\\Archive'), 'INBOX.Old mail');
  });

  it('resolves a configured name written with or without the prefix', () => {
    const t = tree([flat('INBOX.Sent', '.')]);
    assert.equal(resolveConfiguredFolder(t, 'Sent'), 'INBOX.Sent');
    assert.equal(resolveConfiguredFolder(t, 'INBOX.Sent'), 'INBOX.Sent');
    assert.equal(resolveConfiguredFolder(t, 'Projects.Sent'), 'INBOX.Projects.Sent');
    assert.equal(resolveConfiguredFolder(t, 'Elsewhere'), 'Elsewhere', 'an unknown name is kept as the user wrote it');
  });
});
