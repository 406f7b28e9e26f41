/**
 * The typed protocol between the extension host and the message webview. Both sides import this
 * file; it holds types and pure validators only (no vscode, no DOM).
 */
export interface AttachmentSummary {
  filename: string;
  contentType: string;
  size: number;
}

export interface MessageViewModel {
  accountLabel: string;
  folder: string;
  subject: string;
  from: string;
  to: string;
  cc: string;
  /** ISO 8601, or empty when the message has no usable date. */
  date: string;
  text: string;
  /** True when `text` was cut to the display limit. */
  textTruncated: boolean;
  attachments: AttachmentSummary[];
}

export type ToWebview =
  | { type: 'loading'; subject: string }
  | { type: 'show'; message: MessageViewModel }
  | { type: 'error'; message: string; canRetry: boolean };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'retry' }
  | { type: 'rendered'; subject: string; textLength: number };

/** Messages from a webview are untrusted input: check the shape before acting on one. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'ready':
      return { type: 'ready' };
    case 'retry':
      return { type: 'retry' };
    case 'rendered':
      if (typeof v.subject === 'string' && typeof v.textLength === 'number') {
        return { type: 'rendered', subject: v.subject, textLength: v.textLength };
      }
      return undefined;
    default:
      return undefined;
  }
}

export function parseToWebview(value: unknown): ToWebview | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type === 'loading' && typeof v.subject === 'string') return { type: 'loading', subject: v.subject };
  if (v.type === 'error' && typeof v.message === 'string') return { type: 'error', message: v.message, canRetry: v.canRetry === true };
  if (v.type === 'show' && typeof v.message === 'object' && v.message !== null) return { type: 'show', message: v.message as MessageViewModel };
  return undefined;
}
