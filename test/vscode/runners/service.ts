// A tiny HTTP service on 127.0.0.1 that lets the in-host suite look at the browser page:
//   POST /screenshot?name=<name>  -> writes test-results/<name>.png (whole workbench), 200 + its path
//   POST /webview-text            -> 200 + JSON [{url, text, visible}] of every rendered webview
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
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

async function handle(req: http.IncomingMessage, resultsDir: string, getPage: PageGetter): Promise<Reply> {
  req.resume();
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
  return { status: 404, body: 'unknown endpoint\n', type: 'text/plain' };
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

function isWebviewContentFrame(frame: Frame): boolean {
  const parent = frame.parentFrame();
  return parent !== null && /\/webview\/browser\/pre\/index\.html/.test(parent.url()) && frame.url() !== 'about:blank';
}

async function readFrame(frame: Frame): Promise<WebviewText | undefined> {
  const element = await frame.frameElement();
  try {
    const id = await element.getAttribute('id');
    if (id !== 'active-frame') {
      return undefined; // A pending frame that has not replaced the active one yet.
    }
    const box = await element.boundingBox();
    const text = String(await frame.evaluate('document.body ? document.body.innerText : ""'));
    return { url: frame.url(), text, visible: box !== null && box.width > 0 && box.height > 0 };
  } finally {
    await element.dispose();
  }
}
