/**
 * The invitation card of the message view (a text/calendar part): what the host computed for it
 * and the answer the webview's buttons send. Types and a validator only (no vscode, no DOM).
 */

import type { InvitationTimes } from './invitationTime';

export type InvitationAnswer = 'ACCEPTED' | 'TENTATIVE' | 'DECLINED';
export const INVITATION_ANSWERS: readonly InvitationAnswer[] = ['ACCEPTED', 'TENTATIVE', 'DECLINED'];

/** Longest comment the webview may send with an answer (RFC 5546 COMMENT); longer ones are refused. */
export const MAX_INVITATION_COMMENT = 2000;

export interface InvitationAttendeeView {
  /** "Name <address>" or the address, through displayText. */
  label: string;
  /** NEEDS-ACTION, ACCEPTED, TENTATIVE, DECLINED, DELEGATED. */
  partstat: string;
  /** In words: "accepted", "has not answered", … */
  answer: string;
  optional: boolean;
  /** One of the account's own addresses. */
  you: boolean;
}

export interface InvitationView {
  /**
   * request: a new invitation; updated: a REQUEST with SEQUENCE > 0 (or newer than the answer given);
   * cancelled: METHOD:CANCEL or STATUS:CANCELLED; reply: someone's answer; other: PUBLISH and the rest;
   * invalid: the part could not be read (`problem` says why).
   */
  kind: 'request' | 'updated' | 'cancelled' | 'reply' | 'other' | 'invalid';
  /** The banner: "Invitation", "Updated invitation", "This event was cancelled", … */
  heading: string;
  problem?: string;
  title: string;
  /**
   * When: instants and the organiser's zone and wall times; absent when the event names no time.
   * The webview formats them in the user's zone (invitationTime.ts), not the extension host's.
   */
  time?: InvitationTimes;
  recurrence?: string;
  location: string;
  organizer: string;
  attendees: InvitationAttendeeView[];
  attendeesOmitted: number;
  description: string;
  /** A reply's comment, or the note of a cancellation. */
  comment: string;
  sequence: number;
  /** The Accept / Tentative / Decline buttons are offered. */
  canAnswer: boolean;
  /** Why not, when the kind would allow it (no organiser address, no own address). */
  cannotAnswer?: string;
  /** The answer given from this account (remembered locally), if any. */
  answered?: { answer: InvitationAnswer; at: string; sequence: number; outdated: boolean };
}

export interface InvitationAnswerMessage {
  type: 'invitation';
  answer: InvitationAnswer;
  comment: string;
}

/** Validates the webview's answer: a known PARTSTAT and a bounded comment. */
export function parseInvitationAnswer(v: Record<string, unknown>): InvitationAnswerMessage | undefined {
  if (!INVITATION_ANSWERS.includes(v.answer as InvitationAnswer)) return undefined;
  const comment = v.comment === undefined ? '' : v.comment;
  if (typeof comment !== 'string' || comment.length > MAX_INVITATION_COMMENT) return undefined;
  return { type: 'invitation', answer: v.answer as InvitationAnswer, comment };
}
