// Issue 4 inside the extension host: a POP3 account's inbox in the tree (downloaded into the
// durable cache), read state that survives reloading the cache from disk, the Unified Inbox, and
// "Copy to IMAP Folder…" landing in Dovecot byte for byte.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { Pop3CheckResult } from '../../../src/providers/pop3Accounts';
import type { AccountNode, MailNode, MessageNode, Pop3InboxNode, UnifiedInboxNode } from '../../../src/providers/tree/nodes';
import { ALICE_SEED } from '../../fixtures/seed';
import { activateMailroom, fixtureInfo, FixtureInfo, imapsAccount, log, otherImapClient, takeScreenshot, waitFor } from './harness';

const POP3_ID = 'alice-pop3';
const IMAP_ID = 'bob-consolidate';

describe('POP3 in the extension host (alice over POP3S, bob as the IMAP target)', function () {
  this.timeout(180_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;

  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    for (const id of [POP3_ID, IMAP_ID]) await vscode.commands.executeCommand('mailroom.removeAccount', id);
  });

  it('adds a POP3 account, downloads the maildrop and lists it newest first', async () => {
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', {
      id: POP3_ID,
      label: 'Alice (POP3)',
      protocol: 'pop3',
      host: fixture.host,
      port: fixture.ports.pop3s,
      security: 'tls',
      user: fixture.users.alice.user,
      password: fixture.users.alice.password,
      trustedCertificateSha256: fixture.certSha256,
    });
    assert.deepEqual(result, { saved: true, accountId: POP3_ID });
    const account = await accountNode(POP3_ID);
    const results = await vscode.commands.executeCommand<Pop3CheckResult[]>('mailroom.checkMail', account);
    assert.equal(results[0].error, undefined, results[0].error?.message);
    const inbox = await pop3Inbox();
    const rows = await waitFor(async () => {
      const r = (await api.treeModel.getChildren(inbox)).filter((n): n is MessageNode => n.kind === 'message');
      return r.length === 50 ? r : undefined;
    }, 'the first page of the POP3 inbox');
    assert.equal(rows[0].item.subject, ALICE_SEED.newest.subject);
    assert.equal(rows[0].item.location.protocol, 'pop3');
    assert.equal(rows[0].item.seen, false, 'POP3 has no server flags: everything starts unread');
    assert.equal(String(api.treeProvider.getTreeItem(rows[0]).contextValue), 'mailroom.message.pop3.unread.unflagged');

    const again = await vscode.commands.executeCommand<Pop3CheckResult[]>('mailroom.checkMail', account);
    assert.equal(again[0].report?.downloaded, 0, 'a second check downloads nothing');
    assert.equal(again[0].report?.skippedAlreadyCached, ALICE_SEED.inboxTotal);
  });

  it('keeps read state locally across a reload of the cache', async () => {
    const inbox = await pop3Inbox();
    const newest = (await api.treeModel.getChildren(inbox)).find((n): n is MessageNode => n.kind === 'message')!;
    const rendered = new Promise<void>((resolve) => {
      const sub = api.panels.onDidRender(() => {
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('mailroom.openMessage', newest);
    await rendered;
    await waitFor(async () => (await api.treeModel.getChildren(inbox)).find((n): n is MessageNode => n.kind === 'message')?.item.seen, 'the opened message to be read');
    await vscode.commands.executeCommand('mailroom.flag', newest);
    api.pop3.forget(POP3_ID); // as after a restart: the cache is read from disk again
    const reloaded = await waitFor(async () => (await api.treeModel.getChildren(await pop3Inbox())).find((n): n is MessageNode => n.kind === 'message'), 'the reloaded inbox');
    assert.equal(reloaded.item.seen, true);
    assert.equal(reloaded.item.flagged, true);
    await waitFor(() => api.statusBar.unreadTotal === ALICE_SEED.inboxTotal - 1, 'the status bar to count the POP3 inbox (all unread but one)');
  });

  it('merges inboxes in the Unified Inbox and copies a POP3 message into an IMAP folder', async () => {
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, fixture.users.bob, IMAP_ID, 'Bob (IMAP)'));
    assert.equal(result.saved, true);
    const unified = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is UnifiedInboxNode => n.kind === 'unified'), 'the Unified Inbox');
    const rows = (await api.treeModel.getChildren(unified)).filter((n): n is MessageNode => n.kind === 'message');
    assert.ok(rows.length > 0 && rows.every((r) => r.account.id === POP3_ID || r.account.id === IMAP_ID));
    const dates = rows.map((r) => r.item.date ?? '');
    assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');
    assert.match(String(api.treeProvider.getTreeItem(rows[0]).description), /^Alice \(POP3\) · /, 'each row shows its account');

    const imap = await otherImapClient(fixture, fixture.users.bob);
    try {
      await imap.mailboxCreate('Consolidated').catch(() => undefined);
      const message = rows.find((r) => r.account.id === POP3_ID)!;
      const original = await api.pop3.source(message.account, message.item.location.protocol === 'pop3' ? message.item.location.uidl : '');
      const copied = await vscode.commands.executeCommand<number>('mailroom.copyToImapFolder', message, [message], { accountId: IMAP_ID, path: 'Consolidated' });
      assert.equal(copied, 1);
      const lock = await imap.getMailboxLock('Consolidated');
      try {
        const fetched = await imap.fetchAll('1:*', { source: true, flags: true });
        assert.equal(fetched.length, 1);
        assert.ok(fetched[0].source?.equals(original), 'the exact bytes were appended');
        assert.ok(fetched[0].flags?.has('\\Seen') && fetched[0].flags.has('\\Flagged'), 'with its local flags');
      } finally {
        lock.release();
      }
      log('copied one POP3 message into bob/Consolidated, byte-identical');
    } finally {
      await imap.logout().catch(() => undefined);
    }
    await api.treeView.reveal(await pop3Inbox(), { expand: true, focus: false, select: false });
    const shot = await takeScreenshot('workbench-pop3-unified');
    if (shot) log(`screenshot: ${shot}`);
  });

  async function accountNode(id: string): Promise<AccountNode> {
    return waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === id), `account ${id}`);
  }

  async function pop3Inbox(): Promise<Pop3InboxNode> {
    const children: MailNode[] = await api.treeModel.getChildren(await accountNode(POP3_ID));
    const inbox = children.find((n): n is Pop3InboxNode => n.kind === 'pop3Inbox');
    assert.ok(inbox, 'the POP3 account has an Inbox');
    return inbox;
  }
});
