// Writes a sanitized mail document into the message view's frame: the first screen at once, the
// rest when the page is idle. The frame is an about:blank iframe with sandbox="allow-same-origin"
// and no allow-scripts, attached before anything is written: its document inherits the view's CSP
// (as a srcdoc frame's would), the mail's own <meta> policy comes with the first part, and no
// script in it can run. document.write feeds the browser's own streaming parser, so the cut may
// fall anywhere (inside a table, a tag or a style sheet): the parser simply waits for the rest.
import { firstScreenCut } from './firstScreen';

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
