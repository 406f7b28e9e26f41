// The first IMAP slice, driven inside the real extension host against the Dovecot fixture:
// add an account (through the certificate-trust path), expand the tree, page a folder, open a
// message, and check what the tree and the panel show.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as vscode from 'vscode';
import type { AddAccountRequest, AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { MailroomApi } from '../../../src/providers/api';
import { AccountNode, FolderNode, imapLocation, MailNode, MessageNode } from '../../../src/providers/tree/nodes';
import { freePorts } from '../../fixtures/net';
import { ALICE_SEED } from '../../fixtures/seed';
import { activateMailroom, fixtureInfo, FixtureInfo, log, takeScreenshot, waitFor, webviewTexts } from './harness';

describe('Mailroom IMAP slice (in the extension host, against Dovecot)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  const addedIds: string[] = [];

  const request = (overrides: Partial<AddAccountRequest> = {}): AddAccountRequest => ({
    protocol: 'imap',
    host: fixture.host,
    port: fixture.ports.imaps,
    security: 'tls',
    user: fixture.users.alice.user,
    password: fixture.users.alice.password,
    ...overrides,
  });
  const addAccount = async (r: AddAccountRequest): Promise<AddAccountResult> => {
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', r);
    if (result.accountId) addedIds.push(result.accountId);
    return result;
  };
  const itemOf = (node: MailNode): vscode.TreeItem => api.treeProvider.getTreeItem(node);
  const labelOf = (node: MailNode): string => {
    const label = itemOf(node).label;
    return typeof label === 'string' ? label : label?.label ?? '';
  };

  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    for (const id of addedIds) await vscode.commands.executeCommand('mailroom.removeAccount', id);
  });

  it('starts with no accounts and connects nowhere', async () => {
    assert.deepEqual(await api.treeModel.getChildren(undefined), []);
  });

  it('stops at an unverified certificate, names it, and saves nothing', async () => {
    const result = await addAccount(request({ id: 'untrusted' }));
    assert.equal(result.saved, false);
    assert.equal(result.error?.code, 'CertificateUntrusted');
    assert.equal(result.error?.certificateSha256, fixture.certSha256, 'the certificate offered for trust is the server’s');
    assert.match(result.error?.message ?? '', /did not send your password/);
    assert.equal(await api.hasPassword('untrusted'), false);
  });

  it('rejects a wrong password with a clear message', async () => {
    const result = await addAccount(request({ id: 'wrongpw', password: 'not-the-password', trustedCertificateSha256: fixture.certSha256 }));
    assert.equal(result.saved, false);
    assert.equal(result.error?.code, 'AuthFailed');
    assert.match(result.error?.message ?? '', /user name or password/);
  });

  it('reports a refused connection and a server that hangs up, without hanging', async () => {
    const [closed] = await freePorts(1);
    const refused = await addAccount(request({ id: 'refused', port: closed }));
    assert.equal(refused.error?.code, 'ConnectionRefused');

    const hangUp = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (hangUp.address() as net.AddressInfo).port;
      const result = await addAccount(request({ id: 'hangup', port, security: 'starttls' }));
      assert.equal(result.saved, false);
      assert.equal(result.error?.code, 'ConnectionClosed', JSON.stringify(result.error));
    } finally {
      hangUp.close();
    }
  });

  it('refuses to send a password unencrypted unless the account allows it', async () => {
    const result = await addAccount(request({ id: 'plain', port: fixture.ports.imap, security: 'none' }));
    assert.equal(result.error?.code, 'InsecureAuthRefused');
  });

  it('adds the account once the certificate is trusted; the password stays out of settings', async () => {
    const result = await addAccount(request({ id: 'alice', label: 'Alice (fixture)', trustedCertificateSha256: fixture.certSha256 }));
    assert.deepEqual(result, { saved: true, accountId: 'alice' });
    const settings = vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? [];
    assert.equal(settings.length, 1);
    assert.ok(!JSON.stringify(settings).includes(fixture.users.alice.password), 'no password in settings');
    assert.equal(await api.hasPassword('alice'), true);
    const roots = await waitFor(async () => {
      const r = await api.treeModel.getChildren(undefined);
      return r.length === 1 ? r : undefined;
    }, 'the account in the tree');
    assert.equal(labelOf(roots[0]), 'Alice (fixture)');
  });

  it('shows the folder hierarchy with special-use icons and unread counts', async () => {
    const account = await accountNode();
    await api.treeView.reveal(account, { expand: true, focus: false, select: false });
    const folders = (await api.treeModel.getChildren(account)) as FolderNode[];
    const names = folders.map(labelOf);
    assert.equal(names[0], 'INBOX');
    for (const name of ['Drafts', 'Sent', 'Archive', 'Junk', 'Trash', 'Projects', 'Überweisungen', '日本語']) {
      assert.ok(names.includes(name), `folder ${name} in ${names.join(', ')}`);
    }
    const icon = (name: string): string | undefined => (itemOf(folders.find((f) => labelOf(f) === name)!).iconPath as vscode.ThemeIcon).id;
    assert.equal(icon('INBOX'), 'inbox');
    assert.equal(icon('Sent'), 'send');
    assert.equal(icon('Trash'), 'trash');
    assert.equal(icon('Projects'), 'folder');

    const inbox = folders[0];
    assert.equal(itemOf(inbox).description, String(ALICE_SEED.inboxUnseen));
    const projects = folders.find((f) => labelOf(f) === 'Projects')!;
    const projectChildren = await api.treeModel.getChildren(projects);
    assert.ok(projectChildren.some((c) => c.kind === 'folder' && c.folder.path === 'Projects/Mailroom'), 'Projects/Mailroom nested under Projects');
    const umlaut = folders.find((f) => labelOf(f) === 'Überweisungen')!;
    assert.equal(umlaut.folder.unseen, ALICE_SEED.expected['Überweisungen'].unseen);

    await api.treeView.reveal(projectChildren[0], { focus: false, select: false });
    const shot = await takeScreenshot('workbench-folders');
    if (shot) log(`screenshot: ${shot}`);
  });

  it('lists the newest 50 messages first and pages back with Load more', async () => {
    const inbox = await inboxNode();
    await api.treeView.reveal(inbox, { expand: true, focus: false, select: false });
    let children = await api.treeModel.getChildren(inbox);
    const messages = children.filter((c): c is MessageNode => c.kind === 'message');
    assert.equal(messages.length, 50);
    assert.equal(messages[0].item.subject, ALICE_SEED.newest.subject);
    assert.equal(messages[0].item.seen, false);
    assert.equal(itemOf(messages[0]).contextValue, 'mailroom.message.imap.unread.unflagged');
    assert.match(String(itemOf(messages[0]).description), /Dovecot Fixture/);
    const uids = messages.map((m) => uidOf(m));
    assert.deepEqual(uids, [...uids].sort((a, b) => b - a), 'newest first');

    const more = children.find((c) => c.kind === 'loadMore');
    assert.ok(more && more.kind === 'loadMore', 'a Load more item');
    assert.equal(more.remaining, ALICE_SEED.inboxTotal - 50);
    await vscode.commands.executeCommand('mailroom.loadMore', more);
    children = await api.treeModel.getChildren(inbox);
    const all = children.filter((c): c is MessageNode => c.kind === 'message');
    assert.equal(all.length, ALICE_SEED.inboxTotal);
    assert.equal(new Set(all.map((m) => uidOf(m))).size, all.length, 'no message shown twice');
    assert.ok(!children.some((c) => c.kind === 'loadMore'), 'no Load more after the oldest page');
  });

  it('opens a message in a panel that shows its headers and plain-text body', async () => {
    const inbox = await inboxNode();
    const newest = (await api.treeModel.getChildren(inbox)).find((c): c is MessageNode => c.kind === 'message')!;
    await api.treeView.reveal(newest, { focus: false, select: true });
    const rendered = new Promise<{ subject: string; textLength: number }>((resolve) => {
      const sub = api.panels.onDidRender((r) => {
        sub.dispose();
        resolve(r);
      });
    });
    await vscode.commands.executeCommand('mailroom.openMessage', newest);
    const report = await Promise.race([rendered, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('panel never rendered')), 30_000))]);
    assert.equal(report.subject, ALICE_SEED.newest.subject);
    assert.ok(report.textLength > 0);

    const texts = await webviewTexts();
    if (texts) {
      const panelText = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes(ALICE_SEED.newest.firstLine))?.text, 'the message text in a webview');
      assert.match(panelText, /Welcome to Mailroom/);
      assert.match(panelText, /From\s*Dovecot Fixture <fixture@example\.test>/);
      log(`panel shows: ${panelText.slice(0, 200).replace(/\n/g, ' | ')}`);
    }
    // mailroom.markReadOnOpen (default on): shown, then marked read on the server.
    const again = await waitFor(async () => {
      const first = (await api.treeModel.getChildren(inbox)).find((c): c is MessageNode => c.kind === 'message');
      return first?.item.seen ? first : undefined;
    }, 'the opened message to show as read');
    assert.equal(itemOf(again).contextValue, 'mailroom.message.imap.read.unflagged');
    const account = api.imap.get(again.account);
    const loc = imapLocation(again)!;
    await account.sync(loc.path);
    const cache = await api.imap.headers.folder(again.account.id, loc.path);
    assert.ok(cache.get(loc.uid)?.flags.includes('\\Seen'), 'the server has \\Seen after a resync');

    await api.treeView.reveal(again, { focus: false, select: true });
    const shot = await takeScreenshot('workbench-tree-and-message');
    if (shot) log(`screenshot: ${shot}`);
  });

  it('shows a connection failure in the tree instead of spinning', async () => {
    const [port] = await freePorts(1);
    const result = await addAccount(request({ id: 'down', label: 'Down server', port, trustedCertificateSha256: undefined, saveOnFailure: true }));
    assert.equal(result.saved, true);
    assert.equal(result.error?.code, 'ConnectionRefused');
    const down = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === 'down'), 'the saved account in the tree');
    const children = await api.treeModel.getChildren(down);
    assert.equal(children.length, 1);
    assert.equal(children[0].kind, 'status');
    assert.match(labelOf(children[0]), /refused the connection/);
    assert.equal((itemOf(children[0]).iconPath as vscode.ThemeIcon).id, 'error');
    assert.equal(await vscode.commands.executeCommand('mailroom.removeAccount', 'down'), true);
  });

  it('removes the account: settings entry and stored password', async () => {
    assert.equal(await vscode.commands.executeCommand('mailroom.removeAccount', 'alice'), true);
    assert.equal(await api.hasPassword('alice'), false);
    const settings = vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? [];
    assert.equal(settings.length, 0);
    await waitFor(async () => (await api.treeModel.getChildren(undefined)).length === 0, 'the tree to drop the account');
  });

  function uidOf(node: MessageNode): number {
    const loc = imapLocation(node);
    assert.ok(loc, 'an IMAP message');
    return loc.uid;
  }

  async function accountNode(): Promise<AccountNode> {
    const roots = await api.treeModel.getChildren(undefined);
    const node = roots.find((r): r is AccountNode => r.kind === 'account' && r.account.id === 'alice');
    assert.ok(node, 'account alice in the tree');
    return node;
  }

  async function inboxNode(): Promise<FolderNode> {
    const folders = (await api.treeModel.getChildren(await accountNode())) as FolderNode[];
    const inbox = folders.find((f) => f.folder.path === 'INBOX');
    assert.ok(inbox, 'INBOX listed');
    return inbox;
  }
});

