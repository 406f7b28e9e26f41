// Which Playwright frame is which in a code-server workbench: VS Code hosts each webview in an
// iframe (pre/index.html) inside the workbench page, which draws the extension's page in a content
// iframe; the message and conversation views draw each mail in a sandboxed iframe inside that page
// (about:blank, written by the page). The content frame's document is written by the host
// frame and a mail frame's by the content frame, so both report the host page's URL: a frame is
// told by its place in the tree, not by its own URL.
import type { Frame } from 'playwright-core';

const WEBVIEW_HOST_PAGE = /\/webview\/browser\/pre\/index\.html/;

/** The frame VS Code hosts one webview in (its parent is no webview frame). */
export function isWebviewHostFrame(frame: Frame): boolean {
  const parent = frame.parentFrame();
  return WEBVIEW_HOST_PAGE.test(frame.url()) && !(parent && WEBVIEW_HOST_PAGE.test(parent.url()));
}

/** The frame with the extension's own page (not the blank one VS Code keeps before the first page). */
export function isWebviewContentFrame(frame: Frame): boolean {
  const parent = frame.parentFrame();
  return parent !== null && isWebviewHostFrame(parent) && frame.url() !== 'about:blank';
}

/** A mail drawn inside an extension page (the only frames those pages make). */
export function isMessageFrame(frame: Frame): boolean {
  const parent = frame.parentFrame();
  return parent !== null && isWebviewContentFrame(parent);
}
