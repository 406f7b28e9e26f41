/**
 * The typed protocol between the extension host and the conversation webview (all messages of a
 * thread in one tab). Each message is the same MessageViewModel the message panel shows: its HTML
 * sanitized by the host and wrapped in the same frame document and CSP.
 */
import { MAX_LINK_HREF, MAX_LINK_TEXT, type MessageViewModel } from './messageView';

export interface ConversationEntry {
  index: number;
  /** Read messages start collapsed (their header line only). */
  collapsed: boolean;
  /** The folder it lives in, shown for the user's replies from Sent. */
  folder: string;
  message?: MessageViewModel;
  /** Why the message could not be shown (it stays in the list). */
  error?: string;
}

export type ToConversation =
  | { type: 'loading'; subject: string; count: number }
  | { type: 'show'; subject: string; entries: ConversationEntry[] }
  /** One message drawn again in place (its remote content loaded); the others stay as they are. */
  | { type: 'entry'; entry: ConversationEntry };

export type FromConversation =
  | { type: 'ready' }
  | { type: 'rendered'; count: number; expanded: number }
  | { type: 'openLink'; href: string; text: string; shown?: string }
  | { type: 'reply'; index: number; all: boolean }
  | { type: 'openMessage'; index: number }
  /**
   * "Load Remote Content" (`always`: "Always Load from <sender>") on message `index`. `expanded`
   * lists the messages open now, kept open if the host has to replace the page.
   */
  | { type: 'remote'; index: number; always: boolean; expanded: number[] }
  /** The person opened or closed a message: `expanded` lists the messages open now. */
  | { type: 'expanded'; expanded: number[] };

/** At most this many indices in an `expanded` list ('remote', 'expanded'): the page is untrusted, the host walks the list. */
export const MAX_CONVERSATION_ENTRIES = 10_000;

/** Messages from the webview are untrusted input: check the shape before acting on one. */
export function parseFromConversation(value: unknown): FromConversation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const index = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  const indexList = (list: unknown): list is number[] => Array.isArray(list) && list.length <= MAX_CONVERSATION_ENTRIES && list.every(index);
  switch (v.type) {
    case 'ready':
      return { type: 'ready' };
    case 'rendered':
      return index(v.count) && index(v.expanded) ? { type: 'rendered', count: v.count, expanded: v.expanded } : undefined;
    case 'openLink':
      if (typeof v.href === 'string' && v.href.length <= MAX_LINK_HREF && typeof v.text === 'string') {
        return { type: 'openLink', href: v.href, text: v.text.slice(0, MAX_LINK_TEXT), ...(typeof v.shown === 'string' ? { shown: v.shown.slice(0, MAX_LINK_TEXT) } : {}) };
      }
      return undefined;
    case 'reply':
      return index(v.index) ? { type: 'reply', index: v.index, all: v.all === true } : undefined;
    case 'openMessage':
      return index(v.index) ? { type: 'openMessage', index: v.index } : undefined;
    case 'remote':
      if (!index(v.index) || !indexList(v.expanded)) return undefined;
      return { type: 'remote', index: v.index, always: v.always === true, expanded: v.expanded };
    case 'expanded':
      return indexList(v.expanded) ? { type: 'expanded', expanded: v.expanded } : undefined;
    default:
      return undefined;
  }
}

export function parseToConversation(value: unknown): ToConversation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type === 'loading' && typeof v.subject === 'string' && typeof v.count === 'number') return { type: 'loading', subject: v.subject, count: v.count };
  if (v.type === 'show' && typeof v.subject === 'string' && Array.isArray(v.entries)) return { type: 'show', subject: v.subject, entries: v.entries as ConversationEntry[] };
  if (v.type === 'entry' && typeof v.entry === 'object' && v.entry !== null && Number.isSafeInteger((v.entry as { index?: unknown }).index)) return { type: 'entry', entry: v.entry as ConversationEntry };
  return undefined;
}
