// Add Account as a person uses it: `mailroom.addAccount` with no arguments, the address step left
// empty for manual setup, the six-step quick input
// typed into through the browser, and the certificate dialog for the fixture's self-signed
// certificate answered with its button. Needs the code-server runner (keyboard and dialogs).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { AccountNode, FolderNode } from '../../../src/providers/tree/nodes';
import { activateMailroom, fixtureInfo, FixtureInfo, log, takeScreenshot, waitFor } from './harness';
import { canDriveInput, clickDialogButton, pressKey, typeText, waitForDialogButton, waitForQuickInput, withDialogs } from './input';

const fingerprint = (sha256: string): string => sha256.replace(/:/g, '').toLowerCase();

describe('Add Account through the quick input (bob over IMAPS, typed in by keyboard)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let added: string | undefined;

  before(async function () {
    if (!canDriveInput()) this.skip();
    fixture = fixtureInfo();
    api = await activateMailroom();
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    if (added) await vscode.commands.executeCommand('mailroom.removeAccount', added);
  });

  it('walks the six steps, trusts the certificate in the dialog and shows the account with its folders', async () => {
    const bob = fixture.users.bob;
    const { result, dialog } = await withDialogs(async () => {
      const running = Promise.resolve(vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount'));
      let finished = false;
      void running.finally(() => (finished = true));
      const step = async (n: number, keys: () => Promise<void>): Promise<void> => {
        const state = await waitForQuickInput(`(${n}/6)`);
        log(`step ${n}: ${state.title}${state.message ? ` (${state.message})` : ''}`);
        await keys();
        await takeScreenshot(`add-account-step-${n}`);
        await pressKey('Enter');
      };
      // Add Account starts with the email address; left empty, Enter leads to the manual steps.
      const first = await waitForQuickInput('email address');
      assert.match(first.message, /Leave it empty and press Enter to enter the server settings yourself/);
      await pressKey('Enter');
      await step(1, () => typeText('IMAP'));
      await step(2, () => typeText(fixture.host));
      await step(3, () => typeText('TLS'));
      await step(4, async () => {
        await pressKey('Control+A');
        await typeText(String(fixture.ports.imaps));
      });
      await step(5, () => typeText(bob.user));
      await step(6, () => typeText(bob.password));
      await waitForDialogButton('Trust This Certificate', 30_000);
      await takeScreenshot('add-account-certificate-dialog');
      const answered = await clickDialogButton('Trust This Certificate');
      assert.equal(finished, false, 'the command waited for the certificate dialog');
      return { result: await running, dialog: answered };
    });
    assert.match(dialog.message, new RegExp(`^The certificate of ${fixture.host.replace(/\./g, '\\.')}:${fixture.ports.imaps} could not be verified\\.$`));
    assert.ok(fingerprint(dialog.detail).includes(fingerprint(fixture.certSha256)), `the dialog shows the fingerprint: ${dialog.detail}`);

    assert.equal(result.saved, true, JSON.stringify(result));
    added = result.accountId;
    assert.equal(added, `bob@${fixture.host}`);

    const entry = (vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? []).find((a) => (a as { id?: unknown }).id === added) as Record<string, unknown> | undefined;
    assert.ok(entry, 'the account is in the mailroom.accounts setting');
    assert.deepEqual(
      { protocol: entry.protocol, host: entry.host, port: entry.port, security: entry.security, user: entry.user },
      { protocol: 'imap', host: fixture.host, port: fixture.ports.imaps, security: 'tls', user: bob.user },
    );
    assert.equal(fingerprint(String(entry.trustedCertificateSha256)), fingerprint(fixture.certSha256), 'exactly the certificate the dialog showed is trusted');
    assert.equal(entry.password, undefined, 'no password in settings');
    assert.equal(await api.hasPassword(added), true, 'the password is in secret storage');

    const account = await waitFor(() => api.treeModel.getRoots().find((n): n is AccountNode => n.account.id === added), 'the account in the tree');
    const folders = await waitFor(async () => {
      const children = (await api.treeModel.getChildren(account)).filter((n): n is FolderNode => n.kind === 'folder');
      return children.length ? children : undefined;
    }, 'the account\'s folders');
    assert.ok(folders.some((f) => f.folder.path === 'INBOX'), `INBOX among ${folders.map((f) => f.folder.path).join(', ')}`);
    await api.treeView.reveal(account, { expand: true, focus: false, select: true });
    await takeScreenshot('add-account-done');
  });
});
