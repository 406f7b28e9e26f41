// Add Account from the email address alone, typed in the real workbench: discovery against the
// runner's discovery domains (runners/discoveryDomain.ts, reached through the MAILROOM_DISCOVERY_*
// developer override), what was found shown with where it came from, the certificate flow, and the
// confirmations: a password going to another domain's host, a setup file read over plain http.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SUITE_DISCOVERY } from '../../fixtures/discoverySuite';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { AccountNode, FolderNode } from '../../../src/providers/tree/nodes';
import { activateMailroom, fixtureInfo, FixtureInfo, log, takeScreenshot, waitFor, workbenchTexts } from './harness';
import { canDriveInput, clickDialogButton, pressKey, typeText, waitForDialogButton, waitForQuickInput, withDialogs } from './input';

const fingerprint = (sha256: string): string => sha256.replace(/:/g, '').toLowerCase();
const accounts = (): Array<Record<string, unknown>> => (vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? []) as Array<Record<string, unknown>>;

/** Starts Add Account and answers the address and name steps. */
async function startWithAddress(address: string, name: string, shot: string, notAnAddress?: string): Promise<{ running: Promise<AddAccountResult>; finished: () => boolean }> {
  const running = Promise.resolve(vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount'));
  let done = false;
  void running.finally(() => (done = true));
  await waitForQuickInput('email address');
  if (notAnAddress) {
    // Not an address: the step says why in words and Enter does not leave it.
    // VS Code runs validateInput after a debounce, so the prompt can still be on screen just after
    // Enter: wait for the validation text instead of reading the first state.
    await typeText(notAnAddress);
    await pressKey('Enter');
    const expected = new RegExp(`"${notAnAddress}" is not an email address; type it as name@example\\.com\\.`);
    let state = await waitForQuickInput('email address');
    await waitFor(async () => {
      state = await waitForQuickInput('email address');
      return expected.test(state.message);
    }, 'the validation text under the address', 10_000).catch(() => undefined);
    await takeScreenshot(`${shot}-0-not-an-address`);
    assert.match(state.message, expected);
    await pressKey('Control+A');
  }
  await typeText(address);
  // The next step depends on what the box holds (empty means manual setup): go on only once it holds the address.
  const typed = await waitFor(async () => {
    const state = await waitForQuickInput('email address');
    return state.value === address ? state : undefined;
  }, `the address "${address}" in the box`, 10_000);
  assert.equal(typed.value, address);
  await takeScreenshot(`${shot}-1-address`);
  await pressKey('Enter');
  await waitForQuickInput('your name');
  if (name) await typeText(name);
  await takeScreenshot(`${shot}-2-name`);
  await pressKey('Enter');
  return { running, finished: () => done };
}

/** The rows of the quick pick on screen. */
async function pickRows(): Promise<string[]> {
  return (await workbenchTexts('.quick-input-widget .monaco-list-row')) ?? [];
}

describe('Add Account from an email address (discovery in the workbench)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let added: string | undefined;

  before(async function () {
    if (!canDriveInput() || !process.env.MAILROOM_DISCOVERY_HOSTS) this.skip();
    fixture = fixtureInfo();
    api = await activateMailroom();
    // An editor left open by an earlier suite (a message webview) must not hold the keyboard focus.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    if (added) await vscode.commands.executeCommand('mailroom.removeAccount', added);
  });

  it('adds an account from the address alone: accept what was found, type the password, trust the certificate, see INBOX', async () => {
    const bob = fixture.users.bob;
    const address = `${bob.user}@${SUITE_DISCOVERY.ownDomain}`;
    const { result, rows, dialog } = await withDialogs(async () => {
      const { running, finished } = await startWithAddress(address, 'Bob Example', 'setup-address', 'bob.example.test');
      const found = await waitForQuickInput('settings found for', 30_000);
      assert.match(found.title, new RegExp(`settings found for ${address.replace(/\./g, '\\.')}`));
      const shown = await waitFor(async () => {
        const r = await pickRows();
        return r.length >= 3 ? r : undefined;
      }, 'the rows of what was found');
      await takeScreenshot('setup-address-3-found');
      await pressKey('Enter');
      await waitForQuickInput('password for', 15_000);
      await typeText(bob.password);
      await takeScreenshot('setup-address-4-password');
      await pressKey('Enter');
      await waitForDialogButton('Trust This Certificate', 30_000);
      await takeScreenshot('setup-address-5-certificate');
      const answered = await clickDialogButton('Trust This Certificate');
      assert.equal(finished(), false, 'the command waited for the certificate dialog');
      return { result: await running, rows: shown, dialog: answered };
    });
    log(`found rows: ${rows.join(' || ')}`);
    // IMAP first although the provider listed POP3 first; where it came from is on the row.
    assert.match(rows[0], new RegExp(`Use IMAP imap\\.${SUITE_DISCOVERY.ownDomain.replace('.', '\\.')}:${fixture.ports.imaps} \\(TLS\\)`));
    assert.match(rows[0], new RegExp(`and SMTP smtp\\.example\\.test:${fixture.ports.smtp} \\(STARTTLS\\) to send`));
    assert.match(rows[0], /Incoming from the provider’s setup file https:\/\/autoconfig\.example\.test\/mail\/config-v1\.1\.xml\?emailaddress=bob%40example\.test; a server answered, certificate to confirm/);
    assert.ok(rows.some((r) => /Use POP3 pop\.example\.test:\d+ \(TLS\) instead/.test(r)), rows.join(' || '));
    assert.ok(rows.some((r) => r.includes('Edit settings')) && rows.some((r) => r.includes('Set up manually')), rows.join(' || '));
    assert.ok(fingerprint(dialog.detail).includes(fingerprint(fixture.certSha256)), `the dialog shows the fingerprint: ${dialog.detail}`);

    assert.equal(result.saved, true, JSON.stringify(result));
    added = result.accountId;
    const entry = accounts().find((a) => a.id === added);
    assert.ok(entry, 'the account is in the mailroom.accounts setting');
    // imap.example.test exists only in the override, which maps it to the fixture's loopback port.
    assert.deepEqual(
      { protocol: entry.protocol, host: entry.host, port: entry.port, security: entry.security, user: entry.user, email: entry.email, name: entry.name },
      { protocol: 'imap', host: fixture.host, port: fixture.ports.imaps, security: 'tls', user: bob.user, email: address, name: 'Bob Example' },
    );
    assert.equal(fingerprint(String(entry.trustedCertificateSha256)), fingerprint(fixture.certSha256));
    const smtp = entry.smtp as Record<string, unknown>;
    assert.deepEqual({ host: smtp.host, port: smtp.port, security: smtp.security }, { host: fixture.host, port: fixture.ports.smtp, security: 'starttls' });
    assert.equal(fingerprint(String(smtp.trustedCertificateSha256)), fingerprint(fixture.certSha256), 'the same certificate on the SMTP sink is pinned with it');
    assert.equal(await api.hasPassword(added!), true, 'the password is in secret storage');

    const account = await waitFor(() => api.treeModel.getRoots().find((n): n is AccountNode => n.account.id === added), 'the account in the tree');
    const folders = await waitFor(async () => {
      const children = (await api.treeModel.getChildren(account)).filter((n): n is FolderNode => n.kind === 'folder');
      return children.length ? children : undefined;
    }, "the account's folders");
    assert.ok(folders.some((f) => f.folder.path === 'INBOX'), `INBOX among ${folders.map((f) => f.folder.path).join(', ')}`);
    await api.treeView.reveal(account, { expand: true, focus: false, select: true });
    const treeRows = await waitFor(async () => {
      const r = (await workbenchTexts('.monaco-list-row')) ?? [];
      return r.some((t) => t.includes('INBOX')) ? r : undefined;
    }, 'INBOX drawn in the tree');
    assert.ok(treeRows.some((t) => t.includes(address)), `the account row is labelled with the address: ${treeRows.join(' | ')}`);
    await takeScreenshot('setup-address-6-done');
  });

  it('asks before sending the password to a host outside the domain, and saves nothing when declined', async () => {
    const before = accounts().length;
    const address = `bob@${SUITE_DISCOVERY.otherDomain}`;
    const { result, rows, dialog } = await withDialogs(async () => {
      const { running } = await startWithAddress(address, '', 'setup-address-elsewhere');
      await waitForQuickInput('settings found for', 30_000);
      const shown = await waitFor(async () => {
        const r = await pickRows();
        return r.length >= 3 ? r : undefined;
      }, 'the rows of what was found');
      await takeScreenshot('setup-address-elsewhere-3-found');
      await pressKey('Enter');
      const asked = await waitForDialogButton('Use These Servers', 15_000);
      await takeScreenshot('setup-address-elsewhere-4-confirm');
      await clickDialogButton('Cancel');
      return { result: await running, rows: shown, dialog: asked };
    });
    assert.match(rows[0], /imap\.provider\.test is not part of customer\.test/, rows.join(' || '));
    assert.equal(dialog.message, `Your password would go to ${SUITE_DISCOVERY.otherDomainHost} and smtp.provider.test, which are not part of ${SUITE_DISCOVERY.otherDomain}.`);
    assert.match(dialog.detail, /IMAP imap\.provider\.test:\d+ \(TLS\) from the provider’s setup file https:\/\/autoconfig\.customer\.test\//);
    assert.deepEqual(result, { saved: false });
    assert.equal(accounts().length, before, 'nothing was saved');
  });

  it('reads a setup file over plain http only after the user agreed, and says so', async () => {
    const before = accounts().length;
    const address = `bob@${SUITE_DISCOVERY.plainHttpDomain}`;
    const { result, rows, consent } = await withDialogs(async () => {
      const { running } = await startWithAddress(address, '', 'setup-address-http');
      const asked = await waitForDialogButton('Look Over http', 30_000);
      await takeScreenshot('setup-address-http-3-consent');
      await clickDialogButton('Look Over http');
      await waitForQuickInput('settings found for', 30_000);
      const shown = await waitFor(async () => {
        const r = await pickRows();
        return r.length >= 3 ? r : undefined;
      }, 'the rows of what was found');
      await takeScreenshot('setup-address-http-4-found');
      await pressKey('Escape');
      return { result: await running, rows: shown, consent: asked };
    });
    assert.equal(consent.message, `No mail settings for ${SUITE_DISCOVERY.plainHttpDomain} were found over https. Look for its setup file over unencrypted http?`);
    assert.match(consent.detail, /anyone on the network path .* can rewrite it to send your password to their own server/);
    assert.match(rows[0], /read over unencrypted http · Incoming from the provider’s setup file http:\/\/autoconfig\.oldschool\.test\/mail\/config-v1\.1\.xml\?emailaddress=bob%40oldschool\.test; a server answered/, rows.join(' || '));
    assert.deepEqual(result, { saved: false });
    assert.equal(accounts().length, before, 'nothing was saved');
  });

  it('skips the password for a provider that signs in with OAuth2 and asks for the client ID of the user’s own app', async () => {
    const before = accounts().length;
    const address = `bob@${SUITE_DISCOVERY.oauthDomain}`;
    const { result, rows, box } = await withDialogs(async () => {
      const { running } = await startWithAddress(address, '', 'setup-address-oauth');
      await waitForQuickInput('settings found for', 30_000);
      const shown = await waitFor(async () => {
        const r = await pickRows();
        return r.length >= 3 ? r : undefined;
      }, 'the rows of what was found');
      await pressKey('Enter');
      // outlook.office365.com is not part of provider.test: confirmed first, by name.
      await clickDialogButton('Use These Servers', 15_000);
      const asked = await waitForQuickInput('signs in with OAuth2', 15_000);
      await takeScreenshot('setup-address-oauth-3-client-id');
      await pressKey('Escape');
      return { result: await running, rows: shown, box: asked };
    });
    assert.match(rows[0], new RegExp(`Use IMAP ${SUITE_DISCOVERY.oauthHost.replace(/\./g, '\\.')}:${fixture.ports.imaps} \\(TLS\\)`), rows.join(' || '));
    assert.equal(box.title, 'Add Mail Account: Microsoft 365 / Outlook.com signs in with OAuth2');
    assert.match(box.message, /No password: you sign in in the browser through your own app registration\. Enter its client ID \(the \? button opens the README section “Signing in with OAuth2”\)/);
    assert.deepEqual(result, { saved: false });
    assert.equal(accounts().length, before, 'nothing was saved');
  });

  it('says nothing was found and offers the manual steps, pre-filled with the address', async () => {
    const before = accounts().length;
    const address = 'bob@nothing.test';
    const { result, nothing, manual } = await withDialogs(async () => {
      const { running } = await startWithAddress(address, '', 'setup-address-nothing');
      // Nothing over https: plain http is offered first; declined, nothing is read over it.
      await waitForDialogButton('Look Over http', 30_000);
      await clickDialogButton('Cancel');
      const said = await waitForDialogButton('Set Up Manually', 30_000);
      await takeScreenshot('setup-address-nothing-3-message');
      await clickDialogButton('Set Up Manually');
      await waitForQuickInput('(1/6)');
      await pressKey('Enter');
      await waitForQuickInput('(2/6)');
      await typeText('127.0.0.1');
      await waitFor(async () => (await waitForQuickInput('(2/6)')).value.includes('127.0.0.1'), 'the host name in the input box', 10_000);
      await pressKey('Enter');
      await waitForQuickInput('(3/6)');
      await pressKey('Enter');
      await waitForQuickInput('(4/6)');
      await pressKey('Enter');
      const user = await waitForQuickInput('(5/6)');
      await takeScreenshot('setup-address-nothing-4-manual');
      await pressKey('Escape');
      return { result: await running, nothing: said, manual: { user } };
    });
    assert.equal(nothing.message, 'Mailroom found no mail server settings for nothing.test. Nothing was saved.');
    assert.match(nothing.detail, /^No mail server settings were found for nothing\.test: no autoconfig file, no SRV records, and no server at the usual host names\. Enter the server settings by hand/);
    assert.match(manual.user.title, /user name/);
    assert.deepEqual(result, { saved: false });
    assert.equal(accounts().length, before, 'nothing was saved');
  });

  it('“Edit settings” runs the manual steps filled in with what was found, and keeps the outgoing server', async () => {
    const bob = fixture.users.bob;
    const address = `${bob.user}@${SUITE_DISCOVERY.ownDomain}`;
    const titles: string[] = [];
    const result = await withDialogs(async () => {
      const { running } = await startWithAddress(address, '', 'setup-address-edit');
      await waitForQuickInput('settings found for', 30_000);
      await typeText('Edit settings');
      await pressKey('Enter');
      // Every step starts with what was found: Enter keeps it.
      for (let n = 1; n <= 5; n++) {
        titles.push((await waitForQuickInput(`(${n}/6)`)).title);
        if (n === 1) await takeScreenshot('setup-address-edit-3-protocol');
        if (n === 4) await takeScreenshot('setup-address-edit-4-port');
        await pressKey('Enter');
      }
      await waitForQuickInput('(6/6)');
      await typeText(bob.password);
      await pressKey('Enter');
      await clickDialogButton('Trust This Certificate', 30_000);
      return running;
    });
    assert.equal(titles.length, 5, titles.join(' | '));
    assert.equal(result.saved, true, JSON.stringify(result));
    const id = result.accountId;
    try {
      const entry = accounts().find((a) => a.id === id);
      assert.ok(entry, 'saved');
      assert.deepEqual(
        { protocol: entry.protocol, host: entry.host, port: entry.port, security: entry.security, user: entry.user, email: entry.email },
        { protocol: 'imap', host: fixture.host, port: fixture.ports.imaps, security: 'tls', user: bob.user, email: address },
      );
      assert.deepEqual({ host: (entry.smtp as Record<string, unknown>).host, port: (entry.smtp as Record<string, unknown>).port }, { host: fixture.host, port: fixture.ports.smtp });
    } finally {
      if (id) await vscode.commands.executeCommand('mailroom.removeAccount', id);
    }
  });
});
