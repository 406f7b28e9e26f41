/**
 * Recognising patches in mail, for developers on mailing lists: a `git format-patch` message, a
 * `diff --git` or a plain unified diff in the body, or a .patch/.diff attachment. All scans are
 * linear in the text, which is hostile and can be a megabyte long.
 */

const PATCH_CONTENT_TYPES = new Set(['text/x-diff', 'text/x-patch', 'text/diff', 'text/patch', 'application/x-patch', 'application/x-diff']);
/** `git format-patch` writes this fixed mbox separator line (the date is git's birthday, not the commit's). */
const MBOX_PATCH_LINE = /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\r?\n/;
/** A hunk header: `@@ -12,7 +12,8 @@` (the counts are optional). */
const HUNK = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/;

/**
 * The patch part of a text: from the first `diff --git` line, or from the `--- `/`+++ `/`@@` lines
 * opening a unified diff, to the end, without a trailing `-- ` signature. undefined when there is none.
 */
export function findPatch(text: string): string | undefined {
  const lines = lineStarts(text);
  let start = -1;
  for (let i = 0; i < lines.length && start < 0; i++) {
    const line = lineAt(text, lines, i);
    if (line.startsWith('diff --git ')) {
      start = lines[i];
    } else if (line.startsWith('--- ') && i + 2 < lines.length && lineAt(text, lines, i + 1).startsWith('+++ ') && HUNK.test(lineAt(text, lines, i + 2))) {
      // A `diff -u …` or `Index:` line just above belongs to the patch.
      const previous = i > 0 ? lineAt(text, lines, i - 1) : '';
      start = /^(diff |Index: )/.test(previous) ? lines[i - 1] : lines[i];
    }
  }
  if (start < 0) return undefined;
  return withoutSignature(text.slice(start));
}

/** A .patch/.diff attachment, a patch content type, or text content that is a patch. */
export function isPatchAttachment(filename: string, contentType: string, head: string): boolean {
  const type = contentType.toLowerCase().split(';')[0].trim();
  if (PATCH_CONTENT_TYPES.has(type) || /\.(patch|diff)$/i.test(filename.trim())) return true;
  if (!type.startsWith('text/') && type !== 'application/octet-stream' && type !== 'message/rfc822') return false;
  return MBOX_PATCH_LINE.test(head) || findPatch(head) !== undefined;
}

/** A `git format-patch` mbox: it starts `From <40 hex> Mon Sep 17 00:00:00 2001`. */
export function isMailboxPatch(bytes: Buffer): boolean {
  return MBOX_PATCH_LINE.test(bytes.subarray(0, 128).toString('latin1'));
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(text: string, starts: number[], i: number): string {
  const end = i + 1 < starts.length ? starts[i + 1] - 1 : text.length;
  return text.slice(starts[i], end).replace(/\r$/, '');
}

/** Drops git's `-- \n2.43.0` (or a short mail signature) after the last line of the diff. */
function withoutSignature(patch: string): string {
  const at = patch.lastIndexOf('\n-- \n') >= 0 ? patch.lastIndexOf('\n-- \n') : patch.lastIndexOf('\n-- \r\n');
  if (at < 0) return patch;
  const tail = patch.slice(at);
  const tailLines = tail.split('\n').length;
  return tailLines <= 8 && !/^@@ |^diff --git /m.test(tail) ? patch.slice(0, at + 1) : patch;
}
