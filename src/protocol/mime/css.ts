/**
 * CSS from mail (style attributes and <style> elements), made inert but kept presentable:
 * - CSS escapes are decoded first and comments removed, so `\75 rl(`, `u\72l(` or `ur/**\/l(` are
 *   checked as the `url(` a browser reads; the output carries no escapes of its own (one pass of
 *   decoding in the browser cannot produce anything the checks did not see);
 * - every url()/src()/image-set()/@import reference goes through ResourcePolicy: http(s) kept and
 *   recorded as remote (the view's CSP blocks it until the user loads remote content), raster data:
 *   and known cid: images kept, anything else replaced by `none`;
 * - `-moz-binding` and `behavior` declarations are removed, `expression(` and leftover
 *   `javascript:`/`vbscript:` neutralised;
 * - CSS cannot draw text the link check does not see (generated `content`, `quotes`, string list
 *   markers, `@counter-style`) nor let an overlay pass clicks through (`pointer-events`);
 * - `filter`, `mask`, `clip-path` and `marker` lose their url()s: those name SVG documents, which
 *   Chromium tries to fetch even before the reader allows remote content.
 * All passes are linear in the input.
 */
import type { ResourcePolicy } from './resourceUrls';

export interface CssOptions {
  /** Text of a <style> element: `<` is escaped so it can never close the element. */
  inStyleElement?: boolean;
}

export function sanitizeCss(css: string, policy: ResourcePolicy, options: CssOptions = {}): string {
  let text = stripComments(decodeEscapes(css));
  // Declarations that bind behaviour (XBL, HTC) go whole, before their url() could be counted as remote.
  text = text.replace(/(-moz-binding|behaviou?r)\s*:[^;}]*/gi, '');
  text = stringArgumentsToUrls(text);
  text = dropDrawnText(text);
  text = dropDocumentReferences(text);
  text = rewriteUrls(text, policy);
  text = text
    .replace(/expression(?=\s*\()/gi, 'x-blocked')
    .replace(/-moz-binding|behaviou?r(?=\s*:)/gi, 'x-blocked')
    .replace(/(java|vb)script(?=\s*:)/gi, 'blocked');
  if (options.inStyleElement) text = text.replace(/</g, '\\3c ');
  return text.trim();
}

/**
 * CSS Syntax 4.3.7: `\` + 1–6 hex digits (+ one white space) → that code point (0, surrogates and
 * > U+10FFFF → U+FFFD); `\` + newline → nothing; `\` + anything else → that character. Backslashes
 * the decoding produces (`\\`, `\5c`) are dropped so the result has no escapes left.
 */
function decodeEscapes(css: string): string {
  if (!css.includes('\\')) return css.replace(/\0/g, '\ufffd');
  const decoded = css.replace(/\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\r\n\f])|([\s\S])|$)/g, (_m, hex?: string, _newline?: string, other?: string) => {
    if (hex !== undefined) {
      const code = parseInt(hex, 16);
      return code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff ? '\ufffd' : String.fromCodePoint(code);
    }
    return other ?? '';
  });
  return decoded.replace(/\\/g, '').replace(/\0/g, '\ufffd');
}

function stripComments(css: string): string {
  return css.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, ' ');
}

/**
 * URLs written as strings: `@import "x"`, and the string arguments of `image-set()` / `image()`.
 * They become `url("x")` for rewriteUrls; the MIME type in `type("image/png")` stays a string (as
 * `type(none)` it would void the whole declaration); an image-set fed through var() cannot be
 * checked and is dropped.
 */
