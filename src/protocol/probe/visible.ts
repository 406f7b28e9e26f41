/**
 * Server text made safe to show outside the report: control characters (ESC sequences that
 * repaint a terminal, NUL, C1 controls), lone surrogates and the non-characters U+FFFE/U+FFFF are
 * written as visible escapes (\x1B, \uD800). Tab and line breaks stay. The result is also text XML
 * 1.0 can carry.
 */
// With the u flag, [\uD800-\uDFFF] matches only lone surrogates: a pair is one code point.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const INVISIBLE = /[\0-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

export function visibleControls(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** One line of server text: line breaks too become visible, so a value cannot fake a new line. */
export function visibleLine(text: string): string {
  return visibleControls(text).replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}
