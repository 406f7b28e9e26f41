// Helpers for tests that run inside the extension host. The code-server runner provides
// MAILROOM_SCREENSHOT_URL (screenshots, webview text) and MAILROOM_FIXTURE_INFO (mail servers);
// under desktop test-cli only MAILROOM_FIXTURE_INFO is set and the browser helpers are no-ops.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { format } from 'node:util';
import { ImapFlow } from 'imapflow';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountRequest } from '../../../src/providers/commands/accountCommands';
import { FixtureInfo, readFixtureInfo } from '../../fixtures/info';
import type { MailUser } from '../../fixtures/seed';
import type { TrackerRequest } from '../../fixtures/trackerServer';
import type { NetworkSnapshot, RequestEntry } from '../runners/browser';

export type { NetworkSnapshot, RequestEntry, TrackerRequest };

export type { FixtureInfo };

export interface WebviewText {
  url: string;
  text: string;
  /** Whether the frame has a non-empty box on screen (the runner adds it). */
  visible?: boolean;
}

const SERVICE_TIMEOUT_MS = 60_000;

/** Screenshot of the whole workbench as test-results/<name>.png; resolves with its path once written. */
export async function takeScreenshot(name: string): Promise<string | undefined> {
  const base = process.env.MAILROOM_SCREENSHOT_URL;
  if (!base) {
    return undefined;
  }
  return post(`${base}/screenshot?name=${encodeURIComponent(name)}`);
}

/** The text a person sees in each rendered webview (undefined outside the code-server runner). */
export async function webviewTexts(): Promise<WebviewText[] | undefined> {
  const base = process.env.MAILROOM_SCREENSHOT_URL;
  if (!base) {
    return undefined;
  }
  return JSON.parse(await post(`${base}/webview-text`)) as WebviewText[];
}

/**
 * The innerText of every element of the workbench page (not inside webviews) matching a CSS selector,
 * e.g. `.tabs-container .tab` or `.monaco-list-row`: what the tab bar and the tree draw (undefined
 * outside the code-server runner).
 */
export async function workbenchTexts(selector: string): Promise<string[] | undefined> {
  const base = process.env.MAILROOM_SCREENSHOT_URL;
  if (!base) {
    return undefined;
  }
  return JSON.parse(await post(`${base}/workbench-text`, selector)) as string[];
}

/** Reads (and validates) the fixture info JSON named by MAILROOM_FIXTURE_INFO. */
/** Activates Mailroom (the extension under test) and returns the API its activate() gives tests. */
export async function activateMailroom(): Promise<MailroomApi> {
  const extension = vscode.extensions.getExtension<MailroomApi>('mailroom.mailroom');
  assert.ok(extension, 'the extension is loaded');
  return extension.activate();
}

export function fixtureInfo(): FixtureInfo {
  const file = process.env.MAILROOM_FIXTURE_INFO;
  if (!file) {
    throw new Error('MAILROOM_FIXTURE_INFO is not set: run the suite through a runner that starts the mail fixture');
  }
  return readFixtureInfo(file);
}

/** Add Account's request for a fixture user over IMAPS, trusting the fixture's certificate. */
export function imapsAccount(fixture: FixtureInfo, user: MailUser, id: string, label: string): AddAccountRequest {
  return {
    id,
    label,
    protocol: 'imap',
    host: fixture.host,
    port: fixture.ports.imaps,
    security: 'tls',
    user: user.user,
    password: user.password,
    trustedCertificateSha256: fixture.certSha256,
  };
}

/** A plain imapflow client for a fixture user: "another device" that checks the server's state (the shared fixture, or a suite's own Dovecot). */
export async function otherImapClient(fixture: Pick<FixtureInfo, 'host'> & { ports: { imaps: number } }, user: MailUser): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: fixture.host,
    port: fixture.ports.imaps,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
  client.on('error', (err: Error) => log(`second client (${user.user}): ${err.message}`));
  await client.connect();
  return client;
}

/**
 * Leaves a user's mailbox as a reply test found it: the original without \Answered and the Sent
 * copies of the replies (by Message-ID) gone. Logs instead of failing: it runs in `after` hooks.
 */
export async function undoReplies(client: ImapFlow, originalUid: number, sentMessageIds: readonly string[]): Promise<void> {
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      await client.messageFlagsRemove(String(originalUid), ['\\Answered'], { uid: true });
    } finally {
      lock.release();
    }
    const sentLock = await client.getMailboxLock('Sent');
    try {
      for (const id of sentMessageIds) {
        const uids = await client.search({ header: { 'message-id': id } }, { uid: true });
        if (uids && uids.length) await client.messageDelete(uids.join(','), { uid: true });
      }
    } finally {
      sentLock.release();
    }
  } catch (err) {
    log(`cleanup of the fixture failed: ${String(err)}`);
  }
}

/** Stops or restarts the fixture's Dovecot (an outage on demand); needs the fixture's control endpoint. */
export function dovecotControl(action: 'stop' | 'start'): Promise<void> {
  return fixtureControl(`/dovecot/${action}`);
}

/** Ends every access token (`expire`) or every grant, refresh tokens included (`revoke`), on the fixture's authorization server. */
export function oauthControl(action: 'expire' | 'revoke'): Promise<void> {
  return fixtureControl(`/oauth/${action}`);
}

