// The in-host half of the `view.openHtml50k` benchmark (bench/suites/viewOpen.ts): opens a 50 KB
// HTML message (body already cached) and times `mailroom.openMessage` → render report (the first
// screen of the mail drawn; the view writes the rest when idle), against
// mailparser's own simpleParser on the same bytes in this same extension host. In the normal test
// run it opens the message twice and checks what it shows (no timing assertions); with
// MAILROOM_BENCH_OUT set it takes MAILROOM_BENCH_SAMPLES samples (default 10) and writes them there.
// Uses fixture user "xss", folder "Bench50k", account "xss-bench".
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import * as vscode from 'vscode';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { MailroomApi } from '../../../src/providers/api';
import type { AccountNode, FolderNode, MessageNode } from '../../../src/providers/tree/nodes';
import { buildLargeHtmlMessage, CorpusMessage } from '../../fixtures/xssCorpus';
import { activateMailroom, fixtureInfo, hasBrowserService, imapsAccount, log, otherImapClient, ViewReport, waitFor, webviewTexts } from './harness';
import { median } from '../../../bench/report';

const ACCOUNT_ID = 'xss-bench';
const FOLDER = 'Bench50k';

/** What the bench suite reads back. */
export interface ViewOpenSamples {
  bytes: number;
  openMs: number[];
  parseMs: number[];
  /** A bare webview panel (one script that says ready): the workbench's own floor, for context. */
  blankMs: number[];
}

/** Creates a webview panel whose only script posts 'ready', and times creation → that message. */
async function blankWebviewMs(): Promise<number> {
  const t0 = performance.now();
  const panel = vscode.window.createWebviewPanel('mailroom.benchBlank', 'blank', vscode.ViewColumn.Active, { enableScripts: true });
  try {
    const ready = new Promise<void>((resolve) => panel.webview.onDidReceiveMessage(() => resolve()));
    const nonce = 'b' + Math.random().toString(36).slice(2);
    panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'"></head><body>blank<script nonce="${nonce}">acquireVsCodeApi().postMessage('ready')</script></body></html>`;
    await ready;
    return performance.now() - t0;
  } finally {
    panel.dispose();
  }
}

describe('view.openHtml50k: opening a 50 KB HTML message', function () {
  this.timeout(300_000);
  let api: MailroomApi;
  let other: ImapFlow | undefined;
  let message: CorpusMessage;
  let node: MessageNode;

  before(async () => {
    const fixture = fixtureInfo();
    const user = fixture.users.xss;
    assert.ok(user && fixture.tracker, 'the fixture CLI provides user "xss" and the tracker server');
    message = buildLargeHtmlMessage(fixture.tracker.port);
    other = await otherImapClient(fixture, user);
    await other.mailboxDelete(FOLDER).catch(() => undefined);
    await other.mailboxCreate(FOLDER);
    await other.append(FOLDER, message.raw, ['\\Seen']);
    api = await activateMailroom();
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, user, ACCOUNT_ID, 'View bench'));
    assert.equal(result.saved, true, JSON.stringify(result));
    const account = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n): n is AccountNode => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the bench account');
    const folder = await waitFor(async () => (await api.treeModel.getChildren(account)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === FOLDER), FOLDER);
    node = await waitFor(async () => (await api.treeModel.getChildren(api.treeModel.findFolder(ACCOUNT_ID, FOLDER) ?? folder)).find((n): n is MessageNode => n.kind === 'message'), 'the 50 KB message');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (api) await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await other?.mailboxDelete(FOLDER).catch(() => undefined);
    await other?.logout().catch(() => undefined);
  });

  it('renders the 50 KB HTML message as HTML with its text (and times it for the benchmark)', async () => {
    assert.ok(message.raw.length >= 50 * 1024, `the message is ${message.raw.length} bytes`);
    const out = process.env.MAILROOM_BENCH_OUT;
    const samples = out ? Math.max(3, Number(process.env.MAILROOM_BENCH_SAMPLES ?? 10)) : 2;

    // First open: loads the body into the cache; not timed.
    const first = await openTimed();
    assert.equal(first.report.mode, 'html', 'rendered in html mode');
    assert.ok(first.report.textLength > 0);
    if (hasBrowserService()) {
      // The view writes the first screen, then the rest when idle: the last row must arrive too.
      const lastItem = [...message.html.matchAll(/>(Item \d+)</g)].at(-1)?.[1];
      assert.ok(lastItem && message.html.indexOf(lastItem) > 16 * 1024, `the last row (${lastItem}) is well past the first screen`);
      await waitFor(async () => (await webviewTexts())?.some((w) => w.visible && w.text.includes(message.expectedText) && new RegExp(`\\b${lastItem}\\b`).test(w.text)), 'the HTML text in the view, to its last row');
    }
    await close();

    // The message and the bare webview alternate, so a load that comes and goes on the machine
    // weighs on both sides alike.
    const openMs: number[] = [];
    const blankMs: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { ms, report } = await openTimed();
      assert.equal(report.mode, 'html');
      openMs.push(ms);
      await close();
      blankMs.push(await blankWebviewMs());
    }
    const parseMs: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const parsed = await simpleParser(message.raw);
      parseMs.push(performance.now() - t0);
      assert.ok(typeof parsed.html === 'string' && parsed.html.includes(message.expectedText));
    }
    log(`view.openHtml50k: open median ${median(openMs).toFixed(1)} ms, simpleParser median ${median(parseMs).toFixed(1)} ms, bare webview median ${median(blankMs).toFixed(1)} ms (${samples} samples)`);
    if (out) {
      const result: ViewOpenSamples = { bytes: message.raw.length, openMs, parseMs, blankMs };
      fs.writeFileSync(out, JSON.stringify(result));
    }
  });

  async function openTimed(): Promise<{ ms: number; report: ViewReport }> {
    const rendered = new Promise<ViewReport>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error('no render report within 30 s'));
      }, 30_000);
      const sub = api.panels.onDidRender((report) => {
        if (report.panelKey !== node.id) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(report as ViewReport);
      });
    });
    const t0 = performance.now();
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    const report = await rendered;
    return { ms: performance.now() - t0, report };
  }

  async function close(): Promise<void> {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor(() => api.panels.openPanelCount === 0, 'the panel to close');
  }
});
