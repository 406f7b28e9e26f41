// The mail frame's links and forms, for every view that shows a sanitized mail in a sandboxed frame.
import { visibleText } from './visibleText';

/** A link clicked in the mail: where it goes, its text, and the text a person sees on it. */
export interface FrameLink {
  href: string;
  text: string;
  shown: string;
}

/**
 * Links never navigate the frame and forms never submit: a click on a link calls `open` (the host
 * shows where it really goes, then opens the browser).
 */
export function catchLinks(doc: Document, open: (link: FrameLink) => void): void {
  doc.addEventListener('click', (event) => {
    // The target belongs to the frame's realm: `instanceof Element` (this realm's Element) is false for it.
    const target = event.target as Partial<Element> | null;
    const anchor = typeof target?.closest === 'function' ? target.closest('a[href]') : null;
    if (!anchor) return;
    event.preventDefault();
    open({ href: anchor.getAttribute('href') ?? '', text: (anchor.textContent ?? '').trim(), shown: visibleText(anchor) });
  }, true);
  doc.addEventListener('submit', (event) => event.preventDefault(), true);
}
