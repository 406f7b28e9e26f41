// Bidi spoofing (hostile-mail corpus, test/fixtures/bidiMail.ts) in real VS Code and real Chromium:
// a From name, subject and attachment name carrying U+202E RIGHT-TO-LEFT OVERRIDE show the control
// as a visible [U+202E] marker in the tree row, the tab title, the message view and the header
// inspector; none of them contains the control itself, so nothing is displayed reversed. Save As
// names the file so that its real extension ends it. A Hebrew message displays exactly as written.
// Uses fixture user "xss" with its own account and a folder this file creates and removes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { AccountNode, FolderNode, MessageNode } from '../../../src/providers/tree/nodes';
import { BidiMessage, bidiSpoofMessage, hebrewMessage } from '../../fixtures/bidiMail';
import { activateMailroom, fixtureInfo, FixtureInfo, hasBrowserService, imapsAccount, log, otherImapClient, takeScreenshot, waitFor, webviewTexts, workbenchTexts } from './harness';

const ACCOUNT_ID = 'xss-bidi';
const FOLDER = 'Bidi';
/** Characters that reorder the text around them (UAX #9 explicit formatting characters and marks). */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

describe('Bidi spoofing: controls in From, Subject and attachment names are shown, not obeyed', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let other: ImapFlow | undefined;
  let tmp: string;
  const spoof = bidiSpoofMessage();
  const hebrew = hebrewMessage();

  before(async function () {
    this.timeout(180_000);
    fixture = fixtureInfo();
    const user = fixture.users.xss;
    assert.ok(user, 'the fixture CLI provides user "xss"');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bidi-'));
    other = await otherImapClient(fixture, user);
    await other.mailboxDelete(FOLDER).catch(() => undefined); // A leftover from an interrupted run.
    await other.mailboxCreate(FOLDER);
    for (const m of [hebrew, spoof]) await other.append(FOLDER, m.raw, ['\\Seen'], new Date(Date.UTC(2024, 4, 2, m === spoof ? 10 : 9)));
    api = await activateMailroom();
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, user, ACCOUNT_ID, 'Bidi corpus'));
    assert.equal(result.saved, true, JSON.stringify(result));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (api) await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await other?.mailboxDelete(FOLDER).catch(() => undefined);
    await other?.logout().catch(() => undefined);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the tree row shows the subject and sender with the override visible', async () => {
    const node = await message(spoof);
    const item = api.treeProvider.getTreeItem(node);
    assert.equal(item.label, spoof.shown.subject);
    assert.match(String(item.description), /^\[U\+202E\]moc\.knab@ytiruces · /);
    // appendText escapes Markdown (`\[`, `&nbsp;`): read it back as the text it shows.
    const tooltip = (item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip)).replace(/\\(.)/g, '$1').replace(/&nbsp;/g, ' ');
    assert.ok(tooltip.includes(`${spoof.shown.subject}\n`) && tooltip.includes(`From: ${spoof.shown.from}`), tooltip);
    assert.doesNotMatch(`${String(item.label)} ${String(item.description)} ${tooltip} ${item.accessibilityInformation?.label ?? ''}`, BIDI_CONTROL);
    if (!hasBrowserService()) return;
    await showRow(node);
    const row = await waitFor(async () => (await workbenchTexts('.monaco-list-row'))?.find((t) => t.includes('fdp.exe')), 'the message row drawn in the Mail view');
    assert.ok(row.includes(spoof.shown.subject), `the row as drawn: ${JSON.stringify(row)}`);
    assert.ok(row.includes('[U+202E]moc.knab@ytiruces'), `the row as drawn: ${JSON.stringify(row)}`);
    assert.doesNotMatch(row, BIDI_CONTROL);
  });

  it('the message view and its tab title show the From name, subject and attachment name with the override visible', async () => {
    const node = await message(spoof);
    if (hasBrowserService()) await showRow(node); // the screenshot shows the tree row too
    await openAndRender(node);
    if (hasBrowserService()) log(`screenshot: ${await takeScreenshot('bidi-spoof-message')}`); // before the checks: it shows what a reader saw
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.equal(tab?.label, spoof.shown.subject, 'the tab title');
    if (!hasBrowserService()) return;
    const text = await waitFor(async () => (await webviewTexts())?.find((w) => w.visible && w.text.includes('Please pay the attached invoice'))?.text, 'the message view');
    for (const shown of [spoof.shown.subject, spoof.shown.from, spoof.shown.attachment]) assert.ok(text.includes(shown), `"${shown}" in the view:\n${text}`);
    assert.doesNotMatch(text, BIDI_CONTROL, 'no control reaches the page');
    const tabs = await workbenchTexts('.tabs-container .tab');
    assert.ok(tabs?.some((t) => t.includes(spoof.shown.subject)), `the tab as drawn: ${JSON.stringify(tabs)}`);
    assert.ok(!tabs?.some((t) => BIDI_CONTROL.test(t)), 'no control in any tab');
  });

  it('the header inspector shows them visible too', async () => {
    const node = await message(spoof);
    const result = await vscode.commands.executeCommand<{ model: { subject: string; from: string } }>('mailroom.inspectHeaders', node);
    assert.equal(result.model.subject, spoof.shown.subject);
    assert.equal(result.model.from, spoof.shown.from);
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.startsWith('Headers: '));
    assert.ok(tab && !BIDI_CONTROL.test(tab.label) && tab.label.includes('[U+202E]'), `the inspector's tab: ${tab?.label}`);
    if (!hasBrowserService()) return;
    const text = await waitFor(async () => (await webviewTexts())?.find((w) => w.visible && w.text.includes('Authentication-Results'))?.text, 'the header inspector');
    assert.ok(text.includes(spoof.shown.subject) && text.includes(spoof.shown.from), text);
    assert.doesNotMatch(text, BIDI_CONTROL);
  });

  it('Save As names the file so that its real extension ends the name', async () => {
    const node = await message(spoof);
    const saved = await vscode.commands.executeCommand<vscode.Uri>('mailroom.saveAttachment', node, 0, vscode.Uri.file(tmp));
    assert.ok(saved);
    assert.equal(path.basename(saved.fsPath), spoof.savedAs);
    assert.doesNotMatch(path.basename(saved.fsPath), BIDI_CONTROL);
  });

  it('a Hebrew name, subject and attachment name display exactly as written', async () => {
    const node = await message(hebrew);
    assert.equal(api.treeProvider.getTreeItem(node).label, hebrew.shown.subject);
    await openAndRender(node);
    assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, hebrew.shown.subject);
    if (!hasBrowserService()) return;
    const text = await waitFor(async () => (await webviewTexts())?.find((w) => w.visible && w.text.includes('מצורף הסיכום'))?.text, 'the Hebrew message');
    for (const shown of [hebrew.shown.subject, hebrew.shown.from, hebrew.shown.attachment]) assert.ok(text.includes(shown), `"${shown}" in the view:\n${text}`);
    assert.doesNotMatch(text, /\[U\+/, 'no marker in legitimate right-to-left text');
    log(`screenshot: ${await takeScreenshot('bidi-hebrew-message')}`);
  });

  async function message(m: BidiMessage): Promise<MessageNode> {
    const account = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account in the tree');
    const folder = await waitFor(async () => (await api.treeModel.getChildren(account)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === FOLDER), `folder ${FOLDER}`);
    return waitFor(async () => {
      const fresh = api.treeModel.findFolder(ACCOUNT_ID, FOLDER) ?? folder;
      return (await api.treeModel.getChildren(fresh)).find((n): n is MessageNode => n.kind === 'message' && n.item.subject === m.subject);
    }, `message ${m.id} in ${FOLDER}`, 60_000);
  }

  /** Draws the message's row in the Mail view: account and folder expanded, the row selected. */
  async function showRow(node: MessageNode): Promise<void> {
    const folder = node.parent as FolderNode;
    await api.treeView.reveal(folder.parent, { expand: true, focus: false, select: false });
    await api.treeView.reveal(folder, { expand: true, focus: false, select: false });
    await waitFor(async () => {
      // The node the tree holds now (a sync may have replaced the one found first).
      const fresh = api.treeModel.findFolder(ACCOUNT_ID, FOLDER) ?? folder;
      const row = (await api.treeModel.getChildren(fresh)).find((n) => n.kind === 'message' && n.item.subject === node.item.subject);
      if (!row) return false;
      await api.treeView.reveal(row, { focus: false, select: true });
      return true;
    }, 'the message row revealed', 15_000);
  }

  async function openAndRender(node: MessageNode): Promise<void> {
    const rendered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${node.item.subject}: no render report within 30 s`)), 30_000);
      const sub = api.panels.onDidRender((r) => {
        if (r.panelKey !== node.id) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    await rendered;
  }
});
