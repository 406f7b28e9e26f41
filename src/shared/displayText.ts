/**
 * Text from a message (a From name, a subject, an attachment name, a header) is hostile when shown.
 * Unicode bidi controls reorder what follows them: U+202E RIGHT-TO-LEFT OVERRIDE shows
 * `invoice‮fdp.exe` as `invoiceexe.pdf`, and a From name `‮moc.knab@ytiruces` as
 * `security@bank.com`. Other format characters hide text without taking space.
 *
 * `displayText` replaces each such character with a visible `[U+202E]` marker, as VS Code's editor
 * shows control characters, so none can reorder or hide anything, and the reader sees that the
 * sender put it there. Right-to-left letters are untouched (Hebrew and Arabic display as written;
 * the browser's bidi algorithm orders them, but without an override or embedding it cannot reverse
 * Latin text), and so are ZWNJ/ZWJ, which Persian, Indic scripts and emoji sequences need.
 *
 * Host and webview both import this file: no vscode, no DOM, no Node.
 */

/**
 * Bidi controls (UAX #9): ALM, LRM, RLM, the embeddings and overrides LRE…RLO, the isolates
 * LRI…PDI. Also the characters that hide text: ZWSP, WORD JOINER, the invisible math operators, the
 * the deprecated format characters (U+206A–206F), the BOM and the interlinear annotation marks.
 */
export const FORMAT_CHARACTERS = /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB]/;

/** FORMAT_CHARACTERS plus C0 and C1 controls and DEL (a CRLF is one line break): everything `displayText` rewrites. */
const SHOWN_AS_MARKER = new RegExp(`\\r\\n|[\\u0000-\\u001F\\u007F-\\u009F]|${FORMAT_CHARACTERS.source}`, 'g');

/** Untrusted text as it may be shown: line breaks and tabs as spaces, every control as `[U+XXXX]`. */
export function displayText(text: string): string {
  return text.replace(SHOWN_AS_MARKER, (ch) => {
    if (ch === '\r\n' || ch === '\r' || ch === '\n' || ch === '\t') return ' ';
    return `[U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`;
  });
}
