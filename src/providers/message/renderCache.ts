// What opening a message computes (MIME parse, sanitize, view model), kept in memory for the
// messages opened last, so opening one again draws from here at once instead of parsing and
// sanitizing it again. A message's bytes never change under its id (IMAP: account, UIDVALIDITY
// and UID; POP3: account and UIDL), so an entry stays right until it is evicted. Only the
// sanitized result is kept, never the raw source, exactly what a panel already keeps while open.
import type { CalendarPart } from '../../protocol/mime/types';
import type { InvitationView } from '../../shared/invitationView';
import type { MessageViewModel } from '../../shared/messageView';
import type { SanitizedBody } from './viewModel';

export interface RenderedMessage {
  /** The view model with remote content blocked; withRemoteAllowed() gives the other policy. */
  model: MessageViewModel;
  body: SanitizedBody | undefined;
  fromAddress: string;
  /** The message's calendar part: its invitation card is derived from it on every show (messagePanel.ts). */
  calendar?: CalendarPart;
  /** The card derived last, drawn at first paint until it is derived again. */
  invitation?: InvitationView;
}

export interface RenderCacheLimits {
  /** At most this many messages. */
  maxEntries: number;
  /** At most this many characters of text, HTML and headers over all entries (UTF-16: twice the bytes). */
  maxChars: number;
}

/** A few recently opened messages: enough to go back and forth between them, bounded in memory. */
export const RENDER_CACHE_LIMITS: RenderCacheLimits = { maxEntries: 16, maxChars: 8 * 1024 * 1024 };

export class RenderCache {
  private readonly entries = new Map<string, { value: RenderedMessage; chars: number }>();
  private chars = 0;

  constructor(private readonly limits: RenderCacheLimits = RENDER_CACHE_LIMITS) {}

  get(key: string): RenderedMessage | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: RenderedMessage): void {
    this.delete(key);
    const chars = sizeOf(value);
    if (chars > this.limits.maxChars) return; // one huge message is not worth everything else
    this.entries.set(key, { value, chars });
    this.chars += chars;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.chars <= this.limits.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= entry.chars;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.chars -= entry.chars;
  }

  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  get totalChars(): number {
    return this.chars;
  }
}

function sizeOf({ model, body }: RenderedMessage): number {
  let chars = (body?.html.length ?? 0) + (model.frame?.length ?? 0) + model.text.length + model.subject.length + model.from.length + model.to.length + model.cc.length;
  for (const h of model.headers) chars += h.name.length + h.value.length;
  for (const a of model.attachments) chars += a.filename.length + a.contentType.length;
  return chars;
}
