/**
 * Limits of the MIME layer, in one place. Message content is hostile and can be huge; each bound
 * says why it is what it is.
 */

/**
 * Text shown in the panel is cut here: a multi-megabyte text part would freeze the webview and
 * nobody reads that much in a panel (View Source shows it whole).
 */
export const MAX_DISPLAY_TEXT_CHARS = 1_000_000;

/**
 * HTML bodies longer than this are neither converted to text nor rendered: sanitizing and laying
 * out several megabytes of markup stalls the host and the webview for seconds, and mail that big is
 * generated reports whose text alternative (or View Source) serves better.
 */
export const DEFAULT_MAX_HTML_CHARS = 5 * 1024 * 1024;

/**
 * Decoded bytes of `cid:` inline images turned into data: URLs per message. They travel to the
 * webview inside the HTML (base64, a third larger), so the budget bounds what one message can make
 * the host hold and post; images past it are shown as missing.
 */
export const DEFAULT_INLINE_IMAGE_BUDGET_BYTES = 8 * 1024 * 1024;

/** Bytes of an attachment kept to recognise a patch (`diff --git`, `---`/`+++`/`@@`, format-patch mbox). */
export const PATCH_SNIFF_BYTES = 16 * 1024;

/**
 * Size of the pieces a Buffer source is fed to the parser in. mailsplit concatenates whatever it is
 * written with its pending bytes, so one write of a whole 25 MB message would copy all of it at once.
 */
export const PARSE_CHUNK_BYTES = 64 * 1024;
