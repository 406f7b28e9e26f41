// An account with `auth: "oauth2"` that is not signed in, inside VS Code: expanding it shows why in
// words the user can act on, marks the account node (context value `signInRequired`, so the sign-in
// command can be offered on it) and makes no reconnect loop.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AccountNode, StatusNode } from '../../../src/providers/tree/nodes';
import { activateMailroom, fixtureInfo, log, takeScreenshot, waitFor, workbenchTexts } from './harness';

describe('an OAuth2 account that is not signed in (in VS Code)', function () {
  this.timeout(60_000);
  let api: MailroomApi;
  const id = 'oauth-not-signed-in';

  before(async () => {
    api = await activateMailroom();
  });
  after(async () => {
    await vscode.commands.executeCommand('mailroom.removeAccount', id);
  });

  it('shows "not signed in" under the account, marks the account node, and does not retry by itself', async () => {
    const fixture = fixtureInfo();
    const config = vscode.workspace.getConfiguration('mailroom');
    const accounts = config.get<unknown[]>('accounts') ?? [];
    await config.update(
      'accounts',
      [
        ...accounts,
        {
          id,
          label: 'OAuth (not signed in)',
          protocol: 'imap',
          host: fixture.host,
          port: fixture.ports.imaps,
          security: 'tls',
          user: fixture.users.alice.user,
          trustedCertificateSha256: fixture.certSha256,
          auth: 'oauth2',
          oauth2: { provider: 'microsoft', clientId: '00000000-0000-0000-0000-000000000001', tenant: 'organizations' },
        },
      ],
      vscode.ConfigurationTarget.Global,
    );
    const node = await waitFor(() => api.treeModel.findAccount(id), 'the account in the tree');
    const children = await api.treeModel.getChildren(node);
    const status = children.find((c): c is StatusNode => c.kind === 'status');
    assert.ok(status, `a status row under the account: ${JSON.stringify(children.map((c) => c.kind))}`);
    assert.match(status.message, /not signed in\. Sign in/);
    assert.equal(api.treeProvider.getTreeItem(status).contextValue, 'mailroom.status.signInRequired');
    const accountItem = await waitFor(() => {
      const current = api.treeModel.findAccount(id) as AccountNode;
      const item = api.treeProvider.getTreeItem(current);
      return item.contextValue === 'mailroom.account.imap.signInRequired' ? item : undefined;
    }, 'the account node marked signInRequired');
    assert.match(String(accountItem.description), /sign-in required/);
    // A permanent failure, not an outage the supervisor keeps retrying.
    assert.doesNotMatch(status.message, /offline|keeps trying/i);
    await api.treeView.reveal(api.treeModel.findAccount(id)!, { expand: true, focus: false, select: false });
    const rows = await waitFor(async () => {
      const texts = await workbenchTexts('.monaco-list-row');
      return texts?.some((t) => /is not signed in/.test(t)) ? texts : undefined;
    }, 'the status row on screen');
    await new Promise((r) => setTimeout(r, 1000));
    const after = await workbenchTexts('.monaco-list-row');
    assert.ok(after?.some((t) => /is not signed in/.test(t)), `the account stays expanded after its node is redrawn: ${JSON.stringify(after ?? rows)}`);
    const shot = await takeScreenshot('oauth-sign-in-required');
    if (shot) log(`      screenshot: ${shot}`);
  });
});