function stringArgumentsToUrls(css: string): string {
  // A string ends at its quote or at the end of the text (CSS accepts an unterminated string at EOF).
  let text = css.replace(/@import(\s*)(?:"([^"\n]*)(?:"|$)|'([^'\n]*)(?:'|$))/gi, (_m, space: string, dq?: string, sq?: string) => `@import${space || ' '}${urlOf(dq ?? sq ?? '')}`);
  const opener = /(?:-webkit-)?image(?:-set)?\s*\(/gi;
  let out = '';
  let last = 0;
  for (let m = opener.exec(text); m; m = opener.exec(text)) {
    const start = m.index;
    const end = closingParen(text, m.index + m[0].length);
    const inner = text.slice(m.index + m[0].length, end);
    out += text.slice(last, start);
    out += /var\s*\(/i.test(inner) ? 'none' : m[0] + inner.replace(/((?:url|type)\s*\(\s*)?(?:"([^"\n]*)(?:"|$)|'([^'\n]*)(?:'|$))/gi, (whole: string, inFunction?: string, dq?: string, sq?: string) => (inFunction ? whole : urlOf(dq ?? sq ?? ''))) + ')';
    last = Math.min(end + 1, text.length);
    opener.lastIndex = last;
  }
  text = out + text.slice(last);
  return text;
}

/**
 * A declaration `name: value` (value up to `;` or `}`, which also ends it for the browser: a `;`
 * inside a string only cuts the value shorter here, so at worst more is dropped). The name must
 * start the declaration, so `justify-content` is not `content`.
 */
function declarations(names: string): RegExp {
  return new RegExp(`(^|[;{}\\s])(${names})(\\s*:)([^;}]*)`, 'gi');
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const CSS_WIDE = 'initial|inherit|unset|revert|revert-layer';

/**
 * Text drawn by CSS is text the link check (which reads the DOM) cannot see: `a::before{content:
 * "paypal.com"}` would show a host the link does not go to. Generated content is kept only when
 * it draws no letters or digits (clearfix `""`, bullets); `quotes` only as a keyword; list markers
 * only as keywords; `@counter-style` (custom marker text) and `::first-letter`/`::first-line` never. `pointer-events` goes too: an
 * overlay that lets clicks through could cover a link's real text with other text.
 */
function dropDrawnText(css: string): string {
  const keepContent = new RegExp(`^(?:none|normal|${CSS_WIDE}|(?:"[^"]*"|'[^']*')(?:\\s*(?:"[^"]*"|'[^']*'))*)$`, 'i');
  const keepQuotes = new RegExp(`^(?:none|auto|${CSS_WIDE})$`, 'i');
  const text = css.replace(declarations('content|quotes|list-style-type|list-style|pointer-events'), (whole: string, lead: string, name: string, _colon: string, declared: string) => {
    // Each pattern here is anchored and unambiguous, so it is linear in the value.
    const value = declared.replace(/!\s*important\s*$/i, '').trim();
    switch (name.toLowerCase()) {
      case 'content': {
        const strings = value.replace(/"[^"]*"|'[^']*'/g, (s) => (LETTER_OR_DIGIT.test(s) ? 'x' : '""'));
        return keepContent.test(strings) ? whole : lead;
      }
      case 'quotes':
        return keepQuotes.test(value) ? whole : lead;
      case 'pointer-events':
        return lead;
      default: // list-style, list-style-type: a string or symbols() is marker text
        return /["']|symbols\s*\(/i.test(value) ? lead : whole;
    }
  });
  // ::first-letter / ::first-line style characters apart from their element (first letter at 0px),
  // which the frame's measure of a link's visible text reads per element: an unknown pseudo-element voids the rule.
  return text.replace(/@counter-style/gi, '@x-blocked-counter-style').replace(/::?first-(letter|line)\b/gi, '::x-blocked-first-$1');
}

/** Properties whose url() names an SVG document (a filter, mask, clipping path or marker element). */
const DOCUMENT_REFERENCE_PROPERTIES = '(?:-webkit-)?(?:backdrop-filter|filter|clip-path|mask(?:-image|-border(?:-source)?|-box-image(?:-source)?)?)|marker(?:-start|-mid|-end)?';

/** Every url() in those properties becomes `none`: nothing is fetched, before or after consent. */
function dropDocumentReferences(css: string): string {
  return css.replace(declarations(DOCUMENT_REFERENCE_PROPERTIES), (_whole: string, lead: string, name: string, colon: string, value: string) => `${lead}${name}${colon}${value.replace(/(?:url|src)\s*\([^)]*\)?/gi, 'none')}`);
}

/** `url("…")` around a string's content (which holds no quotes of the other kind that matter: rewriteUrls re-reads it). */
function urlOf(value: string): string {
  return value.includes('"') ? `url('${value}')` : `url("${value}")`;
}

/** Index of the `)` closing a function whose arguments start at `from` (nested parens counted), or the end. */
function closingParen(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return text.length;
}

/** Every `url(…)` and `src(…)`: quoted or bare argument → policy → `url("…")` or `none`. */
function rewriteUrls(css: string, policy: ResourcePolicy): string {
  const opener = /(?:url|src)\s*\(/gi;
  let out = '';
  let last = 0;
  for (let m = opener.exec(css); m; m = opener.exec(css)) {
    let i = m.index + m[0].length;
    while (i < css.length && /\s/.test(css[i])) i++;
    let value: string;
    const quote = css[i];
    if (quote === '"' || quote === "'") {
      const close = css.indexOf(quote, i + 1);
      const newline = css.slice(i + 1, close < 0 ? css.length : close).search(/[\r\n]/);
      const end = close < 0 || newline >= 0 ? (newline >= 0 ? i + 1 + newline : css.length) : close;
      value = css.slice(i + 1, end);
      i = end + 1;
      const paren = css.indexOf(')', i);
      i = paren < 0 ? css.length : paren + 1;
    } else {
      const paren = css.indexOf(')', i);
      const end = paren < 0 ? css.length : paren;
      value = css.slice(i, end);
      i = Math.min(end + 1, css.length);
    }
    const resolved = policy.resource(value.trim());
    if (resolved && /@import\s*$/i.test(css.slice(Math.max(0, m.index - 16), m.index))) policy.stylesheet(resolved);
    out += css.slice(last, m.index) + (resolved ? `url("${cssUrlText(resolved)}")` : 'none');
    last = i;
    opener.lastIndex = i;
  }
  return out + css.slice(last);
}

/** A URL written inside `url("…")` without escapes: characters that could end the token are %-encoded. */
function cssUrlText(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url.replace(/["'()\\<>\s\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}
