// The frame a sanitized mail is drawn in, for the message view and the conversation view: the
// first screen is written at once, the rest when the page is idle. The frame is an about:blank
// iframe with sandbox="allow-same-origin" and no allow-scripts, attached before anything is
// written: its document inherits the view's CSP (as a srcdoc frame's would), the mail's own <meta>
// policy comes with the first part, and no script in it can run. document.write feeds the
// browser's own streaming parser, so the cut may fall anywhere (inside a table, a tag or a style
// sheet): the parser simply waits for the rest.
import { el } from '../shared/dom';
import { firstScreenCut } from './firstScreen';

/**
 * The frame never grows past this: mail taller than that scrolls inside it. (Chromium cannot lay
 * out boxes of millions of pixels, and no message needs them.)
 */
const MAX_FRAME_HEIGHT = 50_000;

/**
 * The frame a mail is drawn in: same origin (so the view can write the mail in, catch link clicks
 * and measure it), but no scripts, popups, forms or navigation for what is inside.
 */
export function mailFrameElement(title: string): HTMLIFrameElement {
  const frame = el('iframe', { className: 'paper', title });
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.setAttribute('referrerpolicy', 'no-referrer');
  return frame;
}

export interface MailFrameWriter {
  /** The first screen is in the frame's document (parsed, not yet laid out). */
  onFirstScreen(doc: Document): void;
}

/**
 * Writes `html` into `frame`, which must be connected. Returns false when the frame has no
 * document to write into (then nothing was written). A frame replaced or removed before the
 * page is idle never gets the rest.
 */
export function writeMailFrame(frame: HTMLIFrameElement, html: string, writer: MailFrameWriter): boolean {
  const doc = frame.contentDocument;
  if (!doc) return false;
  const cut = firstScreenCut(html);
  // open() drops the document's listeners: whoever listens attaches in onFirstScreen, after it.
  doc.open();
  doc.write(html.slice(0, cut));
  if (cut >= html.length) doc.close();
  writer.onFirstScreen(doc);
  if (cut < html.length) {
    const rest = (): void => {
      if (!frame.isConnected || frame.contentDocument !== doc) return;
      doc.write(html.slice(cut));
      doc.close();
    };
    // Idle: after the first screen is painted and the view's report has left, within 200 ms at worst.
    requestIdleCallback(rest, { timeout: 200 });
  }
  return true;
}

/**
 * Gives the frame the height of its document, now and whenever that changes (the rest written,
 * images settling); returns the observer, for a caller that redraws to disconnect. The height
 * comes from a layout at height 0, which mail CSS cannot tie to the frame's own height (100vh,
 * height:100%): measuring at the current height would grow the frame on every resize.
 */
export function fitToContent(frame: HTMLIFrameElement, doc: Document): ResizeObserver {
  const fit = (): void => {
    const scroller = document.scrollingElement;
    const scrollTop = scroller?.scrollTop ?? 0;
    frame.style.height = '0px';
    const content = doc.documentElement.scrollHeight;
    frame.style.height = `${Math.min(Math.max(content, 40), MAX_FRAME_HEIGHT)}px`;
    if (scroller) scroller.scrollTop = scrollTop;
  };
  fit();
  const observer = new ResizeObserver(fit);
  observer.observe(doc.documentElement);
  doc.addEventListener('load', fit, true);
  doc.addEventListener('error', fit, true);
  return observer;
}
