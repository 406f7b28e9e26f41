// A server whose personal namespace is "INBOX." with "." (Courier style), in the real tree view:
// its folders show at the top level beside INBOX, as other mail clients show them, and open by
// their full path. The test starts its own Dovecot configured that way.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { MailroomApi } from '../../../src/providers/api';
import { AccountNode, FolderNode, imapLocation, MailNode, MessageNode } from '../../../src/providers/tree/nodes';
import { DovecotFixture, startDovecot } from '../../fixtures/dovecot';
import { ALICE_SEED } from '../../fixtures/seed';
import { activateMailroom, log, takeScreenshot, waitFor } from './harness';

describe('Folders on a server with the personal prefix "INBOX." (in the extension host)', function () {
  this.timeout(90_000);
  let api: MailroomApi;
  let dovecot: DovecotFixture | undefined;
  const id = 'courier';

  const labelOf = (node: MailNode): string => {
    const label = api.treeProvider.getTreeItem(node).label;
    return typeof label === 'string' ? label : label?.label ?? '';
  };

  before(async () => {
    api = await activateMailroom();
    dovecot = await startDovecot({ namespaces: { prefix: 'INBOX.', separator: '.' } });
  });

  after(async () => {
    await vscode.commands.executeCommand('mailroom.removeAccount', id);
    await dovecot?.stop();
  });

  it('shows Sent, Drafts and Projects beside INBOX, not under it, and opens Sent by its full path', async () => {
    const d = dovecot!;
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', {
      id,
      label: 'Courier-style server',
      protocol: 'imap',
      host: d.host,
      port: d.ports.imaps,
      security: 'tls',
      user: d.users.alice.user,
      password: d.users.alice.password,
      trustedCertificateSha256: d.certSha256,
    });
    assert.deepEqual(result, { saved: true, accountId: id });
    const account = await waitFor(
      async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === id),
      'the account in the tree',
    );
    await api.treeView.reveal(account, { expand: true, focus: false, select: false });
    const folders = (await api.treeModel.getChildren(account)).filter((n): n is FolderNode => n.kind === 'folder');
    assert.deepEqual(folders.map(labelOf).slice(0, 3), ['INBOX', 'Drafts', 'Sent']);
    const sent = folders.find((f) => labelOf(f) === 'Sent')!;
    assert.equal(sent.folder.path, 'INBOX.Sent');
    assert.equal((api.treeProvider.getTreeItem(sent).iconPath as vscode.ThemeIcon).id, 'send');
    assert.ok(folders.some((f) => f.folder.path === 'INBOX.Projects'), 'Projects at the top level');
    const inboxChildren = await api.treeModel.getChildren(folders[0]);
    assert.equal(inboxChildren.filter((n) => n.kind === 'folder').length, 0, 'no folder nested under INBOX');

    // Synced (UIDVALIDITY known), not only the first page: the view then shows the same rows.
    await waitFor(async () => {
      const messages = (await api.treeModel.getChildren(sent)).filter((n): n is MessageNode => n.kind === 'message');
      return messages.length === ALICE_SEED.expected.Sent.total && messages.every((m) => imapLocation(m)?.uidValidity);
    }, 'the Sent messages');
    await api.treeView.reveal(sent, { expand: true, focus: false, select: false });
    const shot = await takeScreenshot('namespace-prefix-tree');
    if (shot) log(`screenshot: ${shot}`);
  });
});