/** Fills user "big"'s INBOX with 100,000 messages (once per fixture; later calls return at once); answers the count. */
export async function seedBigMailbox(): Promise<number> {
  const control = fixtureInfo().control;
  if (!control) throw new Error('the fixture has no control endpoint (started by an older fixture CLI?)');
  return Number((await post(`${control}/seed/big`, undefined, 240_000)).trim());
}

/** POSTs to the fixture process's control endpoint (test/fixtures/cli.ts startControl). */
async function fixtureControl(pathname: string): Promise<void> {
  const control = fixtureInfo().control;
  if (!control) throw new Error('the fixture has no control endpoint (started by an older fixture CLI?)');
  await post(`${control}${pathname}`);
}

/**
 * console.log that also reaches the runner's stdout (via MAILROOM_TEST_LOG). Plain console.log in
 * the extension host only ends up in test-results/browser-console.log and workbench.log.
 */
export function log(...args: unknown[]): void {
  const text = format(...args);
  console.log(text);
  const file = process.env.MAILROOM_TEST_LOG;
  if (file) {
    fs.appendFileSync(file, `      ${text.replace(/\n/g, '\n      ')}\n`);
  }
}

/** Polls fn (every 100 ms) until it returns something truthy; fails with `what` after timeoutMs. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) {
        return value as NonNullable<T>;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A message panel's render report, with the fields the HTML view adds (optional until every view sends them). */
export interface ViewReport {
  panelKey: string;
  subject: string;
  textLength: number;
  mode?: 'html' | 'text';
  remoteBlocked?: number;
  remoteAllowed?: boolean;
}

/** Whether the runner's browser service is there (code-server runner): request log, screenshots. */
export function hasBrowserService(): boolean {
  return Boolean(process.env.MAILROOM_SCREENSHOT_URL);
}

function serviceUrl(): string {
  const base = process.env.MAILROOM_SCREENSHOT_URL;
  if (!base) throw new Error('MAILROOM_SCREENSHOT_URL is not set: the request log needs the code-server runner');
  return base;
}

/** The position of the browser's request/canary log now; pass it to networkSince. */
export async function networkMark(): Promise<number> {
  return (JSON.parse(await post(`${serviceUrl()}/net/mark`)) as { mark: number }).mark;
}

/** Requests and canaries the browser saw after `mark`, once pending requests settled (up to settleMs). */
export async function networkSince(mark: number, settleMs = 2_000): Promise<NetworkSnapshot> {
  return JSON.parse(await post(`${serviceUrl()}/net/since?mark=${mark}&settleMs=${settleMs}`)) as NetworkSnapshot;
}

/** Control check: the runner evaluates `script` inside every message frame; resolves with the frames. */
export async function evaluateInMessageFrames(script: string): Promise<string[]> {
  return (JSON.parse(await post(`${serviceUrl()}/net/control`, script)) as { frames: string[] }).frames;
}

/** A link in the message frame (the runner lists `a[href]` in document order). */
export interface FrameLink {
  index: number;
  href: string;
  text: string;
}

/** The links of the message frame on screen. */
export async function messageFrameLinks(): Promise<FrameLink[]> {
  return JSON.parse(await post(`${serviceUrl()}/frame/links`)) as FrameLink[];
}

/** Clicks link `index` of the message frame with the mouse, as a person would. */
export async function clickMessageLink(index: number): Promise<void> {
  await post(`${serviceUrl()}/frame/click?index=${index}`);
}

/** Clicks the button named `name` on the message webview's own page (not in the mail), with the mouse. */
export async function clickWebviewButton(name: string): Promise<void> {
  await post(`${serviceUrl()}/frame/shell-click`, name);
}

/** Types `text` into the field labelled `label` on the message webview's own page. */
export async function typeIntoWebviewField(label: string, text: string): Promise<void> {
  await post(`${serviceUrl()}/frame/shell-fill`, JSON.stringify({ label, text }));
}

/** The value of a JavaScript expression evaluated in the message frame on screen. */
export async function evaluateInMessageFrame<T>(expression: string): Promise<T> {
  return (JSON.parse(await post(`${serviceUrl()}/frame/eval`, expression)) as { value: T }).value;
}

/** What a screen reader lists in the webview on screen, and what Tab reaches there (the runner reads its DOM). */
export interface WebviewLandmarks {
  landmarks: Array<{ role: string; name: string }>;
  focusable: string[];
  unnamedButtons: number;
  lang: string;
}

/** Each webview on screen, read by the runner: the one a test means is found by what it shows. */
export async function webviewLandmarks(): Promise<WebviewLandmarks[]> {
  return JSON.parse(await post(`${serviceUrl()}/frame/landmarks`)) as WebviewLandmarks[];
}

/** The fixture's tracker server log (every request that reached a corpus host). */
export async function trackerRequests(): Promise<TrackerRequest[]> {
  return JSON.parse(await post(`${controlUrl()}/tracker/requests`)) as TrackerRequest[];
}

export async function clearTrackerRequests(): Promise<void> {
  await post(`${controlUrl()}/tracker/clear`);
}

function controlUrl(): string {
  const control = fixtureInfo().control;
  if (!control) throw new Error('the fixture has no control endpoint');
  return control;
}

/** POSTs to the runner's browser service or the fixture's control endpoint; 200's body, else throws. */
export function post(url: string, body?: string, timeoutMs = SERVICE_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) {
          resolve(body);
        } else {
          reject(new Error(`${url} answered ${res.statusCode}: ${body.trim()}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
