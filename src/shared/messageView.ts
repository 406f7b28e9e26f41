/**
 * The typed protocol between the extension host and the message webview. Both sides import this
 * file; it holds types and pure validators only (no vscode, no DOM).
 */
import { InvitationAnswerMessage, InvitationView, parseInvitationAnswer } from './invitationView';

/** An attachment as a list shows it (also the older parseMessage.ts's shape). */
export interface AttachmentSummary {
  /** As the message names it (display only; the host makes it safe before touching disk). */
  filename: string;
  contentType: string;
  size: number;
}

/** An attachment in the message view: what Save As / Open ask the host for by index. */
export interface AttachmentView extends AttachmentSummary {
  /** AttachmentInfo.index: how the host finds the part again. */
  index: number;
  isPatch: boolean;
}

export interface HeaderField {
  name: string;
  value: string;
}

export interface MessageViewModel {
  accountLabel: string;
  folder: string;
  subject: string;
  from: string;
  /** The first From address (lower-cased), '' when none: "Always Load from <sender>". */
  fromAddress: string;
  to: string;
  cc: string;
  /** ISO 8601, or empty when the message has no usable date. */
  date: string;
  /** Every header field ("Show All Headers"), bounded by the host. */
  headers: HeaderField[];
  text: string;
  /** True when `text` was cut to the display limit. */
  textTruncated: boolean;
  /**
   * The complete document for the sandboxed mail iframe (sanitized body + CSP meta + paper
   * style), built by the host. Absent for plain-text mail.
   */
  frame?: string;
  /** An HTML body existed but was too large to render: `text` is shown instead. */
  htmlSkipped: boolean;
  /** Remote resources the sanitized HTML references (blocked by the CSP unless remoteAllowed). */
  remoteBlocked: number;
  /** Some of them are remote stylesheets, which can import more: the bar says "at least". */
  remoteAtLeast: boolean;
  remoteAllowed: boolean;
  attachments: AttachmentView[];
  /** The body or an attachment holds a patch: "Open Patch" and "Apply with git am". */
  hasPatch: boolean;
  /** The message carries a calendar part: the invitation card. */
  invitation?: InvitationView;
}

export type ToWebview =
  | { type: 'loading'; subject: string }
  | { type: 'show'; message: MessageViewModel }
  | { type: 'error'; message: string; canRetry: boolean };

/** Actions the webview's buttons ask for; the host decides what really happens. */
export type MessageAction = 'loadRemoteContent' | 'alwaysLoadFromSender' | 'openPatch' | 'applyPatch' | 'viewSource' | 'inspectHeaders';
const ACTIONS: readonly MessageAction[] = ['loadRemoteContent', 'alwaysLoadFromSender', 'openPatch', 'applyPatch', 'viewSource', 'inspectHeaders'];

export type FromWebview =
  | { type: 'ready' }
  | { type: 'retry' }
  | { type: 'rendered'; subject: string; textLength: number; mode: 'html' | 'text' }
  /** `text`: the link's DOM text; `shown`: the part of it a person can see, as the frame measured it. */
  | { type: 'openLink'; href: string; text: string; shown?: string }
  | { type: 'attachment'; action: 'save' | 'open'; index: number }
  | { type: 'action'; action: MessageAction }
  /** Accept / Tentative / Decline on the invitation card. */
  | InvitationAnswerMessage;

/** Longest link target / link text accepted from the webview (longer ones are cut or refused). */
export const MAX_LINK_HREF = 8192;
export const MAX_LINK_TEXT = 2000;

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
        return { type: 'rendered', subject: v.subject, textLength: v.textLength, mode: v.mode === 'html' ? 'html' : 'text' };
      }
      return undefined;
    case 'openLink':
      if (typeof v.href === 'string' && v.href.length <= MAX_LINK_HREF && typeof v.text === 'string') {
        const link: FromWebview = { type: 'openLink', href: v.href, text: v.text.slice(0, MAX_LINK_TEXT) };
        if (typeof v.shown === 'string') link.shown = v.shown.slice(0, MAX_LINK_TEXT);
        return link;
      }
      return undefined;
    case 'attachment':
      if ((v.action === 'save' || v.action === 'open') && Number.isSafeInteger(v.index) && (v.index as number) >= 0) {
        return { type: 'attachment', action: v.action, index: v.index as number };
      }
      return undefined;
    case 'action':
      return ACTIONS.includes(v.action as MessageAction) ? { type: 'action', action: v.action as MessageAction } : undefined;
    case 'invitation':
      return parseInvitationAnswer(v);
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
