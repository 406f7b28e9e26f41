// Identities, signatures and templates in the real workbench against Dovecot and SMTP sinks: a
// reply to a message addressed to one of the account's identities is written as that identity,
// with its signature above the quote, and sent through the identity's own SMTP server with its own
// login (the sink checks both); a template from the workspace's .mailroom/templates is picked in
// the Quick Pick, its placeholders filled in (an unknown one left and reported), and offered again
// by "/" completion inside the compose tab.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountRequest, AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { DeliveryReport } from '../../../src/providers/compose/composeCommands';
import type { TemplateStart } from '../../../src/providers/compose/templates';
import type { FolderNode, MessageNode } from '../../../src/providers/tree/nodes';
import type { ComposeMeta } from '../../../src/store/composeStore';
import { ALICE, ALICE_SEED } from '../../fixtures/seed';
import { SmtpSink, startSmtpSink } from '../../fixtures/smtpSink';
import { activateMailroom, fixtureInfo, FixtureInfo, imapsAccount, otherImapClient, takeScreenshot, undoReplies, waitFor, workbenchTexts, hasBrowserService } from './harness';
import { canDriveInput, pressKey, typeText, waitForNotification, waitForQuickInput } from './input';

const ACCOUNT_ID = 'identities-test-alice';
const MAIN_ADDRESS = 'alice.home@example.test';
const WORK_USER = 'alice-work-login';
const WORK_PASSWORD = 'work-smtp-secret-77';
const SIGNATURE = 'Alice Example\n*Mailroom test team*';
const TEMPLATE_NAME = 'status-report';
const TEMPLATE = [
  'From: alice@example.test',
  'To: ${to}',
  'Subject: Status ${date} for ${to.name}',
  '',
  'Hi ${to.name},',
  '',
  '${cursor}',
  '',
  'What I had selected:',
  '',
  '${selection}',
  '',
  'Sent as ${identity.name} ${mood.today}',
  '',
  '${signature}',
  '',
].join('\n');

