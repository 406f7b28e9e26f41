// Local search in the real workbench: alice's INBOX synced, then "Mailroom: Search Mail (Local)"
// typed into as a person would, the results on screen (screenshot), Enter opening the message in
// the message panel; then the same search answered with Dovecot stopped. Reads alice's mail only
// (markReadOnOpen is off while it runs, so no flag changes).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import { ALICE_SEED } from '../../fixtures/seed';
import { activateMailroom, dovecotControl, fixtureInfo, imapsAccount, log, takeScreenshot, waitFor, webviewTexts, workbenchTexts } from './harness';
import { canDriveInput, pressKey, typeText, waitForQuickInput } from './input';

const ACCOUNT_ID = 'alice-local-search';
const QUARTERLY = ALICE_SEED.inbox.messages.find((m) => m.subject.startsWith('Quarterly report'))!;

interface Row {
  subject: string;
  folder: string;
  account: string;
}

describe('Local search in the Quick Pick, offline too', function () {
  this.timeout(180_000);
  let api: MailroomApi;

  before(async () => {
    api = await activateMailroom();
    await vscode.workspace.getConfiguration('mailroom').update('markReadOnOpen', false, vscode.ConfigurationTarget.Global);
    const fixture = fixtureInfo();
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, fixture.users.alice, ACCOUNT_ID, 'Alice (local search)'));
    assert.equal(result.saved, true, JSON.stringify(result));
    const config = api.treeModel.findAccount(ACCOUNT_ID)?.account;
    assert.ok(config, 'the account is in the tree');
    await api.imap.get(config).openFolder('INBOX');
    await waitFor(async () => (await api.imap.headers.folder(ACCOUNT_ID, 'INBOX')).count() === ALICE_SEED.inboxTotal || undefined, 'INBOX synced into the header cache', 60_000);
    // The index reads what the cache has written to disk (a sync writes at the end of each batch).
    await waitFor(async () => (await api.imap.headers.knownFolders(ACCOUNT_ID)).includes('INBOX') || undefined, 'INBOX written to the header cache', 30_000);
  });

  after(async () => {
    await dovecotControl('start').catch(() => undefined);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await vscode.workspace.getConfiguration('mailroom').update('markReadOnOpen', undefined, vscode.ConfigurationTarget.Global);
  });

  const search = (query: string): Promise<Row[] | string> => Promise.resolve(vscode.commands.executeCommand<Row[] | string>('mailroom.searchLocal', { query }));

  it('finds synced headers by prefix and operator, ranked, across the account', async () => {
    const rows = await search('quarterly rep');
    assert.ok(Array.isArray(rows), String(rows));
    assert.equal(rows[0]?.subject, QUARTERLY.subject);
    assert.equal(rows[0]?.folder, 'INBOX');
    assert.equal(rows[0]?.account, 'Alice (local search)');
    const welcome = await search('is:unread from:fixture');
    assert.deepEqual(
      (welcome as Row[]).map((r) => r.subject),
      ['Welcome to Mailroom'],
    );
    assert.equal(await search('is:sometimes'), '"is:" takes unread, read, flagged or unflagged.');
  });

  it('searches as you type in the Quick Pick and opens the message on Enter', async function () {
    if (!canDriveInput()) this.skip(); // typing needs the code-server runner's browser
    void vscode.commands.executeCommand('mailroom.searchLocal');
    await waitForQuickInput('Search Mail (Local)');
    await typeText('quarterly rep');
    const rows = await waitFor(async () => {
      const texts = await workbenchTexts('.quick-input-list .monaco-list-row');
      return texts?.some((t) => t.includes(QUARTERLY.subject)) ? texts : undefined;
    }, 'the result row');
    log(`rows: ${JSON.stringify(rows)}`);
    assert.ok(rows[0].includes(QUARTERLY.subject), `the best match first: ${rows[0]}`);
    assert.ok(rows[0].includes('INBOX') && rows[0].includes('Alice (local search)'), `folder and account in the row: ${rows[0]}`);
    assert.ok(rows.some((r) => r.includes('Search on the server')), 'the server search is offered last');
    await takeScreenshot('local-search-results');

    const rendered = new Promise<void>((resolve) => {
      const sub = api.panels.onDidRender(() => {
        sub.dispose();
        resolve();
      });
    });
    const panelsBefore = api.panels.openPanelCount;
    await pressKey('Enter');
    await waitFor(() => api.panels.openPanelCount > panelsBefore || undefined, 'a message panel to open');
    await rendered;
    if (await webviewTexts()) {
      await waitFor(async () => (await webviewTexts())?.some((t) => t.text.includes('quarterly report and my notes')), 'the body in the message panel');
    }
    await takeScreenshot('local-search-opened');
  });

  it('indexes the body once it is cached, and answers with the server stopped', async () => {
    const config = api.treeModel.findAccount(ACCOUNT_ID)!.account;
    await api.imap.get(config).source('INBOX', QUARTERLY.uid); // caches the body (what opening does)
    await waitFor(async () => ((await search('body:attached has:attachment')) as Row[]).some((r) => r.subject === QUARTERLY.subject), 'the body words found');
    await dovecotControl('stop');
    try {
      const rows = (await search('welcome')) as Row[];
      assert.deepEqual(
        rows.map((r) => r.subject),
        ['Welcome to Mailroom'],
      );
      assert.ok(((await search('since:2000-01-01 quarterly')) as Row[]).length >= 1);
    } finally {
      await dovecotControl('start');
    }
  });
});
