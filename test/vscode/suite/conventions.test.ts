// Issue 15's VS Code conventions in the real workbench: the message view, header inspector and
// server report with their landmarks and keyboard stops, drawn in the high contrast theme; and,
// when the runner starts VS Code in German (MAILROOM_LOCALE=de, the `vscode-de` tier), the
// translated manifest, tree, notifications text and webviews. Uses bob with a folder of its own.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { RenderedReport } from '../../../src/providers/messagePanel';
import type { ProbeRenderedReport } from '../../../src/providers/probe/probePanel';
import type { AccountNode, FolderNode, MessageNode } from '../../../src/providers/tree/nodes';
import type { HeadersViewModel } from '../../../src/shared/headersView';
import { buildMessage } from '../../fixtures/messages';
import { activateMailroom, fixtureInfo, FixtureInfo, hasBrowserService, imapsAccount, otherImapClient, takeScreenshot, waitFor, webviewLandmarks, webviewTexts, workbenchTexts } from './harness';

const ACCOUNT_ID = 'bob-conventions';
const FOLDER = 'ConventionsTest';
const SUBJECT = 'Conventions: quarterly report';

/** Bob's account with one message (two Received hops, authentication results, an attachment) in FOLDER. */
function useConventionsMailbox(): { api: () => MailroomApi; fixture: () => FixtureInfo; message: () => Promise<MessageNode> } {
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let other: ImapFlow;
  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    other = await otherImapClient(fixture, fixture.users.bob);
    await other.mailboxCreate(FOLDER).catch(() => undefined);
    const headers = [
      'Received: from relay.example.net (relay.example.net [192.0.2.7]) by mx.example.test with ESMTPS id c2; Fri, 1 Mar 2024 10:00:05 +0000',
      'Received: from laptop.example.com by relay.example.net with ESMTPSA id c1; Fri, 1 Mar 2024 10:00:00 +0000',
      'Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=example.com; dkim=fail header.d=example.com; dmarc=none header.from=example.com',
    ];
    const body = buildMessage({
      from: { name: 'Carol', address: 'carol@example.com' },
      to: [{ address: 'bob@example.test' }],
      subject: SUBJECT,
      date: new Date(Date.UTC(2024, 2, 1, 9, 59, 58)),
      messageId: 'conventions@test.mailroom',
      body: { kind: 'mixed', text: 'The figures are attached.\n\n> Could you send the figures?\n> Thanks\n', attachments: [{ filename: 'figures.csv', contentType: 'text/csv', content: Buffer.from('q,total\r\n1,42\r\n') }] },
    });
    await other.append(FOLDER, Buffer.concat([Buffer.from(headers.map((l) => `${l}\r\n`).join('')), body]), ['\\Seen']);
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, fixture.users.bob, ACCOUNT_ID, 'Bob (conventions)'));
    assert.equal(result.saved, true, JSON.stringify(result));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await other?.mailboxDelete(FOLDER).catch(() => undefined);
    await other?.logout().catch(() => undefined);
  });
  const message = async (): Promise<MessageNode> => {
    const account = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account in the tree');
    const folder = await waitFor(async () => (await api.treeModel.getChildren(account)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === FOLDER), `folder ${FOLDER}`);
    return waitFor(async () => (await api.treeModel.getChildren(folder)).find((n): n is MessageNode => n.kind === 'message' && n.item.subject === SUBJECT), `“${SUBJECT}”`);
  };
  return { api: () => api, fixture: () => fixture, message };
}

function nextMessageRender(api: MailroomApi): Promise<RenderedReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the message panel never rendered')), 30_000);
    const sub = api.panels.onDidRender((r) => {
      clearTimeout(timer);
      sub.dispose();
      resolve(r);
    });
  });
}

function nextProbeRender(api: MailroomApi): Promise<ProbeRenderedReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the report webview never rendered')), 60_000);
    const sub = api.probe.onDidRenderReport((r) => {
      clearTimeout(timer);
      sub.dispose();
      resolve(r);
    });
  });
}

