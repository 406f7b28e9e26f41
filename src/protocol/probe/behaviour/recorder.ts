import { MailError } from '../../errors';
import type { BehaviourCheck, BehaviourOutcome } from '../../../shared/probeReport';
import type { Transcript } from '../transcript';
import { evidenceSince } from './session';

export interface CheckResult {
  outcome: BehaviourOutcome;
  detail: string;
}

export const pass = (detail: string): CheckResult => ({ outcome: 'pass', detail });
export const fail = (detail: string): CheckResult => ({ outcome: 'fail', detail });
export const skipped = (detail: string): CheckResult => ({ outcome: 'skipped', detail });

export const NEEDS_MESSAGES = 'needs the messages imap.append-fetch puts in the scratch folder, which it could not';

/** Errors after which the session cannot be trusted to answer the next check. */
const SESSION_LOST = new Set(['ConnectionClosed', 'Timeout', 'ProtocolError', 'LimitExceeded', 'TlsFailed']);

/**
 * Runs checks one after another and records each as a row with the transcript lines it produced.
 * A check that throws fails with the error's words; once one lost its session, the rest are
 * skipped with that reason instead of each failing on a dead connection.
 */
export class CheckRecorder {
  readonly checks: BehaviourCheck[] = [];
  /** Why the session is gone, once it is. */
  lost: string | undefined;

  constructor(private readonly transcript: Transcript) {}

  async run(id: string, title: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
    const from = this.transcript.lines.length;
    const t0 = Date.now();
    let result: CheckResult;
    if (this.lost) {
      result = skipped(`not run: ${this.lost}`);
    } else {
      try {
        result = await check();
      } catch (err) {
        const message = this.transcript.mask(err instanceof Error ? err.message : String(err));
        result = fail(message);
        if (!MailError.is(err) || SESSION_LOST.has(err.code)) this.lost = `an earlier step lost the session (${message})`;
      }
    }
    this.checks.push({ id, title, ...result, ms: Date.now() - t0, evidence: result.outcome === 'skipped' && this.lost ? [] : evidenceSince(this.transcript, from) });
    return result;
  }
}

/** Where two byte strings first differ, in words. */
export function describeDifference(sent: Buffer, got: Buffer): string {
  let at = 0;
  while (at < sent.length && at < got.length && sent[at] === got[at]) at++;
  const show = (b: Buffer): string => JSON.stringify(b.subarray(at, at + 16).toString('latin1'));
  return `${sent.length} bytes sent, ${got.length} read back; first difference at byte ${at}: sent ${show(sent)}, read ${show(got)}`;
}
