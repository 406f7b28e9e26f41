// Issue 6's message view inside the real extension host: an HTML message in the sandboxed iframe
// with its remote image blocked and counted, Load Remote Content, View Source's exact bytes, the
// header inspector, Save As with a safe name, and a patch opened and applied with git am. Uses bob,
// with its own IMAP account and a folder this file creates and removes.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { LinkReport, RenderedReport } from '../../../src/providers/messagePanel';
import type { PatchOutcome } from '../../../src/patch/gitAm';
import type { HeadersViewModel } from '../../../src/shared/headersView';
import type { AccountNode, FolderNode, MessageNode } from '../../../src/providers/tree/nodes';
import { buildMessage } from '../../fixtures/messages';
import { activateMailroom, evaluateInMessageFrames, fixtureInfo, FixtureInfo, imapsAccount, log, otherImapClient, takeScreenshot, waitFor, webviewTexts } from './harness';

const ACCOUNT_ID = 'bob-view';
const FOLDER = 'ViewTest';
const REMOTE_IMAGE = 'http://127.0.0.1:9/mailroom-view-test/pixel.png';
const HOSTILE_NAME = '../..\\evil\u202Etxt.exe:stream?.txt';

function headerLines(lines: string[], message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(lines.map((l) => `${l}\r\n`).join('')), message]);
}

