// Conversations in the real workbench: a folder shown by conversation (the view title's toggle),
// thread rows with count, unread count and latest date expanding to their messages (the user's
// replies from Sent among them), the conversation panel with every message of a thread, and flags
// on a thread applying to all its messages. Real thread mail (test/fixtures/threadMail.ts) on a
// Dovecot this suite starts for itself.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { ConversationRendered } from '../../../src/providers/message/conversationPanel';
import { AccountNode, FolderNode, MailNode, MessageNode, ThreadNode } from '../../../src/providers/tree/nodes';
import { DovecotFixture, startDovecot } from '../../fixtures/dovecot';
import { EXPECTED_INBOX_THREADS, THREAD_COUNTS, THREAD_FOLDERS, THREADS_USER } from '../../fixtures/threadMail';
import { activateMailroom, log, takeScreenshot, waitFor, webviewTexts, workbenchTexts } from './harness';

describe('Conversations (in the extension host)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let dovecot: DovecotFixture | undefined;
  const id = 'threads';

  const labelOf = (node: MailNode): string => {
    const label = api.treeProvider.getTreeItem(node).label;
    return typeof label === 'string' ? label : label?.label ?? '';
  };
  const inbox = async (): Promise<FolderNode> => {
    const account = await waitFor(
      async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === id),
      'the account in the tree',
    );
    return waitFor(async () => (await api.treeModel.getChildren(account)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === 'INBOX'), 'INBOX');
  };
  const threadRows = async (folder: FolderNode): Promise<ThreadNode[]> => (await api.treeModel.getChildren(folder)).filter((n): n is ThreadNode => n.kind === 'thread');

  before(async () => {
    api = await activateMailroom();
    dovecot = await startDovecot({ extraUsers: [{ ...THREADS_USER, folders: THREAD_FOLDERS }] });
  });

  after(async () => {
    await vscode.commands.executeCommand('mailroom.showMessageList');
    await vscode.commands.executeCommand('mailroom.removeAccount', id);
    await dovecot?.stop();
  });

  it('lists INBOX by conversation, with the Sent replies in their threads, and opens a conversation in one tab', async () => {
    const d = dovecot!;
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', {
      id,
      label: 'Threads',
      protocol: 'imap',
      host: d.host,
      port: d.ports.imaps,
      security: 'tls',
      user: THREADS_USER.user,
      password: THREADS_USER.password,
      trustedCertificateSha256: d.certSha256,
    });
    assert.deepEqual(result, { saved: true, accountId: id });
    const folder = await inbox();
    // Messages first (the setting is off), then the view title's toggle.
    await waitFor(async () => (await api.treeModel.getChildren(folder)).filter((n) => n.kind === 'message').length === THREAD_COUNTS.INBOX, 'INBOX as single messages');
    await vscode.commands.executeCommand('mailroom.showConversations');
    assert.equal(vscode.workspace.getConfiguration('mailroom').get('conversationView'), true);

    const multi = EXPECTED_INBOX_THREADS.filter((t) => t.names.length > 1);
    const threads = await waitFor(async () => {
      const rows = await threadRows(folder);
      return rows.length === multi.length ? rows : undefined;
    }, 'the conversations of INBOX');
    assert.deepEqual(
      threads.map((t) => [labelOf(t), t.items.length, t.unread]),
      multi.map((t) => [t.subject, t.names.length, t.unread]),
    );
    const singles = (await api.treeModel.getChildren(folder)).filter((n): n is MessageNode => n.kind === 'message');
    assert.deepEqual(singles.map(labelOf).sort(), ['Lunch?', 'Re: Lunch?'], 'a thread of one message is shown as that message');

    const release = threads.find((t) => labelOf(t) === 'Release plan')!;
    const item = api.treeProvider.getTreeItem(release);
    assert.match(String(item.description), /^5 · 1 unread · /);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'comment-discussion');
    assert.match(String(item.contextValue), /^mailroom\.thread\.unread\.unflagged$/);
    const messages = (await api.treeModel.getChildren(release)) as MessageNode[];
    assert.deepEqual(messages.map((m) => (m.item.location.protocol === 'imap' ? m.item.location.path : '')), ['INBOX', 'INBOX', 'INBOX', 'Sent', 'INBOX'], 'oldest first, the Sent reply in place');
    assert.match(String(api.treeProvider.getTreeItem(messages[3]).description), /^Sent · /);

    await api.treeView.reveal(folder, { expand: true, focus: false, select: false });
    await api.treeView.reveal(release, { expand: true, focus: true, select: true });
    const rows = await waitFor(async () => {
      const texts = await workbenchTexts('.monaco-list-row');
      return texts === undefined || texts.some((t) => t.includes('Release plan')) ? texts ?? [] : undefined;
    }, 'the thread row on screen');
    log(`tree rows: ${rows.length}`);
    const treeShot = await takeScreenshot('conversation-tree');
    if (treeShot) log(`screenshot: ${treeShot}`);

    const rendered = new Promise<ConversationRendered>((resolve) => {
      const sub = api.conversations.panels.onDidRender((r) => {
        sub.dispose();
        resolve(r);
      });
    });
    await vscode.commands.executeCommand('mailroom.openConversation', release);
    const report = await rendered;
    // Only the unread newest message is open; the four read ones are header lines.
    assert.deepEqual(report, { threadId: release.threadId, count: 5, expanded: 1, remoteLoaded: [] });
    const texts = await webviewTexts();
    if (texts) {
      const page = texts.map((t) => t.text).join('\n');
      for (const who of ['Ann Archer', 'Ben Baker', 'Cat Cooper', 'Thea Threads']) assert.ok(page.includes(who), `${who} in the conversation`);
      assert.ok(page.includes('(release4): the plan is ready.'), 'the unread HTML message is open, drawn in its frame');
      assert.ok(page.includes('1 remote resource blocked'), 'its remote image is blocked');
    }
    const panelShot = await takeScreenshot('conversation-panel');
    if (panelShot) log(`screenshot: ${panelShot}`);
  });

  it('flags every message of a conversation when the thread is flagged, and marks it read', async () => {
    const folder = await inbox();
    const broken = (await threadRows(folder)).find((t) => labelOf(t) === 'Broken references')!;
    await vscode.commands.executeCommand('mailroom.flag', broken, [broken]);
    await vscode.commands.executeCommand('mailroom.markRead', broken, [broken]);
    const after = await waitFor(async () => {
      const t = (await threadRows(folder)).find((r) => labelOf(r) === 'Broken references');
      return t && t.items.every((m) => m.flagged && m.seen) ? t : undefined;
    }, 'the whole thread flagged and read');
    assert.equal(after.items.length, 3);
    assert.match(String(api.treeProvider.getTreeItem(after).contextValue), /^mailroom\.thread\.read\.flagged$/);
    const cache = await api.imap.headers.folder(id, 'INBOX');
    const flagged = cache.page(0, 100).filter((e) => e.flags.includes('\\Flagged')).map((e) => e.messageId?.replace(/@.*/, '')).sort();
    assert.deepEqual(flagged, ['broken1', 'broken2', 'broken3']);

    await vscode.commands.executeCommand('mailroom.showMessageList');
    await waitFor(async () => (await api.treeModel.getChildren(folder)).filter((n) => n.kind === 'message').length === THREAD_COUNTS.INBOX, 'single messages again');
  });
});
