/**
 * The one-line search query both searches read: the server's (IMAP SEARCH) and the local index's.
 * `from:alice subject:"weekly report" since:2024-01-01 is:unread has:attachment folder:Work words`.
 * Pure: no VS Code, no I/O. Words without a prefix match anywhere; quoted values keep their spaces.
 */

export interface MailQuery {
  /** Free words: each must match somewhere (headers or body). */
  words: string[];
  from?: string;
  to?: string;
  subject?: string;
  /** Body text only. */
  body?: string;
  /** On or after this UTC day. */
  since?: Date;
  /** Before this UTC day. */
  before?: Date;
  /** true: only unread; false: only read. */
  unread?: boolean;
  /** true: only flagged; false: only unflagged. */
  flagged?: boolean;
  /** Only messages with an attachment (known only for messages whose body is cached). */
  hasAttachment?: boolean;
  /** Folder path (case-insensitive; matches any folder whose path contains it). */
  folder?: string;
}

export const QUERY_PREFIXES = ['from', 'to', 'subject', 'body', 'since', 'before', 'is', 'has', 'folder'] as const;

/** The prefixes in the words a prompt shows. */
export const QUERY_HELP = 'Prefixes: from: to: subject: body: since:YYYY-MM-DD before:YYYY-MM-DD is:unread is:flagged has:attachment folder:';

/**
 * Parses the one-line query; returns an error sentence for bad input. A prefix typed without its
 * value yet (`from:` while typing) is an error only with `complete`; as you type it is skipped.
 */
export function parseMailQuery(query: string, options: { complete?: boolean } = {}): MailQuery | string {
  const complete = options.complete ?? true;
  const q: MailQuery = { words: [] };
  const tokens = query.match(/(\w+:)?"[^"]*"?|\S+/g) ?? [];
  for (const token of tokens) {
    const m = /^(\w+):(.*)$/s.exec(token);
    const prefix = m?.[1]?.toLowerCase();
    if (!m || !prefix || !(QUERY_PREFIXES as readonly string[]).includes(prefix)) {
      const word = unquote(token);
      if (word) q.words.push(word);
      continue;
    }
    const value = unquote(m[2]);
    if (!value) {
      if (complete) return `"${prefix}:" needs a value.`;
      continue;
    }
    switch (prefix) {
      case 'from':
      case 'to':
      case 'subject':
      case 'body':
        q[prefix] = q[prefix] ? `${q[prefix]} ${value}` : value;
        break;
      case 'since':
      case 'before': {
        const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
        if (!date || Number.isNaN(date.getTime())) {
          if (complete || value.length >= 10) return `"${prefix}:" needs a date like 2024-01-31.`;
          break; // still being typed
        }
        q[prefix] = date;
        break;
      }
      case 'is': {
        const v = value.toLowerCase();
        if (v === 'unread') q.unread = true;
        else if (v === 'read') q.unread = false;
        else if (v === 'flagged') q.flagged = true;
        else if (v === 'unflagged') q.flagged = false;
        else if (complete || !['unread', 'read', 'flagged', 'unflagged'].some((w) => w.startsWith(v))) return '"is:" takes unread, read, flagged or unflagged.';
        break;
      }
      case 'has': {
        const v = value.toLowerCase();
        if (v === 'attachment') q.hasAttachment = true;
        else if (complete || !'attachment'.startsWith(v)) return '"has:" takes attachment.';
        break;
      }
      case 'folder':
        q.folder = value;
        break;
    }
  }
  if (isEmptyQuery(q) && complete) return 'Type something to search for.';
  return q;
}

/** Nothing to match on: no words and no prefix. */
export function isEmptyQuery(q: MailQuery): boolean {
  return q.words.length === 0 && Object.keys(q).length === 1;
}

function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  return s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s.slice(1);
}