describe('Conventions: keyboard, screen readers and high contrast (message view, header inspector, server report)', function () {
  this.timeout(180_000);
  const mailbox = useConventionsMailbox();
  const workbench = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('workbench');

  before(async () => {
    // In the workspace's settings: the user settings file is where other suites keep theirs.
    await workbench().update('colorTheme', 'Default High Contrast', vscode.ConfigurationTarget.Workspace);
    await waitFor(() => vscode.window.activeColorTheme.kind === vscode.ColorThemeKind.HighContrast, 'the high contrast theme');
  });
  after(async () => {
    await workbench().update('colorTheme', undefined, vscode.ConfigurationTarget.Workspace);
    // The next suites see the default theme again, fully applied.
    await waitFor(() => vscode.window.activeColorTheme.kind !== vscode.ColorThemeKind.HighContrast, 'the default theme back');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  });

  it('the message view has main, headers, actions and body landmarks, and every action is a keyboard stop', async function () {
    const api = mailbox.api();
    const node = await mailbox.message();
    const rendered = nextMessageRender(api);
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    assert.equal((await rendered).mode, 'text');
    if (!hasBrowserService()) this.skip(); // the DOM is read through the code-server runner's browser
    const page = await waitFor(async () => {
      const pages = await webviewLandmarks().catch(() => []);
      return pages.find((p) => p.focusable.some((f) => f.includes('figures.csv')));
    }, 'the message view drawn');
    const roles = page.landmarks.map((l) => `${l.role}:${l.name}`);
    for (const landmark of ['main:', 'region:Message headers', 'region:Attachments', 'region:Message body']) assert.ok(roles.includes(landmark), `${landmark} in ${JSON.stringify(roles)}`);
    assert.equal(page.unnamedButtons, 0);
    // Tab reaches the headers' disclosure, both attachment buttons (named for their file), the quote and the text.
    for (const stop of ['Show All Headers', 'Save figures.csv as…', 'Open figures.csv', 'Quoted text', 'Message body']) {
      assert.ok(page.focusable.some((f) => f.startsWith(stop)), `${stop} in ${JSON.stringify(page.focusable)}`);
    }
    await takeScreenshot('high-contrast-message-view');
  });

  it('the header inspector has a section nav and labelled regions for its tables', async function () {
    const node = await mailbox.message();
    const result = await vscode.commands.executeCommand<{ model: HeadersViewModel; rendered: { hops: number; auth: number } }>('mailroom.inspectHeaders', node);
    assert.equal(result?.rendered.hops, 2);
    if (!hasBrowserService()) this.skip();
    const page = await waitFor(async () => {
      const pages = await webviewLandmarks().catch(() => []);
      return pages.find((p) => p.landmarks.some((l) => l.role === 'navigation' && l.name === 'Sections'));
    }, 'the header inspector drawn');
    const roles = page.landmarks.map((l) => `${l.role}:${l.name}`);
    for (const landmark of ['main:', 'navigation:Sections', 'region:Received chain (oldest first)', 'region:Authentication-Results']) assert.ok(roles.includes(landmark), `${landmark} in ${JSON.stringify(roles)}`);
    // The in-page links are keyboard stops, and so are the regions that scroll sideways.
    for (const stop of ['Received chain', 'Authentication-Results']) assert.ok(page.focusable.includes(stop), `${stop} in ${JSON.stringify(page.focusable)}`);
    await takeScreenshot('high-contrast-header-inspector');
  });

  it('the server report has an endpoint nav and one labelled region per endpoint', async function () {
    const api = mailbox.api();
    const fixture = mailbox.fixture();
    const rendered = nextProbeRender(api);
    // Two endpoints, so the report shows its summary table of links (the nav).
    const reports = await vscode.commands.executeCommand<unknown[]>('mailroom.scanHost', fixture.host, { ports: { imaps: fixture.ports.imaps, pop3s: fixture.ports.pop3s } });
    assert.equal(reports?.length, 2);
    assert.equal((await rendered).endpoints, 2);
    if (!hasBrowserService()) this.skip();
    const page = await waitFor(async () => {
      const pages = await webviewLandmarks().catch(() => []);
      return pages.find((p) => p.landmarks.some((l) => l.name === 'Endpoints'));
    }, 'the report drawn');
    const regions = page.landmarks.filter((l) => l.role === 'region').map((l) => l.name);
    assert.equal(regions.length, 2, JSON.stringify(page.landmarks));
    assert.ok(regions.every((r) => r.includes(`${fixture.host}:`)), JSON.stringify(regions));
    assert.ok(page.focusable.includes('Copy as Markdown') && page.focusable.includes('Copy as JSON'), JSON.stringify(page.focusable));
    assert.equal(page.unnamedButtons, 0);
    await takeScreenshot('high-contrast-server-report');
  });
});

