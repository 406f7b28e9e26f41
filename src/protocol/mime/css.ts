/**
 * CSS from mail (style attributes and <style> elements), made inert but kept presentable:
 * - CSS escapes are decoded first and comments removed, so `\75 rl(`, `u\72l(` or `ur/**\/l(` are
 *   checked as the `url(` a browser reads; the output carries no escapes of its own (one pass of
 *   decoding in the browser cannot produce anything the checks did not see);
 * - every url()/src()/image-set()/@import reference goes through ResourcePolicy: http(s) kept and
 *   recorded as remote (the view's CSP blocks it until the user loads remote content), raster data:
 *   and known cid: images kept, anything else replaced by `none`;
 * - `-moz-binding` and `behavior` declarations are removed, `expression(` and leftover
 *   `javascript:`/`vbscript:` neutralised.
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
 * They become `url("x")` for rewriteUrls; an image-set fed through var() cannot be checked and is dropped.
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
    out += /var\s*\(/i.test(inner) ? 'none' : m[0] + inner.replace(/(url\s*\(\s*)?(?:"([^"\n]*)(?:"|$)|'([^'\n]*)(?:'|$))/gi, (whole: string, inUrl?: string, dq?: string, sq?: string) => (inUrl ? whole : urlOf(dq ?? sq ?? ''))) + ')';
    last = Math.min(end + 1, text.length);
    opener.lastIndex = last;
  }
  text = out + text.slice(last);
  return text;
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
