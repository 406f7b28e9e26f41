// A tiny HTTP service on 127.0.0.1 that lets the in-host suite look at the browser page:
//   POST /screenshot?name=<name>  -> writes test-results/<name>.png (whole workbench), 200 + its path
//   POST /webview-text            -> 200 + JSON [{url, text, visible}] of every rendered webview
//                                    (text includes nested mail frames: the message body)
//   POST /workbench-text          -> body: a CSS selector; 200 + JSON string[]: the innerText of each
//                                    matching element of the workbench page itself (tabs, tree rows)
//   POST /net/mark                -> 200 + JSON {mark}: the request/canary log position now
//   POST /net/since?mark=N[&settleMs=M] -> 200 + JSON NetworkSnapshot of what came after N, after
//                                    waiting up to M ms for pending requests to finish or fail
//   POST /net/control             -> body: JavaScript; evaluated in every message frame (mail
//                                    frames inside webviews, else the webview frame): the control
//                                    check that proves the canary detectors see a script that ran.
//                                    200 + JSON {frames: string[]}
//   POST /keyboard, /quick-input, /dialog-button -> typing, quick input and dialog buttons (input.ts)
//   POST /frame/links, /frame/click?index=N, /frame/eval -> the message frame as a person uses it
//                                    (frameClick.ts)
//   POST /popups/keep, /oauth/act -> the sign-in pages the workbench opens, filled and submitted as
//                                    a person would (oauthPages.ts)
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { networkLogOf } from './browser';
import { handleInput } from './input';
import { frameEndpoint } from './frameClick';
import { isMessageFrame, isWebviewContentFrame } from './webviewFrames';
import { oauthEndpoint } from './oauthPages';
import { errorText, log, onCleanup, withTimeout } from './proc';

export interface WebviewText {
  url: string;
  text: string;
  visible: boolean;
}

export interface BrowserService {
  url: string;
}

type PageGetter = () => Page | undefined;