describe('Conventions: German display language (manifest, host strings, webviews)', function () {
  this.timeout(180_000);
  const german = vscode.env.language.toLowerCase().startsWith('de');
  before(function () {
    // Only in the run whose workbench is German (scripts/test-all.sh's vscode-de tier: code-server --locale de).
    if (!german) this.skip();
  });
  const mailbox = useConventionsMailbox();

  it('reads its command titles and view names from package.nls.de.json', async () => {
    // VS Code hands a localized manifest string as { value, original }.
    type Localized = string | { value: string; original: string };
    const shown = (text: Localized | undefined): string | undefined => (typeof text === 'object' ? text.value : text);
    const manifest = vscode.extensions.getExtension('mailroom.mailroom')?.packageJSON as { contributes: { commands: Array<{ command: string; title: Localized }>; views: Record<string, Array<{ name: Localized }>> } };
    const title = (id: string): string | undefined => shown(manifest.contributes.commands.find((c) => c.command === id)?.title);
    assert.equal(title('mailroom.addAccount'), 'Konto hinzufügen');
    assert.equal(title('mailroom.checkServer'), 'Serverfähigkeiten prüfen…');
    assert.equal(shown(manifest.contributes.views.mailroom[0].name), 'Postfächer');
    // The command palette as a German user sees it.
    await vscode.commands.executeCommand('workbench.action.quickOpen', '>Mailroom: ');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await takeScreenshot('german-command-palette');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  });

  it('shows the tree and the message view in German', async function () {
    const api = mailbox.api();
    assert.equal(vscode.l10n.t('(no subject)'), '(kein Betreff)', 'the German bundle is loaded');
    const unified = (await api.treeModel.getChildren(undefined)).find((n) => n.kind === 'unified');
    if (unified) assert.equal(api.treeProvider.getTreeItem(unified).label, 'Alle Posteingänge');
    const node = await mailbox.message();
    await api.treeView.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
    const rendered = nextMessageRender(api);
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    await rendered;
    if (!hasBrowserService()) this.skip();
    const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes(SUBJECT) && t.visible)?.text, 'the message view');
    for (const word of ['Von', 'Datum', 'Speichern unter…', 'Alle Kopfzeilen anzeigen', 'Zitierter Text']) assert.ok(text.includes(word), `“${word}” in ${text.slice(0, 400)}`);
    const page = await waitFor(async () => (await webviewLandmarks()).find((p) => p.lang === 'de' && p.landmarks.some((l) => l.name === 'Kopfzeilen der Nachricht')), 'the German message view’s landmarks');
    assert.equal(page.lang, 'de');
    assert.ok(page.landmarks.some((l) => l.name === 'Anhänge'), JSON.stringify(page.landmarks));
    assert.ok(page.focusable.includes('figures.csv speichern unter…'), JSON.stringify(page.focusable));
    await takeScreenshot('german-message-view');
  });

  it('shows the header inspector in German', async function () {
    const node = await mailbox.message();
    const result = await vscode.commands.executeCommand<{ model: HeadersViewModel; rendered: { hops: number } }>('mailroom.inspectHeaders', node);
    assert.equal(result?.rendered.hops, 2);
    if (!hasBrowserService()) this.skip();
    const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes('Received-Kette') && t.visible)?.text, 'the header inspector in German');
    assert.match(text, /Zugestellt in .* über 2 Stationen/);
    await takeScreenshot('german-header-inspector');
  });

  it('shows the walkthrough’s demo step in German', async function () {
    if (!hasBrowserService()) this.skip();
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', { category: 'mailroom.mailroom#mailroom.gettingStarted', step: 'tryDemo' }, false);
    const shown = await waitFor(async () => {
      const text = (await workbenchTexts('.part.editor'))?.join('\n') ?? '';
      return text.includes('Oder die Demo ausprobieren') && text.includes('Demo-Anleitung anzeigen') ? text : undefined;
    }, 'the German walkthrough with its demo step opened', 30_000);
    assert.ok(shown.includes('Ein E-Mail-Konto hinzufügen'), shown.slice(0, 400));
    await takeScreenshot('german-walkthrough-demo');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});

describe('Conventions: where Mailroom runs (extensionKind)', () => {
  it('runs in the extension host that has the workspace, as the manifest asks', async () => {
    const extension = vscode.extensions.getExtension('mailroom.mailroom');
    assert.ok(extension);
    assert.deepEqual((extension.packageJSON as { extensionKind?: string[] }).extensionKind, ['workspace']);
    assert.equal(extension.extensionKind, vscode.ExtensionKind.Workspace);
    // The patch commands run git where the workspace's files are: they are files on this host.
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the runner opens a folder');
    assert.equal(folder.uri.scheme, 'file');
    assert.ok(fs.existsSync(folder.uri.fsPath), `${folder.uri.fsPath} is on the extension's own disk`);
  });
});
