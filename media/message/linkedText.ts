// Plain text with its URLs made links, for the message view and the conversation view alike.
import * as l10n from '@vscode/l10n';
import { el } from '../shared/dom';
import { linkify, TextBlock } from './textBlocks';

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

/** Plain text with its quoted parts as folding <details> (long quotes start folded), URLs as links. */
export function appendQuotedText(parent: HTMLElement, blocks: TextBlock[], open: (href: string, text: string) => void): void {
  for (const block of blocks) {
    if (block.kind === 'text') {
      parent.append(textWithLinks(block.text, open));
      continue;
    }
    const details = el('details', { className: 'quote', open: !block.collapsed });
    details.append(el('summary', {}, block.collapsed ? l10n.t('Quoted text ({0} lines)', block.lineCount) : l10n.t('Quoted text')));
    const inner = el('div', { className: 'quote-body' });
    appendQuotedText(inner, block.blocks, open);
    details.append(inner);
    parent.append(details);
  }
}
