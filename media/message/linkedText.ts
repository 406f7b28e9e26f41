// Plain text with its URLs made links, for the message view and the conversation view alike.
import { el } from '../shared/dom';
import { linkify } from './textBlocks';

/** A <pre> of `text` whose URLs are links; a click calls `open` (the host's link check) instead of navigating. */
export function textWithLinks(text: string, open: (href: string, text: string) => void): HTMLElement {
  const pre = el('pre', {});
  for (const segment of linkify(text)) {
    if (segment.kind === 'text') {
      pre.append(document.createTextNode(segment.text));
      continue;
    }
    const a = el('a', { href: segment.href }, segment.text);
    a.addEventListener('click', (event) => {
      event.preventDefault();
      open(segment.href, segment.text);
    });
    pre.append(a);
  }
  return pre;
}
