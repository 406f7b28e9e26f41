// The message frame as a person uses it, for the in-host suite (through service.ts):
//   POST /frame/links           -> 200 + JSON [{index, href, text}]: the links (a[href]) in the message frame
//   POST /frame/click?index=N   -> clicks link N with the mouse at its box, as a person would (Playwright
//                                  scrolls it into view, waits until it is visible and would receive the
//                                  click, then presses and releases the mouse there). 200 + JSON {index}
//   POST /frame/eval            -> body: a JavaScript expression; 200 + JSON {value} of it in the message frame
//   POST /frame/shell-click     -> body: a button's accessible name; clicks that button of the message
//                                  webview's own page (not the mail's frame) with the mouse. 200 + JSON {name}
//   POST /frame/shell-fill      -> body: JSON {label, text}; types text into the field with that label on the
//                                  webview's own page, as a person would. 200 + JSON {label}
//   POST /frame/landmarks       -> 200 + JSON [{landmarks, focusable, unnamedButtons, lang}] of each webview on
//                                  screen (its own page, not the mail inside): what a screen reader lists and
//                                  what Tab reaches
// The message frame is the mail frame inside the visible webview. Kept apart from service.ts so
// other endpoints can be added there without touching this.
import type { Frame, Page } from 'playwright-core';
import { withTimeout } from './proc';
import { isMessageFrame, isWebviewContentFrame } from './webviewFrames';

export interface FrameLink {
  index: number;
  href: string;
  text: string;
}

interface Reply {
  status: number;
  body: string;
  type: string;
}

const CLICK_TIMEOUT_MS = 10_000;

/** Handles /frame/…; undefined for other paths. */
export async function frameEndpoint(page: Page, url: URL, body: string): Promise<Reply | undefined> {
  if (!url.pathname.startsWith('/frame/')) return undefined;
  if (url.pathname === '/frame/shell-click' || url.pathname === '/frame/shell-fill') return shellEndpoint(page, url, body);
  if (url.pathname === '/frame/landmarks') {
    const pages: unknown[] = [];
    for (const shell of await visibleWebviews(page)) {
      pages.push(await withTimeout(shell.evaluate(LANDMARKS_SCRIPT), 5_000, 'reading the landmarks of a webview'));
    }
    return { status: 200, body: JSON.stringify(pages), type: 'application/json' };
  }
  const frame = await messageFrame(page);
  if (!frame) return { status: 404, body: 'no message frame is showing\n', type: 'text/plain' };
  const json = (value: unknown): Reply => ({ status: 200, body: JSON.stringify(value), type: 'application/json' });
  switch (url.pathname) {
    case '/frame/links': {
      const links = (await withTimeout(
        frame.evaluate(`[...document.querySelectorAll('a[href]')].map((a, index) => ({ index, href: a.getAttribute('href'), text: a.textContent }))`),
        5_000,
        'listing the links of the message frame',
      )) as FrameLink[];
      return json(links);
    }
    case '/frame/click': {
      const index = Number(url.searchParams.get('index'));
      if (!Number.isSafeInteger(index) || index < 0) return { status: 400, body: 'index=N (0-based) is required\n', type: 'text/plain' };
      await frame.locator('a[href]').nth(index).click({ timeout: CLICK_TIMEOUT_MS });
      return json({ index });
    }
    case '/frame/eval':
      if (!body.trim()) return { status: 400, body: 'POST the expression to evaluate as the body\n', type: 'text/plain' };
      return json({ value: await withTimeout(frame.evaluate(body), 5_000, 'evaluating in the message frame') });
    default:
      return { status: 404, body: 'unknown endpoint\n', type: 'text/plain' };
  }
}

/**
 * Landmarks (main, nav, header/region with their accessible names) and the elements Tab reaches, in
 * document order, of a webview page: evaluated in the page, so it reads what a screen reader reads.
 */
const LANDMARKS_SCRIPT = `(() => {
  const name = (e) => e.getAttribute('aria-label') || (e.getAttribute('aria-labelledby') ? (document.getElementById(e.getAttribute('aria-labelledby'))?.textContent ?? '') : '');
  const landmarks = [...document.querySelectorAll('main, nav, [role=region], section[aria-label], section[aria-labelledby], header[aria-label]')]
    .map((e) => ({ role: e.getAttribute('role') || (e.tagName === 'MAIN' ? 'main' : e.tagName === 'NAV' ? 'navigation' : 'region'), name: name(e).trim() }));
  const focusable = [...document.querySelectorAll('a[href], button:not([disabled]), summary, iframe, [tabindex]')]
    .filter((e) => e.tabIndex >= 0)
    .map((e) => (e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent || e.tagName).trim().slice(0, 60));
  const unnamedButtons = [...document.querySelectorAll('button')].filter((b) => !(b.getAttribute('aria-label') || b.textContent || '').trim()).length;
  return { landmarks, focusable, unnamedButtons, lang: document.documentElement.lang };
})()`;

/** The webview page's own controls (the invitation card's buttons and comment field). */
async function shellEndpoint(page: Page, url: URL, body: string): Promise<Reply> {
  const shells = await visibleWebviews(page);
  const json = (value: unknown): Reply => ({ status: 200, body: JSON.stringify(value), type: 'application/json' });
  if (url.pathname === '/frame/shell-click') {
    const name = body.trim();
    if (!name) return { status: 400, body: 'POST the button’s name as the body\n', type: 'text/plain' };
    for (const shell of shells) {
      const button = shell.getByRole('button', { name, exact: true });
      if ((await button.count()) !== 1) continue;
      await button.click({ timeout: CLICK_TIMEOUT_MS });
      return json({ name });
    }
    return { status: 404, body: `no button “${name}” on a webview on screen\n`, type: 'text/plain' };
  }
  const { label, text } = JSON.parse(body || '{}') as { label?: string; text?: string };
  if (!label || typeof text !== 'string') return { status: 400, body: 'POST {"label", "text"} as the body\n', type: 'text/plain' };
  for (const shell of shells) {
    const field = shell.getByLabel(label, { exact: true });
    if ((await field.count()) !== 1) continue;
    await field.click({ timeout: CLICK_TIMEOUT_MS });
    await field.pressSequentially(text, { timeout: CLICK_TIMEOUT_MS });
    return json({ label });
  }
  return { status: 404, body: `no field labelled “${label}” on a webview on screen\n`, type: 'text/plain' };
}

/** The content frames of the webviews on screen (the active frame of each visible webview). */
async function visibleWebviews(page: Page): Promise<Frame[]> {
  const found: Frame[] = [];
  for (const webview of page.frames()) {
    if (!isWebviewContentFrame(webview)) continue;
    const element = await webview.frameElement();
    try {
      const box = await element.boundingBox();
      if ((await element.getAttribute('id')) !== 'active-frame' || !box || box.width === 0 || box.height === 0) continue;
    } finally {
      await element.dispose();
    }
    found.push(webview);
  }
  return found;
}

/** The mail frame of the webview that is on screen (the one message panel a test has open). */
async function messageFrame(page: Page): Promise<Frame | undefined> {
  for (const webview of await visibleWebviews(page)) {
    const frame = webview.childFrames().find(isMessageFrame);
    if (frame) return frame;
  }
  return undefined;
}
