// Pure text logic for plain-text mail (no DOM, unit-tested in plain Node): quoted `>` runs become
// nested blocks, URLs become link segments. The webview turns the result into DOM elements.

export type TextBlock =
  | { kind: 'text'; text: string }
  /** A run of `>` lines with one level of `>` removed; `blocks` holds what was quoted. */
  | { kind: 'quote'; lineCount: number; collapsed: boolean; blocks: TextBlock[] };

export type TextSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** Quotes longer than this many lines start collapsed. */
export const COLLAPSE_QUOTE_LINES = 12;
/** Deeper quoting is shown as text: nesting is bounded so hostile input cannot build a huge DOM tree. */
export const MAX_QUOTE_DEPTH = 8;

const QUOTE_LINE = /^ ?>/;

export function quoteBlocks(text: string, depth = 0): TextBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: TextBlock[] = [];
  let plain: string[] = [];
  let quoted: string[] = [];
  const flushPlain = (): void => {
    if (plain.length) blocks.push({ kind: 'text', text: plain.join('\n') });
    plain = [];
  };
  const flushQuote = (): void => {
    if (!quoted.length) return;
    const inner = quoted.map((l) => l.replace(/^ ?> ?/, '')).join('\n');
    blocks.push({ kind: 'quote', lineCount: quoted.length, collapsed: quoted.length > COLLAPSE_QUOTE_LINES, blocks: quoteBlocks(inner, depth + 1) });
    quoted = [];
  };
  for (const line of lines) {
    if (depth < MAX_QUOTE_DEPTH && QUOTE_LINE.test(line)) {
      flushPlain();
      quoted.push(line);
    } else {
      flushQuote();
      plain.push(line);
    }
  }
  flushQuote();
  flushPlain();
  return blocks;
}

/** http(s) URLs, `www.` hosts and mailto: addresses; stops at whitespace, quotes and angle brackets. */
const URL_PATTERN = /\b(?:https?:\/\/|www\.|mailto:)[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the URL. */
const TRAILING = /[.,;:!?)\]}]+$/;

export function linkify(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let raw = match[0];
    const start = match.index ?? 0;
    const trail = TRAILING.exec(raw);
    // Keep a closing parenthesis that belongs to the URL (Wikipedia-style links).
    if (trail) {
      let cut = trail[0];
      if (cut.startsWith(')') && raw.slice(0, -cut.length).includes('(')) cut = cut.slice(1);
      raw = raw.slice(0, raw.length - cut.length);
    }
    if (!raw || /^(?:https?:\/\/|www\.|mailto:)$/i.test(raw)) continue;
    if (start > last) segments.push({ kind: 'text', text: text.slice(last, start) });
    const href = /^www\./i.test(raw) ? `https://${raw}` : raw;
    segments.push({ kind: 'link', text: raw, href });
    last = start + raw.length;
  }
  if (last < text.length) segments.push({ kind: 'text', text: text.slice(last) });
  return segments;
}
