// Which messages of a conversation get their remote content when one message's "Load Remote
// Content" or "Always Load from <sender>" is chosen, and which stay open (pure, unit-tested).
import type { ConversationEntry } from '../../shared/conversationView';
import { senderAllowed } from './remoteContent';
import { SanitizedBody, withRemoteAllowed } from './viewModel';

/** One message of the conversation as shown, with what its frame is rebuilt from. */
export interface LoadedEntry {
  entry: ConversationEntry;
  /** The sanitized HTML body (never the raw source); absent for plain-text mail and failures. */
  body?: SanitizedBody;
  /** The first From address as sent ('' when none): what "Always Load from" remembers. */
  fromAddress: string;
}

export interface RemoteRequest {
  /** The message whose button was clicked. */
  index: number;
  /** "Always Load from": the allowed senders after adding this one (every message of theirs here loads too). */
  allowed?: readonly unknown[];
  /** The messages open on the page now: kept open when the page is replaced. */
  expanded: readonly number[];
  /** Whether the page is replaced (its policy did not allow remote content yet). */
  pageReplaced: boolean;
}

/**
 * Allows remote content in the chosen message (and, with `allowed`, in every message of an allowed
 * sender) by rebuilding those frames with the remote policy; the chosen one is opened. Returns the
 * entries whose view changed, to redraw in place; none when `index` names no HTML message.
 */
export function allowRemote(loaded: LoadedEntry[], request: RemoteRequest): LoadedEntry[] {
  const target = loaded.find((l) => l.entry.index === request.index);
  if (!target?.entry.message || !target.body) return [];
  const others = request.allowed ? allowSenders(loaded, request.allowed) : [];
  allowIn(target);
  const changed = loaded.filter((l) => l === target || others.includes(l));
  target.entry = { ...target.entry, collapsed: false };
  if (request.pageReplaced) {
    const open = new Set(request.expanded);
    for (const l of loaded) if (l !== target) l.entry = { ...l.entry, collapsed: !open.has(l.entry.index) };
  }
  return changed;
}

/**
 * Rebuilds with the remote policy the frames of the HTML messages whose sender is in `allowed` and
 * whose remote content is not loaded yet; returns those, to redraw in place. Open or collapsed, each
 * keeps its state.
 */
export function allowSenders(loaded: LoadedEntry[], allowed: readonly unknown[]): LoadedEntry[] {
  const changed = loaded.filter((l) => l.body !== undefined && l.entry.message !== undefined && !l.entry.message.remoteAllowed && senderAllowed(l.fromAddress, allowed));
  for (const l of changed) allowIn(l);
  return changed;
}

function allowIn(l: LoadedEntry): void {
  if (l.entry.message && l.body && !l.entry.message.remoteAllowed) l.entry = { ...l.entry, message: withRemoteAllowed(l.entry.message, l.body, true) };
}