describe('Message view in the extension host (HTML, remote content, source, headers, attachments, patches)', function () {
  this.timeout(180_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let other: ImapFlow;
  let tmp: string;
  const raw = {
    html: buildMessage({
      from: { name: 'Newsletter', address: 'news@example.test' },
      to: [{ address: 'bob@example.test' }],
      subject: 'View: HTML newsletter',
      date: new Date(Date.UTC(2024, 2, 1)),
      messageId: 'view-html@test.mailroom',
      body: { kind: 'alternative', text: 'Plain newsletter', html: `<h1 style="color:#036">Spring news</h1><p>Hello <img src="${REMOTE_IMAGE}" alt="pixel" width="1" height="1"></p><p><a href="https://example.com/">example.com</a> <a href="mailto:news-reply@example.test">write back</a></p><script>document.title='pwned'</script>` },
    }),
    attachment: headerLines(
      [
        'Received: from relay.example.net (relay.example.net [192.0.2.7]) by mx.example.test with ESMTPS id r2; Fri, 1 Mar 2024 10:00:05 +0000',
        'Received: from laptop.example.com by relay.example.net with ESMTPSA id r1; Fri, 1 Mar 2024 10:00:00 +0000',
        'Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com',
      ],
      buildMessage({
        from: { name: 'Carol', address: 'carol@example.com' },
        to: [{ address: 'bob@example.test' }],
        subject: 'View: report attached',
        date: new Date(Date.UTC(2024, 2, 1, 9, 59, 58)),
        messageId: 'view-attachment@test.mailroom',
        body: { kind: 'mixed', text: 'The report is attached.\n\n> earlier words\n', attachments: [{ filename: HOSTILE_NAME, contentType: 'text/plain', content: Buffer.from('report line 1\r\nreport line 2\r\n') }] },
      }),
    ),
    patch: Buffer.alloc(0) as Buffer,
  };

  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-view-'));
    raw.patch = buildMessage({
      from: { name: 'Patch Author', address: 'author@example.test' },
      to: [{ address: 'list@example.test' }],
      subject: '[PATCH] hello: shout the second line',
      date: new Date(Date.UTC(2024, 2, 2)),
      messageId: 'view-patch@test.mailroom',
      body: { kind: 'text', text: 'Makes it louder.\n\n---\n' + makeRepo() },
    });
    other = await otherImapClient(fixture, fixture.users.bob);
    await other.mailboxCreate(FOLDER).catch(() => undefined);
    for (const bytes of [raw.html, raw.attachment, raw.patch]) await other.append(FOLDER, bytes, ['\\Seen']);
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, fixture.users.bob, ACCOUNT_ID, 'Bob (view)'));
    assert.equal(result.saved, true, JSON.stringify(result));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await vscode.workspace.getConfiguration('mailroom').update('remoteContent.allowedSenders', undefined, vscode.ConfigurationTarget.Global);
    await other?.mailboxDelete(FOLDER).catch(() => undefined);
    await other?.logout().catch(() => undefined);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('renders an HTML message in the sandboxed frame and counts the blocked remote image', async () => {
    const node = await message('View: HTML newsletter');
    const rendered = nextRender();
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    const report = await rendered;
    assert.equal(report.mode, 'html');
    assert.equal(report.remoteBlocked, 1);
    assert.equal(report.remoteAllowed, false);
    assert.ok(report.textLength > 0, 'the frame has text');
    assert.equal(api.panels.activePanel()?.node.id, node.id);
    if (await webviewTexts()) {
      const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes('remote resource blocked'))?.text, 'the remote content bar');
      assert.match(text, /1 remote resource blocked/);
      assert.match(text, /Always Load from news@example\.test/);
      await takeScreenshot('message-html-remote-blocked');
    }
  });

  it('catches a link click inside the frame and hands it to the link policy', async function () {
    if (!(await webviewTexts())) this.skip(); // needs the code-server runner's browser
    const clicked = new Promise<LinkReport>((resolve) => {
      const sub = api.panels.onDidOpenLink((r) => {
        sub.dispose();
        resolve(r);
      });
    });
    const frames = await evaluateInMessageFrames(`document.querySelector('a[href^="mailto:"]')?.click()`);
    assert.ok(frames.length >= 1, 'the message frame was found');
    const report = await Promise.race([clicked, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no link report')), 15_000))]);
    assert.equal(report.href, 'mailto:news-reply@example.test');
    assert.equal(report.decision, 'mailto');
    // With compose available the click opened a compose tab: close it unsaved (it is not part of this test).
    const compose = await waitFor(() => vscode.window.activeTextEditor?.document.languageId === 'mailroom-compose', 'a compose tab', 5_000).catch(() => false);
    if (compose) await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('shows the message again with remote content when asked', async () => {
    const panel = api.panels.activePanel();
    assert.ok(panel);
    const report = await vscode.commands.executeCommand<RenderedReport>('mailroom.loadRemoteContent', panel.key);
    assert.ok(report, 'the command resolves with the new rendering');
    assert.equal(report.remoteAllowed, true);
    assert.equal(report.mode, 'html');
    if (await webviewTexts()) {
      await waitFor(async () => {
        const texts = await webviewTexts();
        return texts?.some((t) => t.text.includes('Newsletter') && t.visible) && !texts.some((t) => t.text.includes('remote resource blocked'));
      }, 'the bar to go away');
      await takeScreenshot('message-html-remote-loaded');
    }
  });

  it('shows an open message’s remote content once its sender is allowed elsewhere (another window, settings.json)', async () => {
    const node = await message('View: HTML newsletter');
    api.panels.panelFor(node)?.dispose();
    const opened = nextRender();
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    assert.equal((await opened).remoteAllowed, false, 'the sender is not allowed yet');
    const followed = nextRender();
    await vscode.workspace.getConfiguration('mailroom').update('remoteContent.allowedSenders', ['news@example.test'], vscode.ConfigurationTarget.Global);
    const report = await followed;
    assert.equal(report.panelKey, node.id);
    assert.equal(report.remoteAllowed, true, 'the open panel followed the setting');
    assert.equal(report.remoteBlocked, 1);
  });

  it('remembers a sender whose messages then open with remote content', async () => {
    const node = await message('View: HTML newsletter');
    api.panels.panelFor(node)?.dispose();
    const list = await vscode.commands.executeCommand<string[]>('mailroom.alwaysLoadRemoteContentFromSender', node);
    assert.ok(list?.includes('news@example.test'), JSON.stringify(list));
    assert.deepEqual(vscode.workspace.getConfiguration('mailroom').get('remoteContent.allowedSenders'), list);
    const rendered = nextRender();
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    const report = await rendered;
    assert.equal(report.remoteAllowed, true, 'opened with remote content loaded');
    assert.equal(report.remoteBlocked, 1);
  });

  it('opens View Source with the exact bytes, read-only', async () => {
    const node = await message('View: report attached');
    const uri = await vscode.commands.executeCommand<vscode.Uri>('mailroom.viewSource', node);
    assert.ok(uri);
    assert.equal(uri.scheme, 'mailroom');
    assert.match(uri.path, /\.eml$/);
    const bytes = Buffer.from(await vscode.workspace.fs.readFile(uri));
    assert.equal(bytes.toString('latin1'), (await serverSource('view-attachment@test.mailroom')).toString('latin1'));
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri, Buffer.from('changed'))));
  });

  it('inspects the Received chain and the authentication results', async () => {
    const node = await message('View: report attached');
    const result = await vscode.commands.executeCommand<{ model: HeadersViewModel; rendered: { hops: number; auth: number } }>('mailroom.inspectHeaders', node);
    assert.ok(result);
    // Dovecot's LMTP would add a hop; APPEND adds none: the two written above.
    assert.equal(result.rendered.hops, 2);
    assert.equal(result.rendered.auth, 3);
    assert.deepEqual(result.model.summary, { spf: 'pass', dkim: 'pass', dmarc: 'pass' });
    assert.equal(result.model.hops[1].delaySeconds, 5);
    await takeScreenshot('header-inspector');
  });

  it('saves an attachment under a safe name and never leaves a part file', async () => {
    const node = await message('View: report attached');
    const saved = await vscode.commands.executeCommand<vscode.Uri>('mailroom.saveAttachment', node, 0, vscode.Uri.file(tmp));
    assert.ok(saved);
    const name = path.basename(saved.fsPath);
    assert.equal(path.dirname(saved.fsPath), tmp, 'written inside the chosen folder');
    assert.doesNotMatch(name, /[/\\:?\u202e]|\.\./);
    assert.equal(fs.readFileSync(saved.fsPath, 'utf8'), 'report line 1\r\nreport line 2\r\n');
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.part')), []);
    log(`saved as ${name}`);
  });

  it('opens a mailed patch as a diff and applies it with git am', async () => {
    const node = await message('[PATCH] hello: shout the second line');
    const opened = await vscode.commands.executeCommand<vscode.Uri>('mailroom.openPatch', node);
    assert.ok(opened);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === opened.toString());
    assert.equal(document?.languageId, 'diff');
    assert.match(document?.getText() ?? '', /^diff --git a\/hello\.txt b\/hello\.txt/);
    const repo = path.join(tmp, 'repo');
    const outcome = await vscode.commands.executeCommand<PatchOutcome>('mailroom.applyPatch', node, { folder: vscode.Uri.file(repo), confirmed: true });
    assert.ok(outcome, 'applied');
    assert.equal(outcome.ok, true, outcome.output);
    assert.equal(fs.readFileSync(path.join(repo, 'hello.txt'), 'utf8'), 'one\nTWO\nthree\n');
    assert.equal(execFileSync('git', ['log', '-1', '--format=%an|%s'], { cwd: repo, encoding: 'utf8' }).trim(), 'Patch Author|hello: shout the second line');
  });

  /** A repository in tmp at the commit the patch applies to; returns the patch (a git diff). */
  function makeRepo(): string {
    const repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo);
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.name', 'Repo Owner');
    git('config', 'user.email', 'owner@example.test');
    git('config', 'commit.gpgsign', 'false');
    fs.writeFileSync(path.join(repo, 'hello.txt'), 'one\ntwo\nthree\n');
    git('add', 'hello.txt');
    git('commit', '-q', '-m', 'initial');
    fs.writeFileSync(path.join(repo, 'hello.txt'), 'one\nTWO\nthree\n');
    const diff = git('diff');
    git('checkout', '-q', '--', 'hello.txt');
    return diff;
  }

  function nextRender(): Promise<RenderedReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('panel never rendered')), 30_000);
      const sub = api.panels.onDidRender((r) => {
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
  }

  async function message(subject: string): Promise<MessageNode> {
    const account = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account in the tree');
    const folder = await waitFor(async () => (await api.treeModel.getChildren(account)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === FOLDER), `folder ${FOLDER}`);
    return waitFor(async () => (await api.treeModel.getChildren(folder)).find((n): n is MessageNode => n.kind === 'message' && n.item.subject === subject), `“${subject}” in ${FOLDER}`);
  }

  async function serverSource(messageId: string): Promise<Buffer> {
    const lock = await other.getMailboxLock(FOLDER);
    try {
      const uids = await other.search({ header: { 'message-id': messageId } }, { uid: true });
      assert.ok(uids && uids.length === 1);
      const msg = await other.fetchOne(String(uids[0]), { source: true }, { uid: true });
      assert.ok(msg && msg.source);
      return msg.source;
    } finally {
      lock.release();
    }
  }
});
