// The text of a link as a person sees it in the message frame, measured after layout, for the host's
// link check (linkPolicy.decideLink compares it with the DOM text and the real destination).
//
// A character counts only when it is clearly drawn: a box at least MIN_GLYPH_PX high, the topmost
// element at its centre is its own parent (not covered, clipped or scrolled away), and its parent
// is visible, opaque enough, not filtered or masked, and in a colour that stands out from the
// background. Characters are read in the order they appear on screen (line by line, left to right),
// so bidi overrides, flex `order` or positioning cannot reorder what the DOM says. Every doubt
// counts as hidden: the host then shows the real destination when the text looks like a host.
// Generated text (`content:`) is removed from mail CSS by the sanitizer, so every drawn character
// is in the DOM.

/** Glyphs smaller than this (font-size 0, 1px text) do not count as readable. */
const MIN_GLYPH_PX = 5;
/** Text whose opacity (with its ancestors') is below this is not readable. */
const MIN_OPACITY = 0.3;
/** WCAG contrast ratio below which text does not stand out from its background. */
const MIN_CONTRAST = 1.3;
/** Upper bound on characters measured (the host cuts link text at this length too). */
const MAX_CHARS = 2000;

interface Glyph {
  text: string;
  left: number;
  top: number;
  height: number;
}

export function visibleText(root: Element): string {
  const doc = root.ownerDocument;
  const win = doc.defaultView;
  if (!win) return '';
  const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
  const range = doc.createRange();
  const glyphs: Glyph[] = [];
  const shows = new Map<Element, boolean>();
  let measured = 0;
  for (let node = walker.nextNode(); node && measured < MAX_CHARS; node = walker.nextNode()) {
    const text = node as Text;
    const parent = text.parentElement;
    if (!parent) continue;
    let visible = shows.get(parent);
    if (visible === undefined) shows.set(parent, (visible = styleShows(parent, win)));
    for (let i = 0; i < text.data.length && measured < MAX_CHARS; measured++) {
      const length = (text.data.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      const ch = text.data.slice(i, i + length);
      range.setStart(text, i);
      range.setEnd(text, i + length);
      i += length;
      const rect = range.getBoundingClientRect();
      if (rect.width < 1) continue; // collapsed white space, zero-width and squeezed characters
      if (/\s/.test(ch)) {
        glyphs.push({ text: ' ', left: rect.left, top: rect.top, height: rect.height });
        continue;
      }
      if (!visible || rect.height < MIN_GLYPH_PX) continue;
      if (doc.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2) !== parent) continue;
      glyphs.push({ text: ch, left: rect.left, top: rect.top, height: rect.height });
    }
  }
  return inScreenOrder(glyphs);
}

/** Line by line (a glyph joins a line when its middle is within the line's first glyph's box), left to right. */
function inScreenOrder(glyphs: Glyph[]): string {
  const byTop = [...glyphs].sort((a, b) => a.top + a.height / 2 - (b.top + b.height / 2));
  const lines: Glyph[][] = [];
  for (const g of byTop) {
    const line = lines[lines.length - 1];
    const first = line?.[0];
    if (first && g.top + g.height / 2 < first.top + first.height) line.push(g);
    else lines.push([g]);
  }
  return lines
    .map((line) => line.sort((a, b) => a.left - b.left).map((g) => g.text).join(''))
    .join(' ')
    .replace(/ +/g, ' ')
    .trim();
}

/** Whether text in `element` is drawn readably, judging its own and its ancestors' styles up to the document. */
function styleShows(element: Element, win: Window): boolean {
  const own = win.getComputedStyle(element);
  if (own.visibility !== 'visible') return false;
  const colour = parseColour(own.color);
  if (!colour || colour[3] < MIN_OPACITY) return false;
  let opacity = 1;
  let background: number[] | undefined;
  let backgroundKnown = true;
  for (let e: Element | null = element; e; e = e.parentElement) {
    const style = e === element ? own : win.getComputedStyle(e);
    opacity *= Number(style.opacity) || 0;
    if (style.filter !== 'none' || style.mixBlendMode !== 'normal' || maskOf(style) !== 'none') return false;
    if (!background && backgroundKnown) {
      if (style.backgroundImage !== 'none') backgroundKnown = false; // a gradient or image under the text: cannot tell
      else {
        const bg = parseColour(style.backgroundColor);
        if (bg && bg[3] >= 0.99) background = bg;
      }
    }
  }
  if (opacity < MIN_OPACITY || !backgroundKnown) return false;
  return contrast(colour, background ?? [255, 255, 255, 1]) >= MIN_CONTRAST;
}

function maskOf(style: CSSStyleDeclaration): string {
  return style.getPropertyValue('mask-image') || style.getPropertyValue('-webkit-mask-image') || 'none';
}

/** `rgb(r, g, b)` / `rgba(r, g, b, a)` (how computed colours read) → [r, g, b, a]; undefined for anything else. */
function parseColour(value: string): number[] | undefined {
  const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(value.trim());
  if (!m) return undefined;
  const alpha = m[4] === undefined ? 1 : m[4].endsWith('%') ? Number(m[4].slice(0, -1)) / 100 : Number(m[4]);
  return [Number(m[1]), Number(m[2]), Number(m[3]), alpha];
}

function contrast(a: number[], b: number[]): number {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

function luminance([r, g, b]: number[]): number {
  const channel = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}
