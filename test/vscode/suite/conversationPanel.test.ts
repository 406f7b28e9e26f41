// The conversation panel's remote content, a conversation dragged onto a folder, and the panel in
// German, in the real workbench. A Dovecot of this suite's own holds user "convpanel": a thread of
// three HTML messages whose images point at the fixture's tracker (a loopback HTTP server that logs
// every request), the user's reply to it in Sent, and an unrelated message another client marks
// \Deleted. The tracker's log and the browser's request log show which message's images loaded.
import * as assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { ConversationRendered } from '../../../src/providers/message/conversationPanel';
import type { AccountNode, FolderNode, MailNode, ThreadNode } from '../../../src/providers/tree/nodes';
import { DovecotFixture, startDovecot } from '../../fixtures/dovecot';
import type { MaildirMessage } from '../../fixtures/maildir';
import { buildMessage } from '../../fixtures/messages';
import type { MailUser } from '../../fixtures/seed';
import {
  activateMailroom,
  clickWebviewButton,
  fixtureInfo,
  hasBrowserService,
  log,
  networkMark,
  networkSince,
  otherImapClient,
  takeScreenshot,
  trackerRequests,
  waitFor,
  webviewLandmarks,
  webviewTexts,
  workbenchTexts,
} from './harness';

const USER: MailUser = { user: 'convpanel', password: 'convpanel-secret-11' };
const ACCOUNT_ID = 'convpanel';
const SUBJECT = 'Venue photos';
/** Each sender's image on the tracker, under a path no other suite uses. */
const IMAGE = { ann: '/convpanel/ann.png', ben: '/convpanel/ben.png', cat: '/convpanel/cat.png' } as const;
const ME = { name: 'Connie Panel', address: 'convpanel@example.test' };
const PEOPLE = {
  ann: { name: 'Ann Archer', address: 'ann@example.test' },
  ben: { name: 'Ben Baker', address: 'ben@example.test' },
  cat: { name: 'Cat Cooper', address: 'cat@example.test' },
};
const BASE = Date.UTC(2025, 5, 2, 9, 0, 0);

/** The thread (Ann's read, Ben's and Cat's unread), the user's reply in Sent, and a bystander in INBOX. */
function seed(origin: string): { inbox: MaildirMessage[]; sent: MaildirMessage[] } {
  const html = (who: keyof typeof IMAGE, text: string): string => `<p>${text}</p><img src="${origin}${IMAGE[who]}" alt="" width="40" height="40">`;
  const msg = (n: number, from: { name: string; address: string }, subject: string, body: string, inReplyTo: string | undefined, seen: boolean, id: string): MaildirMessage => {
    const date = new Date(BASE + n * 600_000);
    const raw = buildMessage({ from, to: [ME], subject, date, messageId: `${id}@convpanel.test`, ...(inReplyTo ? { inReplyTo: `${inReplyTo}@convpanel.test` } : {}), body: { kind: 'html', html: body } });
    return { raw, date, seen };
  };
  return {
    inbox: [
      msg(0, PEOPLE.ann, SUBJECT, html('ann', 'Ann: the venue, from the street.'), undefined, true, 'venue1'),
      msg(1, PEOPLE.ben, `Re: ${SUBJECT}`, html('ben', 'Ben: the hall, from the stage.'), 'venue1', false, 'venue2'),
      msg(3, PEOPLE.cat, `Re: ${SUBJECT}`, html('cat', 'Cat: the garden at night.'), 'venue-sent', false, 'venue3'),
      msg(4, PEOPLE.ben, 'Unrelated bystander', '<p>Not part of the thread.</p>', undefined, true, 'bystander'),
    ],
    sent: [msg(2, ME, `Re: ${SUBJECT}`, '<p>Connie: lovely, thanks.</p>', 'venue2', true, 'venue-sent')],
  };
}

