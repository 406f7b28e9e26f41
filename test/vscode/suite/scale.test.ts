// A 100,000-message folder browsed in the real workbench: the fixture fills user "big"'s INBOX
// only when this suite runs (POST /seed/big: files written straight into the Maildir), the tree
// shows the newest page while the full header sync runs, Load more pages back from the cache,
// and a message from the second page opens in the panel.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { MailroomApi } from '../../../src/providers/api';
import { FolderNode, imapLocation, LoadMoreNode, MailNode, MessageNode } from '../../../src/providers/tree/nodes';
import { BIG_FOLDER_MESSAGES, benchMessage, type MailUser } from '../../fixtures/seed';
import { activateMailroom, fixtureInfo, imapsAccount, log, seedBigMailbox, takeScreenshot, waitFor } from './harness';

const ACCOUNT_ID = 'big-folder';
const PAGE = 50;

describe('A 100,000-message folder in the workbench (user big)', function () {
  this.timeout(300_000);
  let api: MailroomApi;
  let user: MailUser | undefined;
  let inbox: FolderNode;

  const messagesOf = (children: MailNode[]): MessageNode[] => children.filter((c): c is MessageNode => c.kind === 'message');
  const uidOf = (node: MessageNode): number => imapLocation(node)?.uid ?? -1;
  /**
   * Reveals what `find` returns once the tree view can: the view may not have drawn the account yet
   * (this suite can run first) or may still be listing a folder again.
   */
  const revealWhenShown = (find: () => MailNode | undefined, what: string, expand: boolean): Promise<true> =>
    waitFor(() => {
      const node = find();
      return node && Promise.resolve(api.treeView.reveal(node, { expand, focus: false, select: false })).then(() => true as const, () => undefined);
    }, `${what} in the tree view`, 60_000);

  before(async function () {
    const fixture = fixtureInfo();
    user = fixture.users.big;
    if (!user) this.skip(); // a fixture CLI without the big user
    const started = Date.now();
    const seeded = await seedBigMailbox();
    log(`big folder: ${seeded} messages seeded in ${Date.now() - started} ms (0 ms when another run already seeded it)`);
    assert.equal(seeded, BIG_FOLDER_MESSAGES);
    api = await activateMailroom();
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, user, ACCOUNT_ID, 'Big folder'));
    assert.equal(result.saved, true, JSON.stringify(result));
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    if (!user) return;
    // Leave no focus on a message of this account: the workbench reveals the focused row whenever the
    // Mail view is shown again, and a row whose account is gone fails that for the next suite.
    const accountNode = api.treeModel.findAccount(ACCOUNT_ID);
    if (accountNode) await Promise.resolve(api.treeView.reveal(accountNode, { expand: false, focus: true, select: true })).then(undefined, () => undefined);
    await vscode.commands.executeCommand('list.collapseAll').then(undefined, () => undefined);
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await Promise.resolve(vscode.commands.executeCommand('workbench.view.extension.mailroom')).then(undefined, () => undefined);
  });

  it('shows the newest 50 of 100,000 at once, before the full header sync ends', async () => {
    // The tree view lists the folders itself: the nodes it holds are the ones the model redraws
    // (a second getChildren here would make new ones the view does not know).
    await revealWhenShown(() => api.treeModel.findAccount(ACCOUNT_ID), 'the account', true);
    inbox = await waitFor(() => api.treeModel.findFolder(ACCOUNT_ID, 'INBOX'), 'INBOX in the tree view', 60_000);
    const started = Date.now();
    const first = messagesOf(await api.treeModel.getChildren(inbox));
    log(`big folder: first page in ${Date.now() - started} ms`);
    const cache = await api.imap.headers.folder(ACCOUNT_ID, 'INBOX');
    assert.equal(cache.state(), undefined, 'the page did not wait for the full sync of 100,000 (the status bar opened INBOX first)');
    assert.equal(first.length, PAGE);
    assert.equal(first[0].item.subject, benchMessage(BIG_FOLDER_MESSAGES).subject, 'the newest message on top');
    assert.deepEqual(first.map(uidOf), Array.from({ length: PAGE }, (_, i) => BIG_FOLDER_MESSAGES - i), 'newest first, none missing');
    // The account's folders are listed again when its connection comes online, which makes new
    // folder nodes while this test holds the old one: reveal the node the tree holds now.
    await revealWhenShown(() => api.treeModel.findFolder(ACCOUNT_ID, 'INBOX'), 'INBOX', true);
    await revealWhenShown(() => first[0], 'the first page', false);
    const shot = await takeScreenshot('scale-100k-first-page');
    if (shot) log(`screenshot: ${shot}`);
  });

  it('syncs every header, then Load more pages back from the cache', async () => {
    const started = Date.now();
    const cache = await api.imap.headers.folder(ACCOUNT_ID, 'INBOX');
    await waitFor(() => (cache.state() && cache.count() === BIG_FOLDER_MESSAGES ? true : undefined), 'the full header sync of 100,000', 240_000);
    log(`big folder: full header sync done ${Date.now() - started} ms after the first page`);

    const children = await api.treeModel.getChildren(inbox);
    const more = children.find((c): c is LoadMoreNode => c.kind === 'loadMore');
    assert.ok(more, 'a Load more item');
    // The account's folders are listed again (Refresh; also when it comes online) after that row was
    // listed: Load more on the row, whose folder node the view no longer holds, must still show the next page.
    const listed = api.treeModel.findFolder(ACCOUNT_ID, 'INBOX');
    api.treeModel.refresh(api.treeModel.findAccount(ACCOUNT_ID));
    await waitFor(() => (api.treeModel.findFolder(ACCOUNT_ID, 'INBOX') !== listed ? true : undefined), 'INBOX listed again');
    const firstRow = messagesOf(children)[0];
    await revealWhenShown(() => firstRow, 'the first page under INBOX listed again', false);
    assert.equal(more.remaining, BIG_FOLDER_MESSAGES - PAGE);
    await vscode.commands.executeCommand('mailroom.loadMore', more);
    const after = await api.treeModel.getChildren(inbox);
    const shown = messagesOf(after);
    assert.equal(shown.length, 2 * PAGE);
    assert.deepEqual(shown.map(uidOf), Array.from({ length: 2 * PAGE }, (_, i) => BIG_FOLDER_MESSAGES - i), 'the next 50, in order, none twice');
    const stillMore = after.find((c): c is LoadMoreNode => c.kind === 'loadMore');
    assert.equal(stillMore?.remaining, BIG_FOLDER_MESSAGES - 2 * PAGE);
  });

  it('opens a message from the second page', async () => {
    const shown = messagesOf(await api.treeModel.getChildren(inbox));
    const target = shown[2 * PAGE - 1];
    const expected = benchMessage(BIG_FOLDER_MESSAGES - 2 * PAGE + 1).subject;
    assert.equal(target.item.subject, expected);
    // The tree view redraws the folder after Load more on its own schedule: reveal once it has the row.
    await revealWhenShown(() => target, 'the second page', false);
    const rendered = new Promise<{ subject: string; textLength: number }>((resolve) => {
      const sub = api.panels.onDidRender((r) => {
        sub.dispose();
        resolve(r);
      });
    });
    await vscode.commands.executeCommand('mailroom.openMessage', target);
    const report = await Promise.race([rendered, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('panel never rendered')), 60_000))]);
    assert.equal(report.subject, expected);
    assert.ok(report.textLength > 0);
    const shot = await takeScreenshot('scale-100k-loaded-more-and-open');
    if (shot) log(`screenshot: ${shot}`);
  });
});
