/**
 * The answers given to invitations, per account and event, in one JSON file in global storage.
 *
 * Why here and not as an IMAP keyword ($Accepted …): no keyword for this is registered or read by
 * other clients, POP3 accounts have no flags on the server, and a server may refuse new keywords
 * (PERMANENTFLAGS without \*). Keyed by account + event UID (+ RECURRENCE-ID), not by message: an
 * updated invitation for the same event (a higher SEQUENCE) then shows that the answer was to an
 * earlier version. At most MAX_ANSWERS entries; the oldest answers go first.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { InvitationAnswer } from '../shared/invitationView';
import { readJsonOrUndefined, writeFileAtomic } from './atomicFile';

export interface InvitationAnswerRecord {
  answer: InvitationAnswer;
  /** ISO 8601. */
  at: string;
  sequence: number;
  /** The invitation message's Message-ID (without brackets), '' when it had none. */
  messageId: string;
}

/** Answers kept; a person answers a few hundred invitations a year. */
export const MAX_ANSWERS = 5000;
const ANSWERS = new Set(['ACCEPTED', 'TENTATIVE', 'DECLINED']);

export class InvitationAnswers {
  private entries: Map<string, InvitationAnswerRecord> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  static in(storageDir: string): InvitationAnswers {
    return new InvitationAnswers(path.join(storageDir, 'invitation-answers.json'));
  }

  static key(accountId: string, uid: string, recurrenceId?: string): string {
    return JSON.stringify([accountId, uid, recurrenceId ?? '']);
  }

  async get(key: string): Promise<InvitationAnswerRecord | undefined> {
    return (await this.load()).get(key);
  }

  async set(key: string, record: InvitationAnswerRecord): Promise<void> {
    const entries = await this.load();
    entries.delete(key); // re-inserted last: the Map's order is oldest first
    entries.set(key, record);
    while (entries.size > MAX_ANSWERS) entries.delete(entries.keys().next().value!);
    const data = JSON.stringify({ version: 1, answers: [...entries] });
    this.writing = this.writing.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, data);
    });
    await this.writing;
  }

  private async load(): Promise<Map<string, InvitationAnswerRecord>> {
    if (this.entries) return this.entries;
    const entries = new Map<string, InvitationAnswerRecord>();
    // A damaged file loses the remembered answers, never the view: it is rewritten on the next answer.
    const data = await readJsonOrUndefined<{ answers?: unknown }>(this.file).catch(() => undefined);
    if (data && Array.isArray(data.answers)) {
      for (const item of data.answers.slice(-MAX_ANSWERS)) {
        if (Array.isArray(item) && typeof item[0] === 'string' && isRecord(item[1])) entries.set(item[0], item[1]);
      }
    }
    this.entries ??= entries;
    return this.entries;
  }
}

function isRecord(v: unknown): v is InvitationAnswerRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return ANSWERS.has(r.answer as string) && typeof r.at === 'string' && Number.isSafeInteger(r.sequence) && typeof r.messageId === 'string';
}
