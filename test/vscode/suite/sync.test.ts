// Issue 3's flows inside the real extension host, against the fixture's Dovecot, with a second IMAP
// client (plain imapflow in this test) playing "another device": flags, moves by command and by
// drag and drop, delete, folders, search, live changes from elsewhere, and an outage with queued
// changes replayed on reconnect. Uses bob, whose mailbox this file fills itself.
import * as assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { MailroomApi } from '../../../src/providers/api';
import { AccountNode, FolderNode, imapLocation, MailNode, MessageNode, SearchNode, StatusNode } from '../../../src/providers/tree/nodes';
import { buildMessage } from '../../fixtures/messages';
import { activateMailroom, dovecotControl, fixtureInfo, FixtureInfo, imapsAccount, log, otherImapClient, takeScreenshot, waitFor } from './harness';

const ACCOUNT_ID = 'bob-sync';
const SUBJECTS = ['Invoice March', 'Lunch on Friday?', 'Build failed: main', 'Release notes 1.2', 'Invoice April', 'Weekly report'];

describe('IMAP sync in the extension host (bob, with a second client)', function () {
  this.timeout(180_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let other: ImapFlow;

  const labelOf = (node: MailNode): string => {
    const label = api.treeProvider.getTreeItem(node).label;
    return typeof label === 'string' ? label : label?.label ?? '';
  };
  const contextOf = (node: MailNode): string => String(api.treeProvider.getTreeItem(node).contextValue);

  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    const config = vscode.workspace.getConfiguration('mailroom');
    await config.update('pollIntervalSeconds', 2, vscode.ConfigurationTarget.Global);
    other = await second();
    for (const [i, subject] of SUBJECTS.entries()) {
      const raw = buildMessage({
        from: { name: 'Carol Sender', address: 'carol@example.test' },
        to: [{ address: 'bob@example.test' }],
        subject,
        date: new Date(Date.UTC(2024, 0, 1 + i)),
        messageId: `sync-${i}@test.mailroom`,
        body: { kind: 'text', text: `Body of ${subject}.\n` },
      });
      await other.append('INBOX', raw, [], new Date(Date.UTC(2024, 0, 1 + i)));
    }
    await other.mailboxCreate('Work');
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, fixture.users.bob, ACCOUNT_ID, 'Bob (sync)'));
    assert.equal(result.saved, true, JSON.stringify(result));
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    await dovecotControl('start').catch(() => undefined);
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await vscode.workspace.getConfiguration('mailroom').update('pollIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    await other?.logout().catch(() => undefined);
  });

  it('lists the folder from the cache, newest first, and mirrors flags changed by command', async () => {
    const inbox = await folderNode('INBOX');
    const messages = await messagesIn(inbox, SUBJECTS.length);
    assert.deepEqual(messages.map((m) => m.item.subject), [...SUBJECTS].reverse());
    const lunch = messages.find((m) => m.item.subject === 'Lunch on Friday?')!;
    await vscode.commands.executeCommand('mailroom.markRead', lunch);
    await vscode.commands.executeCommand('mailroom.flag', lunch);
    assert.deepEqual(await serverFlags('INBOX', uidOf(lunch)), ['\\Flagged', '\\Seen']);
    const updated = (await messagesIn(inbox, SUBJECTS.length)).find((m) => m.item.subject === 'Lunch on Friday?')!;
    assert.equal(contextOf(updated), 'mailroom.message.imap.read.flagged');
    await vscode.commands.executeCommand('mailroom.unflag', updated);
    await vscode.commands.executeCommand('mailroom.markUnread', updated);
    assert.deepEqual(await serverFlags('INBOX', uidOf(lunch)), []);
  });

  it('shows flags, new mail and expunges made by another client without a refresh', async () => {
    const inbox = await folderNode('INBOX');
    const before = await messagesIn(inbox, SUBJECTS.length);
    const report = before.find((m) => m.item.subject === 'Weekly report')!;
    await other.mailboxOpen('INBOX');
    await other.messageFlagsAdd(String(uidOf(report)), ['\\Flagged'], { uid: true });
    await waitFor(async () => (await messagesIn(inbox)).find((m) => m.item.subject === 'Weekly report')?.item.flagged, 'the flag set elsewhere to show');

    const unreadBefore = api.statusBar.unreadTotal;
    await other.append('INBOX', buildMessage({ from: { address: 'dave@example.test' }, to: [{ address: 'bob@example.test' }], subject: 'Pushed through IDLE', date: new Date(), messageId: 'idle-push@test.mailroom', body: { kind: 'text', text: 'hello\n' } }));
    await waitFor(async () => (await messagesIn(inbox)).some((m) => m.item.subject === 'Pushed through IDLE'), 'the new message to appear');
    await waitFor(() => api.statusBar.unreadTotal === unreadBefore + 1, 'the status bar count to go up');

    const march = before.find((m) => m.item.subject === 'Invoice March')!;
    await other.messageDelete(String(uidOf(march)), { uid: true });
    await waitFor(async () => !(await messagesIn(inbox)).some((m) => m.item.subject === 'Invoice March'), 'the expunged message to go');
    const after = await messagesIn(inbox);
    assert.equal(new Set(after.map((m) => uidOf(m))).size, after.length, 'no message shown twice');
    assert.equal(after.length, SUBJECTS.length, 'one added, one expunged');
  });

  it('shows a folder created by another client', async () => {
    await other.mailboxCreate('Elsewhere');
    await waitFor(async () => (await folders()).some((f) => f.folder.path === 'Elsewhere'), 'the new folder to appear (poll)');
  });

  it('moves by drag and drop onto a folder, copies and deletes by command', async () => {
    const inbox = await folderNode('INBOX');
    const work = await folderNode('Work');
    const build = (await messagesIn(inbox)).find((m) => m.item.subject === 'Build failed: main')!;
    const transfer = new vscode.DataTransfer();
    api.dragAndDrop.handleDrag([build], transfer);
    await api.dragAndDrop.handleDrop(work, transfer, new vscode.CancellationTokenSource().token);
    assert.deepEqual(await serverSubjects('Work'), ['Build failed: main']);
    assert.ok(!(await serverSubjects('INBOX')).includes('Build failed: main'));
    await waitFor(async () => !(await messagesIn(inbox)).some((m) => m.item.subject === 'Build failed: main'), 'the moved message to leave INBOX');
    await waitFor(async () => (await messagesIn(work)).some((m) => m.item.subject === 'Build failed: main'), 'the moved message in Work');

    const notes = (await messagesIn(inbox)).find((m) => m.item.subject === 'Release notes 1.2')!;
    await vscode.commands.executeCommand('mailroom.copyMessage', notes, [notes], 'Work');
    assert.deepEqual((await serverSubjects('Work')).sort(), ['Build failed: main', 'Release notes 1.2']);
    assert.ok((await serverSubjects('INBOX')).includes('Release notes 1.2'), 'a copy leaves the original');

    await vscode.commands.executeCommand('mailroom.deleteMessage', notes);
    assert.ok(!(await serverSubjects('INBOX')).includes('Release notes 1.2'));
    assert.ok((await serverSubjects('Trash')).includes('Release notes 1.2'), 'delete moves to Trash');
    const trash = await folderNode('Trash');
    const trashed = await waitFor(async () => (await messagesIn(trash)).find((m) => m.item.subject === 'Release notes 1.2'), 'the message in Trash');
    await vscode.commands.executeCommand('mailroom.deleteMessage', trashed, [trashed], { confirmed: true });
    assert.ok(!(await serverSubjects('Trash')).includes('Release notes 1.2'), 'delete in Trash expunges');

    await vscode.commands.executeCommand('mailroom.markFolderRead', work);
    const status = await (await second()).status('Work', { unseen: true, messages: true });
    assert.ok(status, 'STATUS of Work');
    assert.equal(status.messages, 2);
    assert.equal(status.unseen, 0, 'Mark Folder as Read reached the server');
  });

  it('creates, renames, unsubscribes and deletes folders, non-ASCII names included', async () => {
    const account = await accountNode();
    await vscode.commands.executeCommand('mailroom.createFolder', account, { name: 'Ärger' });
    const arger = await waitFor(async () => (await folders()).find((f) => f.folder.path === 'Ärger'), 'Ärger in the tree');
    await vscode.commands.executeCommand('mailroom.createFolder', arger, { name: 'テスト' });
    assert.ok((await serverFolders()).includes('Ärger/テスト'));
    await vscode.commands.executeCommand('mailroom.renameFolder', arger, { name: 'Ärger 2024' });
    const serverList = await serverFolders();
    assert.ok(serverList.includes('Ärger 2024/テスト') && !serverList.includes('Ärger'), serverList.join(', '));

    await vscode.commands.executeCommand('mailroom.createFolder', account, { name: 'Newsletters' });
    const newsletters = await waitFor(async () => (await folders()).find((f) => f.folder.path === 'Newsletters'), 'Newsletters in the tree');
    await vscode.commands.executeCommand('mailroom.unsubscribeFolder', newsletters);
    await waitFor(async () => !(await folders()).some((f) => f.folder.path === 'Newsletters'), 'the unsubscribed folder to be hidden');
    await vscode.workspace.getConfiguration('mailroom').update('showUnsubscribedFolders', true, vscode.ConfigurationTarget.Global);
    const hidden = await waitFor(async () => (await folders()).find((f) => f.folder.path === 'Newsletters'), 'unsubscribed folders shown on request');
    assert.match(contextOf(hidden), /\.unsubscribed$/);
    await vscode.commands.executeCommand('mailroom.subscribeFolder', hidden);
    await vscode.workspace.getConfiguration('mailroom').update('showUnsubscribedFolders', undefined, vscode.ConfigurationTarget.Global);
    await waitFor(async () => (await folders()).some((f) => f.folder.path === 'Newsletters'), 'subscribed again, listed by default');
    await vscode.commands.executeCommand('mailroom.deleteFolder', await folderNode('Newsletters'), { confirmed: true });

    const renamed = await waitFor(async () => (await folders()).find((f) => f.folder.path === 'Ärger 2024'), 'the renamed folder');
    await vscode.commands.executeCommand('mailroom.deleteFolder', renamed, { confirmed: true });
    assert.ok(!(await serverFolders()).some((p) => p.startsWith('Ärger') || p === 'Newsletters'), 'deleted on the server, subfolder included');
  });

  it('searches on the server and shows the results as a node', async () => {
    const account = await accountNode();
    const result = await vscode.commands.executeCommand<SearchNode>('mailroom.search', account, { criteria: { subject: 'Invoice' } });
    assert.equal(result.kind, 'search');
    const rows = (await api.treeModel.getChildren(result)).filter((n): n is MessageNode => n.kind === 'message');
    assert.deepEqual(rows.map((r) => r.item.subject), ['Invoice April'], 'Invoice March was expunged by the other client');
    const unread = await vscode.commands.executeCommand<SearchNode>('mailroom.search', account, { criteria: { unread: true }, path: 'INBOX' });
    const unreadRows = (await api.treeModel.getChildren(unread)).filter((n): n is MessageNode => n.kind === 'message');
    assert.ok(unreadRows.length > 0 && unreadRows.every((r) => !r.item.seen));
    await api.treeView.reveal(result, { expand: true, focus: false, select: false });
    const shot = await takeScreenshot('workbench-search');
    if (shot) log(`screenshot: ${shot}`);
    vscode.commands.executeCommand('mailroom.closeSearch', unread).then(undefined, () => undefined);
  });

  it('browses the cache while the server is down, queues a change, and replays it on reconnect', async () => {
    const inbox = await folderNode('INBOX');
    const april = (await messagesIn(inbox)).find((m) => m.item.subject === 'Invoice April')!;
    const rendered = new Promise<void>((resolve) => {
      const sub = api.panels.onDidRender(() => {
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('mailroom.openMessage', april);
    await rendered; // shown, so its body is in the body cache
    await dovecotControl('stop');
    try {
      api.treeModel.refresh(await accountNode());
      const status = await waitFor(async () => (await api.treeModel.getChildren(await accountNode())).find((n): n is StatusNode => n.kind === 'status' && n.severity === 'offline'), 'the offline notice', 40_000);
      log(`offline: ${labelOf(status)}`);
      const cached = await messagesIn(await folderNode('INBOX'));
      assert.ok(cached.some((m) => m.item.subject === 'Invoice April'), 'cached messages still listed');
      const source = await api.imap.get(april.account).source('INBOX', uidOf(april));
      assert.match(source.toString('utf8'), /Body of Invoice April/);
      const outcome = await api.imap.get(april.account).setFlags('INBOX', [uidOf(april)], { add: ['\\Flagged'] });
      assert.equal(outcome.applied, false, 'queued while offline');
      const pending = api.imap.get(april.account).pending();
      assert.ok(pending.some((op) => op.kind === 'flags' && op.add?.includes('\\Flagged') && op.uids.includes(uidOf(april))), JSON.stringify(pending));
      await api.treeView.reveal(status, { focus: false, select: true }).then(undefined, () => undefined);
      await takeScreenshot('workbench-offline');
    } finally {
      await dovecotControl('start');
    }
    api.imap.get(april.account).kick();
    await waitFor(async () => (await serverFlags('INBOX', uidOf(april))).includes('\\Flagged'), 'the queued flag to reach the server', 60_000);
    // The server has the flag as soon as the replayed STORE is answered; the queue file is
    // rewritten just after that.
    await waitFor(() => api.imap.get(april.account).pending().length === 0, 'the replayed change to leave the queue', 10_000);
  });

  /** The "other device": reconnected when the outage test has cut it. */
  async function second(): Promise<ImapFlow> {
    if (other?.usable) return other;
    other = await otherImapClient(fixture, fixture.users.bob);
    return other;
  }

  async function accountNode(): Promise<AccountNode> {
    return waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account in the tree');
  }

  async function folders(): Promise<FolderNode[]> {
    return (await api.treeModel.getChildren(await accountNode())).filter((n): n is FolderNode => n.kind === 'folder');
  }

  async function folderNode(path: string): Promise<FolderNode> {
    return waitFor(async () => (await folders()).find((f) => f.folder.path === path), `folder ${path}`);
  }

  async function messagesIn(folder: FolderNode, atLeast = 0): Promise<MessageNode[]> {
    return waitFor(async () => {
      const fresh = api.treeModel.findFolder(folder.account.id, folder.folder.path) ?? folder;
      const rows = (await api.treeModel.getChildren(fresh)).filter((n): n is MessageNode => n.kind === 'message');
      return rows.length >= atLeast ? rows : undefined;
    }, `${atLeast} messages in ${folder.folder.path}`);
  }

  function uidOf(node: MessageNode): number {
    const loc = imapLocation(node);
    assert.ok(loc);
    return loc.uid;
  }

  async function serverFlags(path: string, uid: number): Promise<string[]> {
    const other = await second();
    const lock = await other.getMailboxLock(path);
    try {
      await other.noop();
      const msg = await other.fetchOne(String(uid), { flags: true }, { uid: true });
      return msg ? [...(msg.flags ?? [])].filter((f) => f !== '\\Recent').sort() : [];
    } finally {
      lock.release();
    }
  }

  async function serverSubjects(path: string): Promise<string[]> {
    const other = await second();
    const lock = await other.getMailboxLock(path);
    try {
      // A NOOP first: a server may not report other sessions' expunges during a FETCH.
      await other.noop();
      const all = await other.fetchAll('1:*', { envelope: true }).catch(() => []);
      return all.map((m) => m.envelope?.subject ?? '');
    } finally {
      lock.release();
    }
  }

  async function serverFolders(): Promise<string[]> {
    return (await (await second()).list()).map((f) => f.path);
  }
});
