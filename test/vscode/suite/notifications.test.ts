// New-mail notifications and the Mail view's badge in the real workbench, against the fixture's
// Dovecot, with a second IMAP client delivering mail: a person sees the toast and clicks its
// buttons in the browser (runner endpoint /notification-button). Uses the user "notify".
import * as assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import { buildMessage } from '../../fixtures/messages';
import type { MailUser } from '../../fixtures/seed';
import { activateMailroom, fixtureInfo, imapsAccount, otherImapClient, takeScreenshot, waitFor } from './harness';
import { canDriveInput, clickNotificationButton, waitForNotification } from './input';

const ACCOUNT_ID = 'notify-test';
const LABEL = 'Notify';

describe('New-mail notifications and the Mail view badge (notify, with a second client)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let other: ImapFlow;
  let user: MailUser;
  let sequence = 0;

  const deliver = async (subject: string): Promise<void> => {
    sequence++;
    const raw = buildMessage({
      from: { name: 'Erin Example', address: 'erin@example.test' },
      to: [{ address: 'notify@example.test' }],
      subject,
      date: new Date(),
      messageId: `notify-${sequence}-${Date.now()}@test.mailroom`,
      body: { kind: 'text', text: `${subject}: body.\n` },
    });
    await other.append('INBOX', raw, []);
  };
  const serverMessage = async (folder: string, subject: string): Promise<{ uid: number; flags: string[] } | undefined> => {
    const lock = await other.getMailboxLock(folder);
    try {
      // A mailbox already selected by the previous poll is not selected again, and imapflow skips a
      // FETCH while it believes the mailbox empty: NOOP first, so the server reports what arrived
      // since (a poll started before the move came in saw Archive empty and would see it so forever).
      await other.noop();
      if (other.mailbox && other.mailbox.exists === 0) return undefined;
      const all = await other.fetchAll('1:*', { uid: true, flags: true, envelope: true });
      const m = all.find((x) => x.envelope?.subject === subject);
      return m ? { uid: m.uid, flags: [...(m.flags ?? [])] } : undefined;
    } finally {
      lock.release();
    }
  };

  before(async function () {
    const fixture = fixtureInfo();
    if (!fixture.users.notify || !canDriveInput()) this.skip();
    user = fixture.users.notify;
    api = await activateMailroom();
    other = await otherImapClient(fixture, user);
    await deliver('Already here at start-up');
    await vscode.workspace.getConfiguration('mailroom').update('notifyNewMail', true, vscode.ConfigurationTarget.Global);
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, user, ACCOUNT_ID, LABEL));
    assert.equal(result.saved, true, JSON.stringify(result));
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
    // Expanding the account connects it (activation connects nowhere); INBOX then syncs and idles.
    const accountNode = await waitFor(() => api.treeModel.findAccount(ACCOUNT_ID), 'the account in the tree');
    await api.treeModel.getChildren(accountNode);
    await waitFor(() => api.statusBar.unreadTotal >= 1, 'the inbox to be counted');
  });

  // Answered notifications leave the list; the rest are cleared so each test finds only its own.
  afterEach(async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  after(async () => {
    await vscode.workspace.getConfiguration('mailroom').update('notifyNewMail', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await other?.logout().catch(() => undefined);
  });

  it('never announces mail that was there at start-up; the badge counts the unread inbox', async () => {
    await assert.rejects(waitForNotification('Already here at start-up', 'Open', 3_000), /answered 404/, 'no notification for mail already there');
    await waitFor(() => api.treeView.badge?.value === api.statusBar.unreadTotal, `the badge to show ${api.statusBar.unreadTotal}`);
    assert.ok((api.treeView.badge?.value ?? 0) >= 1);
  });

  it('announces a new message; Mark as Read marks it read on the server and the badge goes down', async () => {
    await deliver('Standup moved to 10:30');
    await waitFor(() => api.treeView.badge?.value === 2, 'the badge to count the new message');
    const message = await waitForNotification('Standup moved to 10:30', 'Mark as Read', 30_000);
    assert.match(message, /New mail in Notify: "Standup moved to 10:30" from Erin Example/);
    await takeScreenshot('notification-new-mail');
    await clickNotificationButton('Standup moved to 10:30', 'Mark as Read');
    await waitFor(async () => (await serverMessage('INBOX', 'Standup moved to 10:30'))?.flags.includes('\\Seen'), 'the server to have \\Seen');
    await waitFor(() => api.treeView.badge?.value === 1, 'the badge to go back to 1');
  });

  it('Archive moves the announced message to the Archive folder', async () => {
    await deliver('Quarterly numbers');
    await clickNotificationButton('Quarterly numbers', 'Archive', 30_000);
    await waitFor(async () => (await serverMessage('Archive', 'Quarterly numbers')) !== undefined, 'the message in Archive');
    assert.equal(await serverMessage('INBOX', 'Quarterly numbers'), undefined, 'and no longer in INBOX');
  });

  it('Open shows the announced message in a message tab', async () => {
    const before = api.panels.openPanelCount;
    await deliver('Open me from the notification');
    await clickNotificationButton('Open me from the notification', 'Open', 30_000);
    await waitFor(() => api.panels.openPanelCount === before + 1, 'a message panel to open');
    await waitFor(() => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label.includes('Open me from the notification'))), 'the tab titled with the subject');
  });

  it('several messages arriving together are one notification', async () => {
    await Promise.all(['Batch one', 'Batch two', 'Batch three'].map((s) => deliver(s)));
    const message = await waitForNotification('new messages in Notify', 'Mark All as Read', 30_000);
    assert.match(message, /^3 new messages in Notify from Erin Example/);
    await takeScreenshot('notification-grouped');
    await clickNotificationButton('new messages in Notify', 'Mark All as Read');
    for (const s of ['Batch one', 'Batch two', 'Batch three']) {
      await waitFor(async () => (await serverMessage('INBOX', s))?.flags.includes('\\Seen'), `${s} read on the server`);
    }
  });
});
