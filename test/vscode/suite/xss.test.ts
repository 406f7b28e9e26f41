// The XSS and tracking corpus (test/fixtures/xssCorpus.ts) rendered by the real message view in
// real Chromium (code-server runner). For every message: the benign text is visible; no canary
// fired (console line, canary request, dialog, popup); no request left for a non-local host and
// the tracker server saw nothing; then after "Load Remote Content" the message's remote images
// reach the tracker and still no canary fires. A control check first proves the detectors see a
// script that does run. Uses fixture user "xss" (no other suite does), folder "Corpus".
import * as assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { MailroomApi } from '../../../src/providers/api';
import type { LinkActions } from '../../../src/providers/message/openLink';
import type { LinkReport } from '../../../src/providers/messagePanel';
import type { AccountNode, FolderNode, MessageNode } from '../../../src/providers/tree/nodes';
import type { MailUser } from '../../fixtures/seed';
import { buildXssCorpus, CANARY_PATH, CANARY_PREFIX, canaryScript, CorpusMessage, LinkExpectation } from '../../fixtures/xssCorpus';
import { activateMailroom,
  clearTrackerRequests,
  clickMessageLink,
  evaluateInMessageFrame,
  evaluateInMessageFrames,
  fixtureInfo,
  FixtureInfo,
  hasBrowserService,
  imapsAccount,
  log,
  messageFrameLinks,
  NetworkSnapshot,
  networkMark,
  networkSince,
  otherImapClient,
  RequestEntry,
  takeScreenshot,
  TrackerRequest,
  trackerRequests,
  ViewReport,
  waitFor,
  webviewTexts,
} from './harness';

const ACCOUNT_ID = 'xss-corpus';
const FOLDER = 'Corpus';
/** Late handlers (autofocus, onload, animations) get this long to fire before the log is read. */
const SETTLE_MS = 400;
/** Webview resource URLs in code-server / VS Code for the web (served by the webview's service worker). */
const WEBVIEW_RESOURCE_HOST_SUFFIX = '.vscode-resource.vscode-cdn.net';

/** Corpus ids and titles are known before the fixture is (the tracker port only changes URLs). */
const IDS = buildXssCorpus(1).map((m) => ({ id: m.id, clean: m.clean, links: m.links, clickAfterRemote: m.clickAfterRemote }));
/** The view never makes the message frame taller than this (media/message/main.ts). */
const MAX_FRAME_HEIGHT = 50_000;

