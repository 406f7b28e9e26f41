/**
 * Turns a filename taken from a message (hostile: it can name `../../.bashrc`, hide its real
 * extension behind a right-to-left override or be a Windows device name) into one that is safe to
 * create in a folder the user chose, on every platform VS Code runs on.
 */
import { FORMAT_CHARACTERS } from '../../shared/displayText';

/** Longest name in UTF-8 bytes: below the 255-byte limit of common file systems, leaving room for " (2)". */
const MAX_FILENAME_BYTES = 200;
/** An extension longer than this is not worth keeping whole when the name has to be shortened. */
const MAX_KEPT_EXTENSION_CHARS = 20;

// C0 and C1 control characters, DEL, and the format characters a display shows as markers (bidi
// embeddings, overrides, isolates and marks, zero-width space, BOM…): invisible characters that make
// `fdp.exe` display as `exe.pdf` or hide part of a name. A file name cannot carry a visible marker
// (it would become part of the name), so they are removed.
const INVISIBLE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f]|${FORMAT_CHARACTERS.source}`, 'g');
/** Path separators and the characters Windows forbids in names. */
const FORBIDDEN = /[/\\<>:"|?*]/g;
/** Device names Windows resolves in every folder, with any extension (`con.txt` opens the console). */
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

export function safeFilename(name: string, fallback = 'attachment'): string {
  // Path segments joined with `_`, without the empty, `.` and `..` ones: `../../etc/passwd` → `etc_passwd`.
  const segments = name.normalize('NFC').replace(INVISIBLE, '').split(/[/\\]/).filter((s) => s.trim() !== '' && !/^\s*\.{1,2}\s*$/.test(s));
  let result = segments.join('_').replace(FORBIDDEN, '_');
  // `..` anywhere, so no part of the name can climb out of the folder on any platform.
  result = result.replace(/\.{2,}/g, '.');
  // Leading dots hide the file (and `.` alone is the folder); Windows drops trailing dots and spaces.
  // The lookbehind starts the trailing match only where a run begins: `[\s.]+$` alone rescans a long
  // run from each of its characters (quadratic in a hostile name).
  result = result.replace(/^[\s.]+/, '').replace(/(?<![\s.])[\s.]+$/, '');
  if (!result) return fallback;
  const dot = result.indexOf('.');
  const stem = (dot < 0 ? result : result.slice(0, dot)).trimEnd();
  if (RESERVED_DEVICE.test(stem)) result = `_${result}`;
  return shorten(result) || fallback;
}

/** Cuts the name to MAX_FILENAME_BYTES, keeping a short extension and never splitting a character. */
function shorten(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= MAX_FILENAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= MAX_KEPT_EXTENSION_CHARS ? name.slice(dot) : '';
  const budget = MAX_FILENAME_BYTES - Buffer.byteLength(extension, 'utf8');
  let stem = '';
  let used = 0;
  for (const ch of extension ? name.slice(0, dot) : name) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > budget) break;
    stem += ch;
    used += size;
  }
  return stem.replace(/[\s.]+$/, '') + extension;
}