describe('Conversation panel (in the extension host)', function () {
  this.timeout(180_000);
  let api: MailroomApi;
  let dovecot: DovecotFixture;
  let other: ImapFlow | undefined;
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('mailroom');

  const labelOf = (node: MailNode): string => {
    const label = api.treeProvider.getTreeItem(node).label;
    return typeof label === 'string' ? label : label?.label ?? '';
  };
  const folderNode = async (path: string): Promise<FolderNode> => {
    const account = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account');
    return waitFor(async () => (await api.treeModel.getChildren(account)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === path), path);
  };
  const thread = async (path: string, size: number): Promise<ThreadNode> => {
    const folder = await folderNode(path);
    return waitFor(async () => (await api.treeModel.getChildren(folder)).find((n): n is ThreadNode => n.kind === 'thread' && labelOf(n) === SUBJECT && n.items.length === size), `the conversation in ${path}`);
  };
  /** Resolves with the first render report of the panel that `accept` takes. */
  const nextRender = (accept: (r: ConversationRendered) => boolean): Promise<ConversationRendered> =>
    new Promise((resolve) => {
      const sub = api.conversations.panels.onDidRender((r) => {
        if (!accept(r)) return;
        sub.dispose();
        resolve(r);
      });
    });
  const shellText = async (): Promise<string> => ((await webviewTexts()) ?? []).filter((t) => t.visible).map((t) => t.text).join('\n');
  const imagesAtTracker = async (): Promise<string[]> => (await trackerRequests()).map((r) => r.path).filter((p) => p.startsWith('/convpanel/'));
  const openConversation = async (node: ThreadNode, accept: (r: ConversationRendered) => boolean): Promise<ConversationRendered> => {
    const rendered = nextRender((r) => r.threadId === node.threadId && accept(r));
    await vscode.commands.executeCommand('mailroom.openConversation', node);
    return rendered;
  };

  before(async () => {
    const tracker = fixtureInfo().tracker;
    assert.ok(tracker, 'the fixture CLI provides the tracker server');
    const mail = seed(tracker.origin);
    dovecot = await startDovecot({ extraUsers: [{ ...USER, folders: [{ path: 'INBOX', messages: mail.inbox }, { path: 'Sent', messages: mail.sent }, { path: 'Archive', messages: [] }] }] });
    api = await activateMailroom();
    await config().update('remoteContent.allowedSenders', undefined, vscode.ConfigurationTarget.Global);
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', {
      id: ACCOUNT_ID,
      label: 'Conversation panel',
      protocol: 'imap',
      host: dovecot.host,
      port: dovecot.ports.imaps,
      security: 'tls',
      user: USER.user,
      password: USER.password,
      trustedCertificateSha256: dovecot.certSha256,
    });
    assert.equal(result.saved, true, JSON.stringify(result));
    await vscode.commands.executeCommand('mailroom.showConversations');
    other = await otherImapClient(dovecot, USER);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await config().update('remoteContent.allowedSenders', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('mailroom.showMessageList');
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await other?.logout().catch(() => undefined);
    await dovecot?.stop();
  });

  describe('remote content and drag and drop', () => {
    it('blocks every message’s remote images, and loads one message’s after its Load Remote Content is clicked', async function () {
      if (!hasBrowserService()) this.skip(); // the click, the tracker's log and the screenshots need the code-server runner
      const node = await thread('INBOX', 4);
      const first = await openConversation(node, () => true);
      // Oldest first: Ann's (read: a header line), Ben's, the user's reply from Sent (read), Cat's. Nothing is loaded.
      assert.deepEqual(first, { threadId: node.threadId, count: 4, expanded: 2, remoteLoaded: [] });
      const blocked = await waitFor(async () => {
        const text = await shellText();
        return (text.match(/1 remote resource blocked/g) ?? []).length === 2 && text.includes('Cat: the garden at night.') ? text : undefined;
      }, 'the two open messages, each with its notice');
      assert.ok(blocked.includes('Always Load from ben@example.test') && blocked.includes('Always Load from cat@example.test'));
      assert.deepEqual(await imagesAtTracker(), [], 'no image reached the tracker');
      log(`screenshot: ${await takeScreenshot('conversation-remote-blocked')}`);

      const mark = await networkMark();
      const loaded = nextRender((r) => r.threadId === node.threadId && r.remoteLoaded.length > 0);
      await clickWebviewButton(`Load Remote Content (message from ${PEOPLE.ben.name} <${PEOPLE.ben.address}>)`);
      const report = await loaded;
      assert.deepEqual(report.remoteLoaded, [1], 'only Ben’s message has its remote content');
      assert.equal(report.expanded, 2, 'the open messages stay open when the page is replaced');
      await waitFor(async () => (await imagesAtTracker()).includes(IMAGE.ben), 'Ben’s image at the tracker');
      // Cat's frame is drawn beside Ben's in the same page (whose policy now allows remote content):
      // its own policy still blocks its image. The browser's log, once settled, says so too.
      const net = await networkSince(mark, 3_000);
      const cat = net.requests.filter((r) => r.url.includes(IMAGE.cat));
      assert.ok(cat.every((r) => r.outcome !== 'finished'), `Cat’s image never loaded: ${JSON.stringify(cat)}`);
      assert.deepEqual(await imagesAtTracker(), [IMAGE.ben], 'only Ben’s image reached the tracker');
      const text = await waitFor(async () => {
        const t = await shellText();
        return (t.match(/1 remote resource blocked/g) ?? []).length === 1 && t.includes('Ben: the hall') ? t : undefined;
      }, 'Ben’s notice gone, Cat’s still there');
      assert.ok(text.includes('Always Load from cat@example.test'));
      log(`screenshot: ${await takeScreenshot('conversation-remote-loaded')}`);
    });

    it('remembers a sender from the panel, and loads that sender’s messages at once next time', async function () {
      if (!hasBrowserService()) this.skip();
      const node = await thread('INBOX', 4);
      const remembered = nextRender((r) => r.threadId === node.threadId && r.remoteLoaded.includes(3));
      await clickWebviewButton(`Always Load from ${PEOPLE.cat.address} (message from ${PEOPLE.cat.name} <${PEOPLE.cat.address}>)`);
      assert.deepEqual((await remembered).remoteLoaded, [1, 3]);
      assert.deepEqual(config().get('remoteContent.allowedSenders'), [PEOPLE.cat.address], 'the message view’s setting');
      await waitFor(async () => (await imagesAtTracker()).includes(IMAGE.cat), 'Cat’s image at the tracker');

      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const reopened = await openConversation(node, (r) => r.remoteLoaded.length > 0);
      assert.deepEqual(reopened.remoteLoaded, [3], 'Cat’s message opens with its remote content, Ben’s is blocked again');
      await waitFor(async () => (await shellText()).includes('Cat: the garden at night.'), 'the reopened conversation');
      assert.ok(!(await shellText()).includes('Always Load from cat@example.test'), 'no notice on the allowed sender’s message');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('follows the setting while open: a sender allowed elsewhere gets their remote content, the open messages stay open', async function () {
      if (!hasBrowserService()) this.skip();
      await config().update('remoteContent.allowedSenders', undefined, vscode.ConfigurationTarget.Global);
      const node = await thread('INBOX', 4);
      const first = await openConversation(node, () => true);
      assert.deepEqual(first.remoteLoaded, [], 'nothing allowed any more');
      // Another window's "Always Load from", or an edit of settings.json: the page here is replaced
      // (its policy did not allow remote content yet) and asks for the messages again.
      const followed = nextRender((r) => r.threadId === node.threadId && r.remoteLoaded.length > 0);
      await config().update('remoteContent.allowedSenders', [PEOPLE.ben.address], vscode.ConfigurationTarget.Global);
      const report = await Promise.race([followed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the open conversation did not follow the setting within 30 s')), 30_000))]);
      assert.deepEqual(report.remoteLoaded, [1], 'Ben’s message, and only his');
      assert.equal(report.expanded, first.expanded, 'the open messages stay open');
      await waitFor(async () => (await imagesAtTracker()).includes(IMAGE.ben), 'Ben’s image at the tracker');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('moves a conversation dragged onto a folder: its messages in that folder, not the reply in Sent, expunging nothing else', async () => {
      const client = other!;
      // Another client marks the bystander \Deleted and does not expunge: the move must leave it be.
      const lock = await client.getMailboxLock('INBOX');
      let bystander: number;
      try {
        await client.noop();
        const found = await client.search({ header: { 'message-id': 'bystander@convpanel.test' } }, { uid: true });
        assert.ok(found && found.length === 1, 'the bystander in INBOX');
        bystander = found[0];
        await client.messageFlagsAdd(String(bystander), ['\\Deleted'], { uid: true });
      } finally {
        lock.release();
      }

      const node = await thread('INBOX', 4);
      const archive = await folderNode('Archive');
      const transfer = new vscode.DataTransfer();
      api.dragAndDrop.handleDrag([node], transfer);
      await api.dragAndDrop.handleDrop(archive, transfer, new vscode.CancellationTokenSource().token);

      assert.deepEqual(await serverIds(client, 'Archive'), ['venue1', 'venue2', 'venue3']);
      assert.deepEqual(await serverIds(client, 'Sent'), ['venue-sent'], 'the user’s reply stays in Sent');
      const inbox = await client.getMailboxLock('INBOX');
      try {
        await client.noop();
        const left = await client.fetchAll('1:*', { uid: true, flags: true, envelope: true });
        assert.deepEqual(
          left.map((m) => [m.uid, m.envelope?.messageId, [...(m.flags ?? [])]]),
          [[bystander, '<bystander@convpanel.test>', ['\\Deleted', '\\Seen']]],
          'only the bystander is left in INBOX, still \\Deleted, not expunged',
        );
      } finally {
        inbox.release();
      }

      const moved = await thread('Archive', 4);
      await waitFor(async () => !(await api.treeModel.getChildren(await folderNode('INBOX'))).some((n) => n.kind === 'thread'), 'the conversation gone from INBOX');
      await api.treeView.reveal(archive, { expand: true, focus: false, select: false });
      await api.treeView.reveal(moved, { expand: false, focus: true, select: true });
      log(`screenshot: ${await takeScreenshot('conversation-dropped-on-folder')}`);
    });
  });

  // The vscode-de tier runs only titles with these words (scripts/test-all.sh), on a fresh mailbox.
  describe('German display language', () => {
    it('shows the conversation panel and the conversation’s row in German', async function () {
      if (!vscode.env.language.toLowerCase().startsWith('de') || !hasBrowserService()) this.skip(); // the vscode-de tier only
      const node = await thread('INBOX', 4);
      assert.match(String(api.treeProvider.getTreeItem(node).description), /^4 · 2 ungelesen · /);
      assert.match((api.treeProvider.getTreeItem(node).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '), /4 Nachrichten, 2 ungelesen\n[^]*Neueste: /);
      await api.treeView.reveal(node.parent, { expand: true, focus: false, select: false });
      await api.treeView.reveal(node, { expand: false, focus: true, select: true });
      const row = await waitFor(async () => {
        const rows = await workbenchTexts('.monaco-list-row');
        return rows === undefined ? [] : rows.find((t) => t.includes(SUBJECT) && t.includes('ungelesen'));
      }, 'the German conversation row on screen');
      log(`tree row: ${String(row)}`);
      await openConversation(node, () => true);
      const page = await waitFor(async () => (await webviewLandmarks()).find((p) => p.lang === 'de' && p.focusable.some((f) => f.startsWith('Externe Inhalte laden'))), 'the German conversation panel');
      assert.equal(page.unnamedButtons, 0);
      const text = await waitFor(async () => {
        const t = await shellText();
        return t.includes('1 externe Ressource blockiert') ? t : undefined;
      }, 'the German notice');
      for (const words of ['Antworten', 'Allen antworten', 'Öffnen', 'Immer laden von ben@example.test']) assert.ok(text.includes(words), `“${words}” in the panel`);
      assert.ok(!/\bReply\b|remote resource/.test(text), 'no English left in the panel');
      log(`screenshot: ${await takeScreenshot('conversation-panel-de')}`);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
});

/** The Message-IDs (without the domain) in a folder, by UID, as a second client sees them. */
async function serverIds(client: ImapFlow, path: string): Promise<string[]> {
  const lock = await client.getMailboxLock(path);
  try {
    await client.noop();
    const messages = await client.fetchAll('1:*', { uid: true, envelope: true });
    return messages.map((m) => (m.envelope?.messageId ?? '').replace(/^<|@.*$/g, ''));
  } finally {
    lock.release();
  }
}
