/**
 * What the MIME layer hands to the message view, the reply builder and the header inspector.
 * Types only: `parseMessageStream` (parseMessageStream.ts) produces them from RFC 822 bytes.
 */

/** One header field as it appeared, unfolded, with RFC 2047 words decoded. */
export interface HeaderLine {
  /** As written, e.g. `Received`, `DKIM-Signature`. */
  name: string;
  value: string;
}

export interface MailAddress {
  /** Display name, decoded; '' when none. */
  name: string;
  /** addr-spec; '' for a group's name entry. */
  address: string;
}

export interface AttachmentInfo {
  /** Position among the message's attachments in parse order: the same bytes give the same index. */
  index: number;
  /** As the message names it, possibly hostile: pass through safeFilename before touching disk. '' when unnamed. */
  filename: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** Content-ID without angle brackets. */
  contentId?: string;
  /** Shown inside the body (an inline image referenced by cid:) rather than listed for saving. */
  related: boolean;
  /** text/x-diff, text/x-patch, *.patch, *.diff, or text content that is a git patch. */
  isPatch: boolean;
}

export interface ParsedMessage {
  /** Every header field in order (the view's "Show All Headers", the header inspector). */
  headers: HeaderLine[];
  subject: string;
  from: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  replyTo: MailAddress[];
  /** ISO 8601, or undefined when the Date header is missing or unusable. */
  date?: string;
  /** Message-ID without angle brackets. */
  messageId?: string;
  /** Without angle brackets. */
  inReplyTo?: string;
  /** References ids without angle brackets, oldest first. */
  references: string[];
  /** The text/plain body (or text derived from HTML), cut at MAX_DISPLAY_TEXT_CHARS. */
  text: string;
  textTruncated: boolean;
  /** The text/html body as sent (unsanitized!), absent when none or larger than the parse bound. */
  html?: string;
  /** An HTML body existed but was too large to render; the view shows `text` instead. */
  htmlSkipped: boolean;
  attachments: AttachmentInfo[];
  /** cid (no brackets) → data: URL, for inline images up to the inline budget. */
  inlineImages: Record<string, string>;
  /** The body text contains a patch (`diff --git`, or `---`/`+++`/`@@` hunks). */
  containsPatch: boolean;
  /** The message's iCalendar part (an invitation), when it has one. */
  calendar?: CalendarPart;
}

/**
 * The first text/calendar part (or application/ics, or *.ics attachment): its text when it is
 * within MAX_CALENDAR_PART_BYTES, else only its size. A text/calendar part wins over an .ics
 * attachment, which Outlook and Google add beside it with the same data.
 */
export interface CalendarPart {
  /** The part decoded as UTF-8; absent when it was larger than the bound (`size` says how large). */
  text?: string;
  size: number;
  /** AttachmentInfo.index of the part. */
  index: number;
  contentType: string;
}