describe('XSS and tracking corpus in the message view (real Chromium)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let port: number;
  let corpus: Map<string, CorpusMessage>;
  let nodes: Map<string, MessageNode>;
  let other: ImapFlow | undefined;

  before(async function () {
    if (!hasBrowserService()) {
      log('skipped: the corpus needs the code-server runner (Playwright request log)');
      this.skip();
    }
    this.timeout(300_000);
    fixture = fixtureInfo();
    const user = fixture.users.xss;
    assert.ok(user && fixture.tracker, 'the fixture CLI provides user "xss" and the tracker server');
    port = fixture.tracker.port;
    corpus = new Map(buildXssCorpus(port).map((m) => [m.id, m]));
    other = await seed(user, [...corpus.values()]);
    api = await activateMailroom();
    await vscode.workspace.getConfiguration('mailroom').update('pageSize', 200, vscode.ConfigurationTarget.Global);
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, user, ACCOUNT_ID, 'XSS corpus'));
    assert.equal(result.saved, true, JSON.stringify(result));
    nodes = await messageNodes(corpus.size);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (api) {
      await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
      await vscode.workspace.getConfiguration('mailroom').update('pageSize', undefined, vscode.ConfigurationTarget.Global);
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    }
    await other?.mailboxDelete(FOLDER).catch(() => undefined);
    await other?.logout().catch(() => undefined);
  });

  afterEach(async () => {
    if (api) await closeEditors(); // open() waits for a fresh render: no panel may stay open
  });

  it('control: the detectors see a canary that is made to run inside the message frame', async () => {
    const message = corpus.get('newsletter-cid')!;
    const report = await open(message);
    const mark = await networkMark();
    const frames = await evaluateInMessageFrames(canaryScript('control', port));
    assert.ok(frames.length >= 1, 'evaluated in at least one message frame');
    if (report.mode === 'html') {
      assert.ok(frames.some((f) => f.endsWith('> message frame')), `the message is in its own frame: ${frames.join(', ')}`);
    }
    const seen = await waitFor(async () => {
      const snap = await networkSince(mark, 0);
      const logged = snap.canaries.some((c) => c.kind === 'console' && c.text.includes(`${CANARY_PREFIX} control`));
      const request = snap.requests.some((r) => r.url.includes(`${CANARY_PATH}control`));
      return logged && request ? snap : undefined;
    }, 'the control canary in the console and request logs', 10_000);
    log(`control canary seen: ${seen.canaries.length} canary line(s), ${seen.requests.filter((r) => r.url.includes(CANARY_PATH)).map((r) => r.failure ?? r.outcome).join(', ')}`);
    await closeEditors();
  });

  for (const { id, clean } of IDS) {
    it(`${id}: ${clean ? 'clean newsletter' : 'no script runs'}, nothing loads until Load Remote Content, then its images do`, async () => {
      const message = corpus.get(id)!;
      await clearTrackerRequests();
      const mark = await networkMark();
      const report = await open(message);
      await visibleText(message.expectedText);
      for (const text of message.alsoVisible) await visibleText(text);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const before = await networkSince(mark);
      assertNoCanary(before, id);
      assert.deepEqual(leftRequests(before.requests), [], 'no request left for a non-local host before Load Remote Content');
      assert.deepEqual(await trackerRequests(), [], 'the tracker server saw no request');
      assert.notEqual(report.mode, 'text', 'an HTML message renders as HTML');
      if (report.remoteBlocked !== undefined && message.remoteImages.length) {
        assert.ok(report.remoteBlocked >= 1, `the bar counts blocked remote content (${report.remoteBlocked})`);
      }

      const mark2 = await networkMark();
      const allowed = nextRender((r) => r.panelKey === report.panelKey && r.remoteAllowed === true);
      await vscode.commands.executeCommand('mailroom.loadRemoteContent', report.panelKey);
      await allowed;
      const expected = [...message.remoteImages, ...message.chained];
      const loaded = await waitFor(async () => {
        const seen = await trackerRequests();
        return expected.every((url) => seen.some((r) => sameResource(r, url))) ? seen : undefined;
      }, `the remote images of ${id} at the tracker: ${expected.join(', ')}`, 15_000);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const after = await networkSince(mark2);
      assertNoCanary(after, id);
      const never = [...after.requests.map((r) => r.url), ...loaded.map((r) => `http://${r.host}${r.path}`)].filter((url) => message.neverLoads.some((n) => url.startsWith(n)));
      assert.deepEqual(never, [], 'requested although the sanitizer must have removed it');
      assert.ok(!loaded.some((r) => r.path.includes(CANARY_PATH)), 'no canary request reached the tracker');
      const extra = loaded.filter((r) => !message.remoteImages.some((url) => sameResource(r, url)));
      if (extra.length) log(`${id}: also loaded after Load Remote Content: ${extra.map((r) => `${r.host}${r.path}`).join(', ')}`);
      await closeEditors();
    });
  }

  for (const { id, links, clickAfterRemote } of IDS.filter((m) => m.links.length)) {
    it(`${id}: a person clicking each link gets what the link check decides (${links.join(', ')})`, async () => {
      const message = corpus.get(id)!;
      const report = await open(message);
      await visibleText(message.expectedText);
      if (clickAfterRemote) {
        // The new page is not awaited through its render report: what matters is that links are caught while an image is still loading.
        await clearTrackerRequests();
        await vscode.commands.executeCommand('mailroom.loadRemoteContent', report.panelKey);
        await waitFor(async () => (await trackerRequests()).some((r) => message.remoteImages.some((url) => sameResource(r, url) && url.includes('/stall/'))), 'the never-ending image requested', 15_000);
        await visibleText(message.expectedText);
      }
      const frameLinks = await waitFor(async () => {
        const found = await messageFrameLinks().catch(() => undefined);
        return found?.length === links.length ? found : undefined;
      }, `${links.length} links in the message frame`, 15_000);
      const recorder = recordLinkActions();
      try {
        for (const [i, expected] of links.entries()) {
          const link = frameLinks[i];
          const what = `link ${i} (${link.href}, “${link.text.trim()}”)`;
          const decided = nextLinkReport(report.panelKey);
          await clickMessageLink(i);
          const decision = await decided.catch((err: Error) => assert.fail(`${what}: ${err.message}`));
          log(`${id} ${what}: ${decision.decision}${decision.detail?.kind === 'confirm' ? ` (${decision.detail.reason})` : ''}`);
          assert.equal(decision.decision, expected, `${what}: ${JSON.stringify(decision.detail)}`);
          const acted = await waitFor(() => recorder.calls[i], `${what}: the action taken`, 5_000);
          assertActed(expected, acted, link.href, what);
        }
      } finally {
        recorder.restore();
      }
    });
  }

  it('frame-grow: the message frame keeps one bounded height while a page that follows it is open', async () => {
    const message = corpus.get('frame-grow')!;
    await open(message);
    await visibleText(message.expectedText);
    const heights: number[] = [];
    for (let i = 0; i < 8; i++) {
      heights.push(await evaluateInMessageFrame<number>('window.innerHeight'));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    log(`frame-grow: frame heights over 4 s: ${heights.join(', ')} px`);
    assert.ok(heights.every((h) => h > 0 && h <= MAX_FRAME_HEIGHT), `within ${MAX_FRAME_HEIGHT} px: ${heights.join(', ')}`);
    assert.deepEqual(heights.slice(2), heights.slice(2).map(() => heights[1]), `no growth after the first second: ${heights.join(', ')}`);
  });

  it('screenshots: an HTML message in light and dark theme, the remote-content bar, the header inspector', async () => {
    const workbench = vscode.workspace.getConfiguration('workbench');
    const message = corpus.get('newsletter-cid')!;
    try {
      await vscode.commands.executeCommand('workbench.action.closeSidebar'); // the whole width for the message
      await workbench.update('colorTheme', 'Default Light Modern', vscode.ConfigurationTarget.Global);
      const report = await open(message);
      await visibleText(message.expectedText);
      await settleFrames();
      await shot('message-remote-bar');
      const allowed = nextRender((r) => r.panelKey === report.panelKey && r.remoteAllowed === true);
      await vscode.commands.executeCommand('mailroom.loadRemoteContent', report.panelKey);
      await allowed;
      await settleFrames();
      await shot('message-html-light');
      await workbench.update('colorTheme', 'Default Dark Modern', vscode.ConfigurationTarget.Global);
      await settleFrames();
      await shot('message-html-dark');
      await closeEditors();
      await workbench.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);

      const chain = corpus.get('header-chain')!;
      await open(chain);
      await vscode.commands.executeCommand('mailroom.inspectHeaders', nodes.get(chain.id));
      await waitFor(async () => (await webviewTexts())?.some((w) => w.visible && /dmarc/i.test(w.text) && /relay\.example\.test/.test(w.text)), 'the header inspector showing the Received chain and Authentication-Results');
      await settleFrames();
      await shot('header-inspector');
    } finally {
      await workbench.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
      await closeEditors();
      await vscode.commands.executeCommand('workbench.view.explorer');
    }
  });

  async function seed(user: MailUser, messages: CorpusMessage[]): Promise<ImapFlow> {
    const client = await otherImapClient(fixture, user);
    await client.mailboxDelete(FOLDER).catch(() => undefined); // A leftover from an interrupted run.
    await client.mailboxCreate(FOLDER);
    for (const [i, m] of messages.entries()) {
      await client.append(FOLDER, m.raw, ['\\Seen'], new Date(Date.UTC(2024, 3, 1, 10, i)));
    }
    return client;
  }

  async function messageNodes(count: number): Promise<Map<string, MessageNode>> {
    const account = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the corpus account in the tree');
    const folder = await waitFor(async () => (await api.treeModel.getChildren(account)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === FOLDER), `folder ${FOLDER}`);
    const rows = await waitFor(async () => {
      const fresh = api.treeModel.findFolder(ACCOUNT_ID, FOLDER) ?? folder;
      const list = (await api.treeModel.getChildren(fresh)).filter((n): n is MessageNode => n.kind === 'message');
      return list.length >= count ? list : undefined;
    }, `${count} corpus messages in the tree`, 60_000);
    const bySubject = new Map(rows.map((r) => [r.item.subject, r]));
    const found = new Map<string, MessageNode>();
    for (const m of corpus.values()) {
      const node = bySubject.get(m.subject);
      assert.ok(node, `the tree lists "${m.subject}"`);
      found.set(m.id, node);
    }
    return found;
  }

  /** Opens a corpus message and resolves with its first render report. */
  async function open(message: CorpusMessage): Promise<ViewReport> {
    const node = nodes.get(message.id);
    assert.ok(node, message.id);
    const rendered = nextRender((r) => r.panelKey === node.id);
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    return rendered;
  }

  function nextRender(match: (r: ViewReport) => boolean, timeoutMs = 30_000): Promise<ViewReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`no matching render report within ${timeoutMs} ms`));
      }, timeoutMs);
      const sub = api.panels.onDidRender((report) => {
        const r = report as ViewReport;
        if (!match(r)) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
  }

  interface LinkAction {
    kind: LinkExpectation;
    url: string;
    realHost?: string;
  }

  /** Puts a recorder where the real dialog, browser and compose command would act (restored after). */
  function recordLinkActions(): { calls: LinkAction[]; restore(): void } {
    const previous = api.panels.linkActions;
    const calls: LinkAction[] = [];
    const recorder: LinkActions = {
      confirm: async (d) => {
        calls.push({ kind: 'confirm', url: d.url, realHost: d.realHost });
        return false; // the person chose not to open it
      },
      open: async (url) => {
        calls.push({ kind: 'open', url });
      },
      compose: async (address) => {
        calls.push({ kind: 'mailto', url: address });
      },
      refuse: (reason) => {
        calls.push({ kind: 'refuse', url: reason });
      },
    };
    api.panels.linkActions = recorder;
    return { calls, restore: () => (api.panels.linkActions = previous) };
  }

  function assertActed(expected: LinkExpectation, acted: LinkAction, href: string, what: string): void {
    assert.equal(acted.kind, expected, `${what}: ${JSON.stringify(acted)}`);
    if (expected === 'open' || expected === 'confirm') {
      // What opens, or what the dialog names as the real destination, is where the link goes.
      assert.equal(acted.url, new URL(href).href, what);
    }
    if (expected === 'confirm') assert.equal(acted.realHost, new URL(href).hostname.replace(/^www\./, ''), what);
  }

  function nextLinkReport(panelKey: string, timeoutMs = 10_000): Promise<LinkReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`no link decision within ${timeoutMs} ms of the click (the click was not caught)`));
      }, timeoutMs);
      const sub = api.panels.onDidOpenLink((r) => {
        if (r.panelKey !== panelKey) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
  }

  async function visibleText(text: string): Promise<void> {
    await waitFor(async () => (await webviewTexts())?.some((w) => w.visible && w.text.includes(text)), `"${text}" visible in the message view`, 15_000);
  }

  /**
   * A request "left" when it went to a host other than 127.0.0.1 (or to the tracker) and CSP did not
   * stop it. The webview shell's own stylesheet and script (`*.vscode-resource.vscode-cdn.net`, which
   * the webview's service worker serves from the extension folder) are not the message's requests,
   * unless the message frame itself asked for them.
   */
  function leftRequests(requests: RequestEntry[]): string[] {
    const shellResource = (r: RequestEntry): boolean =>
      new URL(r.url).hostname.endsWith(WEBVIEW_RESOURCE_HOST_SUFFIX) && !r.fromMessageFrame && !r.url.includes(CANARY_PATH);
    return requests.filter((r) => isRemote(r.url) && r.failure !== 'csp' && !shellResource(r)).map((r) => `${r.url} (${r.failure ?? r.outcome}, from ${r.frameUrl})`);
  }

  function isRemote(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (!/^(https?|wss?|ftp):$/.test(parsed.protocol)) return false;
    return parsed.hostname !== '127.0.0.1' || parsed.port === String(port);
  }

  function assertNoCanary(snap: NetworkSnapshot, id: string): void {
    assert.deepEqual(snap.canaries.map((c) => `${c.kind}: ${c.text}`), [], `no script of ${id} ran (console, dialog, popup)`);
    assert.deepEqual(snap.requests.filter((r) => r.url.includes(CANARY_PATH)).map((r) => r.url), [], `no canary request from ${id}`);
  }

  async function closeEditors(): Promise<void> {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }

  /** Theme changes and images need a moment to reach the webview's frames before a screenshot. */
  async function settleFrames(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }

  async function shot(name: string): Promise<void> {
    const file = await takeScreenshot(name);
    log(`screenshot: ${file}`);
  }
});

function sameResource(request: TrackerRequest, url: string): boolean {
  const u = new URL(url);
  return request.host === u.host && request.path === `${u.pathname}${u.search}`;
}