export async function startBrowserService(resultsDir: string, getPage: PageGetter): Promise<BrowserService> {
  const server = http.createServer((req, res) => {
    void handle(req, resultsDir, getPage).then(
      (reply) => send(res, reply.status, reply.body, reply.type),
      (err: unknown) => send(res, 500, `error: ${errorText(err)}\n`, 'text/plain'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  onCleanup('browser service', () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const port = (server.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}` };
}

interface Reply {
  status: number;
  body: string;
  type: string;
}

/** Bodies are small (a script for /net/control); anything bigger is a mistake. */
const MAX_BODY_BYTES = 64 * 1024;
/** Upper bound for /net/since's wait for pending requests. */
const MAX_SETTLE_MS = 10_000;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy(new Error('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: http.IncomingMessage, resultsDir: string, getPage: PageGetter): Promise<Reply> {
  const body = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method !== 'POST') {
    return { status: 405, body: 'use POST\n', type: 'text/plain' };
  }
  const page = getPage();
  if (!page) {
    return { status: 503, body: 'the browser page is not open yet\n', type: 'text/plain' };
  }
  if (url.pathname === '/screenshot') {
    const file = await screenshot(page, resultsDir, url.searchParams.get('name') ?? 'screenshot');
    return { status: 200, body: file, type: 'text/plain' };
  }
  if (url.pathname === '/webview-text') {
    return { status: 200, body: JSON.stringify(await webviewTexts(page)), type: 'application/json' };
  }
  if (url.pathname === '/workbench-text') {
    if (!body.trim()) return { status: 400, body: 'POST a CSS selector as the body\n', type: 'text/plain' };
    const texts = await withTimeout(page.locator(body.trim()).allInnerTexts(), 5_000, 'reading workbench elements');
    return { status: 200, body: JSON.stringify(texts), type: 'application/json' };
  }
  if (url.pathname.startsWith('/net/')) {
    return network(page, url, body);
  }
  const netLog = networkLogOf(page);
  const oauth = netLog ? await oauthEndpoint(page, netLog, url.pathname, body, resultsDir) : undefined;
  if (oauth) return oauth;
  const input = await handleInput(page, url.pathname, url.searchParams, body);
  if (input) return input;
  const frameReply = await frameEndpoint(page, url, body);
  if (frameReply) {
    return frameReply;
  }
  return { status: 404, body: 'unknown endpoint\n', type: 'text/plain' };
}

async function network(page: Page, url: URL, body: string): Promise<Reply> {
  const netLog = networkLogOf(page);
  if (!netLog) {
    return { status: 503, body: 'no request log on this page\n', type: 'text/plain' };
  }
  const json = (value: unknown): Reply => ({ status: 200, body: JSON.stringify(value), type: 'application/json' });
  switch (url.pathname) {
    case '/net/mark':
      return json({ mark: netLog.mark() });
    case '/net/since': {
      const mark = Number(url.searchParams.get('mark') ?? 0);
      const settleMs = Math.min(Number(url.searchParams.get('settleMs') ?? 0) || 0, MAX_SETTLE_MS);
      const deadline = Date.now() + settleMs;
      while (Date.now() < deadline && netLog.since(mark).requests.some((r) => r.outcome === 'pending')) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return json(netLog.since(mark));
    }
    case '/net/control': {
      if (!body.trim()) return { status: 400, body: 'POST the script to evaluate as the body\n', type: 'text/plain' };
      return json({ frames: await evaluateInMessageFrames(page, body) });
    }
    default:
      return { status: 404, body: 'unknown endpoint\n', type: 'text/plain' };
  }
}

/**
 * Runs `script` in every message frame (the mail frames inside webview content frames; the content
 * frame itself when it has none). frame.evaluate goes through the DevTools protocol, so the frame's
 * CSP and sandbox do not stop it: this is how the control check makes a canary fire on purpose.
 */
async function evaluateInMessageFrames(page: Page, script: string): Promise<string[]> {
  const done: string[] = [];
  for (const frame of page.frames()) {
    if (!isWebviewContentFrame(frame)) continue;
    const nested = frame.childFrames().filter(isMessageFrame);
    for (const target of nested.length ? nested : [frame]) {
      await withTimeout(target.evaluate(script), 5_000, 'evaluating in a message frame');
      done.push(nested.length ? `${frame.url()} > message frame` : target.url());
    }
  }
  return done;
}

function send(res: http.ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
  res.end(body);
}

/** Screenshot of the whole workbench; the name is reduced to a safe file name. */
async function screenshot(page: Page, resultsDir: string, name: string): Promise<string> {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '').slice(0, 100) || 'screenshot';
  const file = path.join(resultsDir, `${safe}.png`);
  await page.screenshot({ path: file, timeout: 30_000 });
  log(`screenshot ${path.relative(process.cwd(), file)}`);
  return file;
}

/**
 * The text of every webview content frame. A webview is an iframe (pre/index.html) whose child
 * iframe with id "active-frame" (pre/fake.html) holds the extension's HTML.
 */
export async function webviewTexts(page: Page): Promise<WebviewText[]> {
  const results: WebviewText[] = [];
  for (const frame of page.frames()) {
    if (!isWebviewContentFrame(frame)) {
      continue;
    }
    const entry = await withTimeout(readFrame(frame), 5_000, 'reading a webview frame').catch(() => undefined);
    if (entry) {
      results.push(entry);
    }
  }
  return results;
}

async function readFrame(frame: Frame): Promise<WebviewText | undefined> {
  const element = await frame.frameElement();
  try {
    const id = await element.getAttribute('id');
    if (id !== 'active-frame') {
      return undefined; // A pending frame that has not replaced the active one yet.
    }
    const box = await element.boundingBox();
    let text = String(await frame.evaluate('document.body ? document.body.innerText : ""'));
    // The message itself may be in a sandboxed frame, whose text innerText leaves out.
    for (const child of frame.childFrames()) {
      if (!isMessageFrame(child)) continue;
      const inner = await withTimeout(child.evaluate('document.body ? document.body.innerText : ""'), 5_000, 'reading a message frame').catch(() => '');
      text += `\n${String(inner)}`;
    }
    return { url: frame.url(), text, visible: box !== null && box.width > 0 && box.height > 0 };
  } finally {
    await element.dispose();
  }
}
