/**
 * Where a signature goes in a new message, a reply or a forward, and whether a reply already shows
 * it. The signature follows the RFC 3676 4.3 delimiter line "-- " (dash, dash, space), always after
 * an empty line: in Markdown a "--" line right under text would turn that text into a heading.
 * "Above the quote" puts it under the user's text and before the quoted original (the reply starts
 * above the quote in Mailroom); "below" puts it at the very end. Pure: no vscode.
 */
import { cleanSignature } from './identities';

export type SignaturePlacement = 'aboveQuote' | 'belowQuote';

export const SIGNATURE_DELIMITER = '-- ';

/** "-- \n<signature>" for a cleaned, non-empty signature; '' otherwise. */
export function signatureBlock(signature: string | undefined): string {
  const clean = signature ? cleanSignature(signature) : '';
  return clean ? `${SIGNATURE_DELIMITER}\n${clean}` : '';
}

/** The body of a new message: an empty line to type on, then the signature. */
export function newMessageBody(signature: string | undefined, text = ''): string {
  const block = signatureBlock(signature);
  const start = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
  if (!block) return `${start}\n`;
  return `${start}\n\n${block}\n`;
}

/**
 * A reply's or forward's body: an empty first line (the cursor goes there), the signature and the
 * quoted part in the order the placement says. `quoted` is the attribution and quote (or the
 * forwarded block), without surrounding blank lines.
 */
export function bodyWithQuote(quoted: string, signature: string | undefined, placement: SignaturePlacement): string {
  const block = signatureBlock(signature);
  if (!block) return `\n\n${quoted}\n`;
  return placement === 'aboveQuote' ? `\n\n${block}\n\n${quoted}\n` : `\n\n${quoted}\n\n${block}\n`;
}

/** One line with its quote markers ("> > ", ">>") and surrounding white space taken off. */
function unquote(line: string): string {
  return line.replace(/^(?:[ \t]*>)+/, '').trim();
}

/**
 * True when `text` (a quote, or a message's text) already holds this signature under a delimiter
 * line, at any quote depth: replying to a reply that quotes the user's earlier message does not
 * add the signature again. Compared line by line, ignoring quote markers and surrounding spaces
 * (some clients drop the delimiter's trailing space, so "--" counts too).
 */
export function containsSignature(text: string, signature: string | undefined): boolean {
  const clean = signature ? cleanSignature(signature) : '';
  if (!clean) return false;
  const wanted = clean.split('\n').map((l) => l.trim());
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map(unquote);
  for (let i = 0; i + wanted.length < lines.length; i++) {
    if (lines[i] !== '--') continue;
    let k = 0;
    while (k < wanted.length && lines[i + 1 + k] === wanted[k]) k++;
    if (k === wanted.length) return true;
  }
  return false;
}

/**
 * Where this signature sits in a compose body, unquoted: the 0-based line of its delimiter and
 * the line after its last line. The last such block counts (the one Mailroom placed); undefined
 * when the body does not hold it as written.
 */
export function findSignatureBlock(body: string, signature: string | undefined): { start: number; end: number } | undefined {
  const clean = signature ? cleanSignature(signature) : '';
  if (!clean) return undefined;
  const wanted = clean.split('\n').map((l) => l.trimEnd());
  const lines = body.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimEnd());
  for (let i = lines.length - wanted.length - 1; i >= 0; i--) {
    if (lines[i] !== '--') continue;
    if (wanted.every((w, k) => lines[i + 1 + k] === w)) return { start: i, end: i + 1 + wanted.length };
  }
  return undefined;
}
