// Compose in the editor, inside the real extension host: reply to a seeded message from its panel,
// type, send through an SMTP sink on loopback, and check the threading headers at the sink, the
// \Answered flag and the Sent copy on Dovecot. Then a send that fails stays in the Outbox node.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { AddAccountRequest, AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { DeliveryReport } from '../../../src/providers/compose/composeCommands';
import type { MailroomApi } from '../../../src/providers/api';
import type { ComposeMeta } from '../../../src/store/composeStore';
import type { FolderNode, MailNode, MessageNode, OutboxEntryNode, OutboxRootNode } from '../../../src/providers/tree/nodes';
import { freePorts } from '../../fixtures/net';
import { ALICE, ALICE_SEED } from '../../fixtures/seed';
import { SmtpSink, startSmtpSink } from '../../fixtures/smtpSink';
import { activateMailroom, fixtureInfo, FixtureInfo, log, otherImapClient, takeScreenshot, undoReplies, waitFor } from './harness';

const ACCOUNT_ID = 'compose-reply-test-alice';
const BROKEN_ID = 'compose-reply-test-broken';
const TYPED = 'Thanks, Friday works for me.';

describe('Mailroom compose and reply (in the extension host)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let sink: SmtpSink;
  let other: ImapFlow | undefined;
  const added: string[] = [];
  const sentMessageIds: string[] = [];
  // A plain-text INBOX message on the first page that is not answered yet.
  const original = ALICE_SEED.inbox.messages.find((m) => m.uid >= 20 && m.uid % 4 === 0 && !m.answered && m.subject.startsWith('Inbox message'))!;

  const account = (id: string, smtpPort: number): AddAccountRequest => ({
    id,
    label: `Compose test ${id}`,
    protocol: 'imap',
    host: fixture.host,
    port: fixture.ports.imaps,
    security: 'tls',
    user: fixture.users.alice.user,
    password: fixture.users.alice.password,
    trustedCertificateSha256: fixture.certSha256,
    email: ALICE.address,
    name: ALICE.name,
    smtp: { host: '127.0.0.1', port: smtpPort, security: 'none', allowPlaintextPassword: true },
  });

  const addAccount = async (request: AddAccountRequest): Promise<void> => {
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', request);
    assert.equal(result.saved, true, `account ${request.id} saved: ${JSON.stringify(result.error)}`);
    added.push(request.id!);
  };

  const composeTabOpen = (uri: vscode.Uri): boolean =>
    vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString()));

  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    sink = await startSmtpSink({ disableStartTls: true, rejectRecipients: ['nobody@example.test'] });
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    // Saved first, so closing cannot raise a modal "save changes?" dialog.
    await vscode.commands.executeCommand('workbench.action.files.saveAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const id of added) await vscode.commands.executeCommand('mailroom.removeAccount', id);
    // Leave the shared fixture as it was: the original unanswered, no extra Sent copies.
    other ??= await otherImapClient(fixture, fixture.users.alice).catch(() => undefined);
    if (other) await undoReplies(other, original.uid, sentMessageIds);
    await other?.logout().catch(() => undefined);
    await sink?.stop();
  });

  it('replies from the open message: header block, quote, cursor in the body; Send threads it, flags it and files it', async () => {
    await addAccount(account(ACCOUNT_ID, sink.port));
    const accountNode = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n) => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account node');
    const inbox = await waitFor(async () => (await api.treeModel.getChildren(accountNode)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === 'INBOX'), 'INBOX');
    const message = await waitFor(
      async () => (await api.treeModel.getChildren(inbox)).find((n): n is MessageNode => n.kind === 'message' && n.item.location.protocol === 'imap' && n.item.location.uid === original.uid),
      `INBOX message ${original.uid}`,
    );

    const rendered = new Promise<void>((resolve) => {
      const sub = api.panels.onDidRender(() => {
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('mailroom.openMessage', message);
    await rendered;

    // No argument: the command acts on the message in the active panel.
    const meta = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.reply');
    assert.ok(meta, 'mailroom.reply returned the compose session');
    assert.equal(meta.mode, 'reply');
    assert.equal(meta.inReplyTo, original.messageId);
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.languageId === 'mailroom-compose' ? vscode.window.activeTextEditor : undefined), 'the compose tab');
    const document = editor.document;
    assert.ok(document.uri.fsPath.endsWith(`${meta.id}/${meta.documentName}`) || document.uri.fsPath.endsWith(`${meta.id}\\${meta.documentName}`), document.uri.fsPath);
    const lines = document.getText().split('\n');
    assert.deepEqual(lines.slice(0, 6), [
      `From: ${ALICE.name} <${ALICE.address}>`,
      `To: ${original.from.name} <${original.from.address}>`,
      'Cc:',
      'Bcc:',
      `Subject: Re: ${original.subject}`,
      '',
    ]);
    assert.match(document.getText(), new RegExp(`wrote:\\n> ${original.firstLine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(editor.selection.active.line, 6, 'the cursor is on the first body line');
    // The workbench colours the text asynchronously (TextMate grammar in a worker): let it finish.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await takeScreenshot('compose-tab');

    await vscode.commands.executeCommand('type', { text: TYPED });
    assert.ok(document.lineAt(6).text.startsWith(TYPED), 'typed text landed on the first body line');

    const report = await vscode.commands.executeCommand<DeliveryReport | undefined>('mailroom.send');
    assert.ok(report, 'mailroom.send returned a delivery report');
    assert.equal(report.outcome.status, 'sent', JSON.stringify(report.outcome));
    assert.equal(report.outcome.status === 'sent' ? report.outcome.warnings.length : -1, 0, JSON.stringify(report.outcome));
    assert.equal(composeTabOpen(document.uri), false, 'the compose tab closed');

    const [mail] = await sink.waitForMail(1);
    const raw = mail!.raw.toString('utf8');
    log(`sink received ${mail!.raw.length} bytes for ${mail!.to.join(', ')}`);
    assert.deepEqual(mail!.to, [original.from.address]);
    assert.equal(mail!.from, ALICE.address);
    assert.match(raw, new RegExp(`^In-Reply-To: <${original.messageId.replace(/\./g, '\\.')}>`, 'm'));
    assert.match(raw, new RegExp(`^References: .*<${original.messageId.replace(/\./g, '\\.')}>`, 'm'));
    assert.match(raw, /^Subject: Re: Inbox message/m);
    assert.doesNotMatch(raw, /X-Mailroom-Draft/i);
    assert.match(raw, new RegExp(TYPED));
    assert.match(raw, /text\/html/, 'an HTML alternative was rendered from the Markdown');
    const messageId = /^Message-ID: <([^>]+)>/im.exec(raw)?.[1];
    assert.ok(messageId, 'the sent message has a Message-ID');
    sentMessageIds.push(messageId);

    other = await otherImapClient(fixture, fixture.users.alice);
    const flags = await waitFor(async () => {
      const lock = await other!.getMailboxLock('INBOX');
      try {
        const fetched = await other!.fetchOne(String(original.uid), { flags: true }, { uid: true });
        return fetched && fetched.flags?.has('\\Answered') ? fetched.flags : undefined;
      } finally {
        lock.release();
      }
    }, '\\Answered on the original');
    assert.ok(flags.has('\\Answered'));
    const sentCopy = await waitFor(async () => {
      const lock = await other!.getMailboxLock('Sent');
      try {
        const uids = await other!.search({ header: { 'message-id': messageId } }, { uid: true });
        if (!uids || uids.length !== 1) return undefined;
        const fetched = await other!.fetchOne(String(uids[0]), { flags: true, source: true }, { uid: true });
        return fetched || undefined;
      } finally {
        lock.release();
      }
    }, 'the copy in Sent');
    assert.ok(sentCopy.flags?.has('\\Seen'), 'the Sent copy is marked read');
    assert.equal(sentCopy.source?.toString('utf8'), raw, 'Sent holds the bytes that went on the wire');
    assert.ok(!(await api.treeModel.getChildren(undefined)).some((n) => n.kind === 'outbox'), 'nothing left in the outbox');
  });

  const draftsWith = async (draftId: string): Promise<number[]> => {
    other ??= await otherImapClient(fixture, fixture.users.alice);
    const lock = await other.getMailboxLock('Drafts');
    try {
      return (await other.search({ header: { 'x-mailroom-draft': draftId }, deleted: false }, { uid: true })) || [];
    } finally {
      lock.release();
    }
  };

  it('saves a draft to Drafts, replaces it on the next save, and removes it when sent', async () => {
    const meta = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.compose', { accountId: ACCOUNT_ID, to: 'mailto:carol@example.test?subject=Draft%20test' });
    assert.ok(meta);
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.fsPath.includes(meta.id) ? vscode.window.activeTextEditor : undefined), 'the compose tab');
    const body = new vscode.Position(6, 0);
    editor.selection = new vscode.Selection(body, body);
    await vscode.commands.executeCommand('type', { text: 'First version.' });
    await vscode.commands.executeCommand('mailroom.saveDraft');
    const first = await waitFor(async () => ((await draftsWith(meta.draftId)).length === 1 ? await draftsWith(meta.draftId) : undefined), 'the first draft in Drafts');

    await vscode.commands.executeCommand('type', { text: ' Second version.' });
    await vscode.commands.executeCommand('mailroom.saveDraft');
    const second = await waitFor(async () => {
      const uids = await draftsWith(meta.draftId);
      return uids.length === 1 && uids[0] !== first[0] ? uids : undefined;
    }, 'the draft replaced');
    const lock = await other!.getMailboxLock('Drafts');
    try {
      const fetched = await other!.fetchOne(String(second[0]), { source: true, flags: true }, { uid: true });
      assert.ok(fetched && fetched.source, 'the draft can be read');
      assert.match(fetched.source.toString('utf8'), /First version\. Second version\./);
      assert.ok(fetched.flags?.has('\\Draft'));
    } finally {
      lock.release();
    }

    const report = await vscode.commands.executeCommand<DeliveryReport | undefined>('mailroom.send');
    assert.equal(report?.outcome.status, 'sent', JSON.stringify(report?.outcome));
    const mail = (await sink.waitForMail(2))[1]!;
    const raw = mail.raw.toString('utf8');
    assert.doesNotMatch(raw, /X-Mailroom-Draft/i, 'the draft header never goes on the wire');
    sentMessageIds.push(/^Message-ID: <([^>]+)>/im.exec(raw)![1]!);
    await waitFor(async () => (await draftsWith(meta.draftId)).length === 0, 'the draft removed after sending');
  });

  it('reports recipients the server refused and keeps the message in the Outbox for them', async () => {
    const meta = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.compose', { accountId: ACCOUNT_ID, to: 'mailto:bob@example.test,nobody@example.test?subject=Partly%20refused' });
    assert.ok(meta);
    await waitFor(() => vscode.window.activeTextEditor?.document.uri.fsPath.includes(meta.id), 'the compose tab');
    const report = await vscode.commands.executeCommand<DeliveryReport | undefined>('mailroom.send');
    assert.ok(report);
    assert.equal(report.outcome.status, 'partial', JSON.stringify(report.outcome));
    assert.deepEqual(report.outcome.status === 'partial' ? report.outcome.rejected.map((r) => r.address) : [], ['nobody@example.test']);
    const mail = (await sink.waitForMail(3))[2]!;
    assert.deepEqual(mail.to, ['bob@example.test'], 'the accepted recipient got it');
    sentMessageIds.push(/^Message-ID: <([^>]+)>/im.exec(mail.raw.toString('utf8'))![1]!);

    const root = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is OutboxRootNode => n.kind === 'outbox'), 'the Outbox node');
    const entry = ((await api.treeModel.getChildren(root)) as OutboxEntryNode[]).find((e) => e.entry.subject === 'Partly refused');
    assert.ok(entry);
    const item = api.treeProvider.getTreeItem(entry);
    assert.equal(item.contextValue, 'mailroom.outbox.partial');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'warning');
    assert.match(String(item.description), /nobody@example\.test/);
    const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip);
    assert.match(tooltip, /nobody@example\.test: .*550|550.*nobody/s, 'the tooltip carries the server reply');

    // Edit takes it out of the outbox and back into a compose tab.
    const reopened = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.editOutboxMessage', entry);
    assert.ok(reopened);
    await waitFor(async () => !(await api.treeModel.getChildren(undefined)).some((n) => n.kind === 'outbox'), 'the Outbox node to go away');
    await vscode.commands.executeCommand('workbench.action.files.saveAll');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('keeps a message the server refused in the Outbox with the reason, and Edit reopens it', async () => {
    const [closedPort] = await freePorts(1);
    await addAccount(account(BROKEN_ID, closedPort!));
    const meta = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.compose', { accountId: BROKEN_ID, to: 'mailto:bob@example.test?subject=Outbox%20test' });
    assert.ok(meta, 'mailroom.compose returned the compose session');
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.fsPath.includes(meta.id) ? vscode.window.activeTextEditor : undefined), 'the new compose tab');
    assert.equal(editor.document.lineAt(1).text, 'To: bob@example.test');
    assert.equal(editor.selection.active.line, 1, 'the cursor is on the To line of a new message');
    await vscode.commands.executeCommand('type', { text: ', Carol <carol@example.test>' });

    const report = await vscode.commands.executeCommand<DeliveryReport | undefined>('mailroom.send');
    assert.ok(report);
    assert.equal(report.outcome.status, 'failed');
    assert.equal(report.outcome.status === 'failed' ? report.outcome.error.code : '', 'ConnectionRefused');

    const root = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is OutboxRootNode => n.kind === 'outbox'), 'the Outbox node');
    const [entry] = (await api.treeModel.getChildren(root)) as OutboxEntryNode[];
    assert.ok(entry);
    const item = api.treeProvider.getTreeItem(entry as MailNode);
    assert.equal(item.label, 'Outbox test');
    assert.equal(item.contextValue, 'mailroom.outbox.failed');
    assert.match(String(item.description), /Not sent: .*refused/i);
    assert.deepEqual(entry.entry.recipients, ['bob@example.test', 'Carol <carol@example.test>']);
    const rootItem = api.treeProvider.getTreeItem(root);
    assert.equal((rootItem.iconPath as vscode.ThemeIcon).id, 'error');

    const reopened = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.editOutboxMessage', entry);
    assert.equal(reopened?.id, meta.id, 'Edit reopened the same compose session');
    const again = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.fsPath.includes(meta.id) ? vscode.window.activeTextEditor : undefined), 'the reopened tab');
    assert.match(again.document.getText(), /^To: bob@example\.test, Carol <carol@example\.test>$/m);
    await waitFor(async () => !(await api.treeModel.getChildren(undefined)).some((n) => n.kind === 'outbox'), 'the Outbox node to go away');

    // Closing the unsent tab asks (non-modally) about a draft; until answered the file stays.
    const uri = again.document.uri;
    const body = new vscode.Position(6, 0);
    again.selection = new vscode.Selection(body, body);
    await vscode.commands.executeCommand('type', { text: 'Written after the failure.' });
    await vscode.commands.executeCommand('workbench.action.files.saveAll');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await waitFor(() => !composeTabOpen(uri), 'the tab to close');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.match(fs.readFileSync(uri.fsPath, 'utf8'), /Written after the failure\./, 'the unsent text is still on disk');
  });
});