describe('Mailroom identities, signatures and templates (in the extension host)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let accountSink: SmtpSink;
  let workSink: SmtpSink;
  let other: ImapFlow | undefined;
  let templateFile: string | undefined;
  let notesFile: string | undefined;
  const sentMessageIds: string[] = [];
  // A plain-text INBOX message sent to alice@example.test that no other suite answers.
  const original = ALICE_SEED.inbox.messages.filter((m) => m.uid >= 20 && m.uid % 4 === 0 && !m.answered && m.subject.startsWith('Inbox message'))[2]!;

  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    accountSink = await startSmtpSink({ disableStartTls: true });
    workSink = await startSmtpSink({ disableStartTls: true, requireAuth: true, users: { [WORK_USER]: WORK_PASSWORD } });
    const request: AddAccountRequest = {
      ...imapsAccount(fixture, fixture.users.alice, ACCOUNT_ID, 'Identities test'),
      // The account's own address is not the one the seeded mail went to: the reply must find the identity.
      email: MAIN_ADDRESS,
      name: ALICE.name,
      smtp: { host: '127.0.0.1', port: accountSink.port, security: 'none', allowPlaintextPassword: true },
      identities: [
        {
          address: ALICE.address,
          name: 'Alice at Work',
          replyTo: ['team@example.test'],
          signature: SIGNATURE,
          smtp: { host: '127.0.0.1', port: workSink.port, security: 'none', allowPlaintextPassword: true, user: WORK_USER },
        },
      ],
    };
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', request);
    assert.equal(result.saved, true, JSON.stringify(result.error));
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.files.saveAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    for (const file of [templateFile, notesFile]) if (file) fs.rmSync(file, { force: true });
    other ??= await otherImapClient(fixture, fixture.users.alice).catch(() => undefined);
    if (other) await undoReplies(other, original.uid, sentMessageIds);
    await other?.logout().catch(() => undefined);
    await accountSink?.stop();
    await workSink?.stop();
  });

  it('a reply is written as the identity the original was addressed to, with its signature, and sent through its own server and login', async () => {
    const stored = await vscode.commands.executeCommand<boolean>('mailroom.setIdentityPassword', { accountId: ACCOUNT_ID, address: ALICE.address, password: WORK_PASSWORD });
    assert.equal(stored, true, 'the identity’s SMTP password is stored');

    const accountNode = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n) => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account node');
    const inbox = await waitFor(async () => (await api.treeModel.getChildren(accountNode)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === 'INBOX'), 'INBOX');
    const message = await waitFor(
      async () => (await api.treeModel.getChildren(inbox)).find((n): n is MessageNode => n.kind === 'message' && n.item.location.protocol === 'imap' && n.item.location.uid === original.uid),
      `INBOX message ${original.uid}`,
    );
    const meta = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.reply', message);
    assert.ok(meta, 'mailroom.reply returned the compose session');
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.fsPath.includes(meta.id) ? vscode.window.activeTextEditor : undefined), 'the compose tab');
    const document = editor.document;
    const lines = document.getText().split('\n');
    assert.equal(lines[0], `From: Alice at Work <${ALICE.address}>`, 'the identity the original was sent to, not the account’s own address');
    assert.equal(lines[1], `To: ${original.from.name ? `${original.from.name} <${original.from.address}>` : original.from.address}`);
    // Body: the line to type on, an empty line, the delimiter and the signature, then the quote.
    assert.deepEqual(lines.slice(6, 11), ['', '', '-- ', 'Alice Example', '*Mailroom test team*']);
    assert.match(lines[12] ?? '', /wrote:$/);
    assert.equal(lines[13], `> ${original.firstLine}`);
    assert.equal(editor.selection.active.line, 6, 'the cursor is on the first body line');

    // The From line completes the account's identities (the user can switch).
    const fromEnd = document.lineAt(0).range.end;
    const completions = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, fromEnd);
    const offered = completions.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(offered.includes(`Alice Example <${MAIN_ADDRESS}>`) && offered.includes(`Alice at Work <${ALICE.address}>`), offered.join(' | '));
    // Switching to the account's own address (no signature) would take the work signature out with it.
    const switchTo = completions.items.find((i) => (typeof i.label === 'string' ? i.label : i.label.label) === `Alice Example <${MAIN_ADDRESS}>`);
    assert.equal(switchTo?.additionalTextEdits?.length, 1, 'switching From also edits the signature');
    assert.equal(switchTo.additionalTextEdits![0]!.newText, '');
    assert.deepEqual([switchTo.additionalTextEdits![0]!.range.start.line, switchTo.additionalTextEdits![0]!.range.end.line], [7, 10], 'from the line before the delimiter to the signature’s last line');
    editor.selection = new vscode.Selection(fromEnd, fromEnd);
    await vscode.commands.executeCommand('editor.action.triggerSuggest');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await takeScreenshot('identity-from-completion');
    await vscode.commands.executeCommand('hideSuggestWidget');

    const body = new vscode.Position(6, 0);
    editor.selection = new vscode.Selection(body, body);
    await vscode.commands.executeCommand('type', { text: 'Sounds good, see you then.' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await takeScreenshot('identity-reply-signature');

    const report = await vscode.commands.executeCommand<DeliveryReport | undefined>('mailroom.send');
    assert.equal(report?.outcome.status, 'sent', JSON.stringify(report?.outcome));
    const [mail] = await workSink.waitForMail(1);
    assert.equal(mail!.user, WORK_USER, 'the identity’s own SMTP login');
    assert.equal(mail!.from, ALICE.address, 'MAIL FROM is the identity');
    assert.deepEqual(mail!.to, [original.from.address]);
    const raw = mail!.raw.toString('utf8');
    assert.match(raw, /^From: Alice at Work <alice@example\.test>\r$/m);
    assert.match(raw, /^Reply-To: team@example\.test\r$/m);
    assert.match(raw, /^Sounds good, see you then\.\r\n\r\n(-- |--=20)\r\nAlice Example\r\n\*Mailroom test team\*\r$/m, 'the signature under its delimiter, above the quote');
    assert.equal(accountSink.received.length, 0, 'nothing went through the account’s own server');
    const messageId = /^Message-ID: <([^>]+)>/im.exec(raw)?.[1];
    if (messageId) sentMessageIds.push(messageId);
  });

  it('New Message from Template: picked in the Quick Pick, placeholders filled, the unknown one left and reported; "/" offers templates in the tab', async function () {
    if (!canDriveInput()) this.skip();
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, 'the test workbench has a workspace folder');
    const dir = path.join(workspace, '.mailroom', 'templates');
    fs.mkdirSync(dir, { recursive: true });
    templateFile = path.join(dir, `${TEMPLATE_NAME}.md`);
    fs.writeFileSync(templateFile, TEMPLATE);
    notesFile = path.join(workspace, 'build-notes.txt');
    fs.writeFileSync(notesFile, 'Build 42 passed.\nAll unit tests green.\n');
    const notes = await vscode.window.showTextDocument(vscode.Uri.file(notesFile));
    notes.selection = new vscode.Selection(0, 0, 1, notes.document.lineAt(1).text.length);

    const pending = vscode.commands.executeCommand<TemplateStart | undefined>('mailroom.newMessageFromTemplate', { accountId: ACCOUNT_ID, to: 'Bob Builder <bob@example.test>' });
    await waitForQuickInput('New Message from Template');
    await typeText('status');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await takeScreenshot('template-quick-pick');
    await pressKey('Enter');
    const started = await pending;
    assert.ok(started, 'the command returned the new message');
    assert.deepEqual(started.expanded.unknown, ['${mood.today}']);

    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.fsPath.includes(started.meta.id) ? vscode.window.activeTextEditor : undefined), 'the compose tab');
    const text = editor.document.getText();
    const today = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const lines = text.split('\n');
    assert.equal(lines[0], `From: Alice at Work <${ALICE.address}>`, 'the template’s From picked the identity');
    assert.equal(lines[1], 'To: Bob Builder <bob@example.test>');
    assert.equal(lines[4], `Subject: Status ${today} for Bob Builder`);
    assert.match(text, /\nHi Bob Builder,\n\n\n\nWhat I had selected:\n\nBuild 42 passed\.\nAll unit tests green\.\n\nSent as Alice at Work \$\{mood\.today\}\n\n-- \nAlice Example\n\*Mailroom test team\*\n/);
    assert.equal(editor.selection.active.line, lines.indexOf('Hi Bob Builder,') + 2, 'the cursor is where ${cursor} was');
    const warning = await waitForNotification('mood.today', 'Open Template');
    assert.match(warning, /unknown placeholders left as written: \$\{mood\.today\}/);
    await takeScreenshot('template-message');
    await vscode.commands.executeCommand('notifications.hideList');

    // "/" at the start of a body line offers the templates as snippets.
    const tab = await vscode.window.showTextDocument(editor.document);
    const last = tab.document.lineAt(tab.document.lineCount - 1);
    await tab.edit((edit) => edit.insert(last.range.end, last.text === '' ? '' : '\n'));
    const end = tab.document.lineAt(tab.document.lineCount - 1).range.end;
    tab.selection = new vscode.Selection(end, end);
    // The notification list had the focus: give it back to the editor before typing.
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    await typeText('/');
    const slash = await waitFor(() => (tab.document.lineAt(end.line).text === '/' ? tab.selection.active : undefined), 'the typed "/"');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', tab.document.uri, slash, '/');
    const item = list.items.find((i) => (typeof i.label === 'string' ? i.label : i.label.label) === `/${TEMPLATE_NAME}`);
    assert.ok(item, `the template is offered: ${list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label)).join(', ')}`);
    assert.ok(item.insertText instanceof vscode.SnippetString);
    assert.match(item.insertText.value, /Hi Bob Builder,/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await takeScreenshot('template-slash-completion');
    await pressKey('Enter');
    await waitFor(() => tab.document.getText().split('Hi Bob Builder,').length === 3, 'the template inserted a second time');
    assert.doesNotMatch(tab.document.getText(), /^\/status/m, 'the typed "/…" was replaced');
  });
  it('removing the identity from the settings deletes its stored SMTP password; removing the account deletes the one stored again', async () => {
    assert.equal(await api.hasIdentityPassword(ACCOUNT_ID, ALICE.address), true, 'stored by the first test');
    const settings = vscode.workspace.getConfiguration('mailroom');
    const entries = (): Array<Record<string, unknown>> => settings.get<Array<Record<string, unknown>>>('accounts') ?? [];
    const withIdentities = (identities: unknown): Array<Record<string, unknown>> => entries().map((e) => (e.id === ACCOUNT_ID ? { ...e, identities } : e));
    const before = entries().find((e) => e.id === ACCOUNT_ID)?.identities;
    assert.ok(Array.isArray(before) && before.length === 1, 'the work identity is in the settings');

    // As a person would in settings.json: the identity's entry deleted.
    await settings.update('accounts', withIdentities([]), vscode.ConfigurationTarget.Global);
    await waitFor(async () => ((await api.hasIdentityPassword(ACCOUNT_ID, ALICE.address)) ? undefined : true), 'the identity password deleted');
    await vscode.commands.executeCommand('mailroom.showLog');
    const logLine = `Deleted the stored SMTP password of ${ALICE.address.toLowerCase()}`;
    if (hasBrowserService()) await waitFor(async () => ((await workbenchTexts('.part.panel .view-lines'))?.join('\n').replace(/\u00a0/g, ' ').includes(logLine) ? true : undefined), 'the log line in the Mailroom output');
    await takeScreenshot('identity-password-deleted-log');
    await vscode.commands.executeCommand('workbench.action.closePanel');

    // Put back, stored again: removing the account takes it too.
    await settings.update('accounts', withIdentities(before), vscode.ConfigurationTarget.Global);
    assert.equal(await vscode.commands.executeCommand<boolean>('mailroom.setIdentityPassword', { accountId: ACCOUNT_ID, address: ALICE.address, password: WORK_PASSWORD }), true);
    assert.equal(await api.hasIdentityPassword(ACCOUNT_ID, ALICE.address), true, 'stored again');
    assert.equal(await vscode.commands.executeCommand<boolean>('mailroom.removeAccount', ACCOUNT_ID), true);
    await waitFor(async () => ((await api.hasIdentityPassword(ACCOUNT_ID, ALICE.address)) ? undefined : true), 'the identity password deleted with the account');
  });
});
