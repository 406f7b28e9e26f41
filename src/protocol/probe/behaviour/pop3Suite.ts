import { toMailError } from '../../connectionErrors';
import { MailError } from '../../errors';
import type { BehaviourReport } from '../../../shared/probeReport';
import { ImapDialogue } from '../imapDialogue';
import { Pop3Dialogue } from '../pop3Dialogue';
import type { ProbeTarget } from '../target';
import { Transcript } from '../transcript';
import { fetches, ImapClient, responseCode } from './imapClient';
import { fetchBody } from './imapContext';
import { Pop3Client } from './pop3Client';
import { findOwn, Pop3Context, Pop3Own, retrMatchesImap, rsetUndoesDele, topMatchesRetr, uidlStable } from './pop3Checks';
import { CheckRecorder, CheckResult, skipped } from './recorder';
import { BEHAVIOUR_LIMITS, BehaviourOptions, Budget, openSession, SessionTranscript } from './session';
import { runToken, testMessage } from './testMessages';

type Check = [id: string, title: string, run: (ctx: Pop3Context) => Promise<CheckResult>];

export const POP3_CHECKS: readonly Check[] = [
  ['pop3.uidl-stable', 'UIDL is the same in the next session', uidlStable],
  ['pop3.top-headers', 'TOP n 0 returns the headers RETR returns', topMatchesRetr],
  ['pop3.retr-imap', 'RETR returns the bytes IMAP FETCH returns', retrMatchesImap],
  ['pop3.rset-undoes-dele', 'RSET undoes DELE', rsetUndoesDele],
];

async function openImap(target: ProbeTarget, options: BehaviourOptions, transcript: Transcript, label: string, budget: Budget): Promise<ImapClient> {
  const session = await openSession(target, options, new ImapDialogue(), new SessionTranscript(transcript, label), budget);
  return new ImapClient(session.conn, session.caps, budget, 'I');
}

/**
 * POP3 behaviour checks. Read-only unless --allow-dele; a message of the check's own is put in
 * the maildrop over the same account's IMAP endpoint when one is given (and removed again: by
 * POP3 DELE with --allow-dele, else by IMAP UID EXPUNGE of just that UID), so existing mail is
 * never retrieved (RETR marks it read on many servers) or deleted.
 */
export async function runPop3Behaviour(target: ProbeTarget, options: BehaviourOptions): Promise<BehaviourReport> {
  const started = Date.now();
  const budgetMs = options.budgetMs ?? BEHAVIOUR_LIMITS.budgetMs;
  const budget = new Budget(budgetMs, options.timeoutMs ?? BEHAVIOUR_LIMITS.commandTimeoutMs);
  const transcript = new Transcript(options.log);
  transcript.addSecret(options.credentials.password);
  const recorder = new CheckRecorder(transcript);
  const report: BehaviourReport = { protocol: 'pop3', startedAt: new Date(started).toISOString(), totalMs: 0, budgetMs, checks: recorder.checks };
  const ctx: Pop3Context = {
    target,
    allowDele: options.allowDele === true,
    noOwn: 'needs a message of the check\'s own: give the same account\'s imap:// or imaps:// URL as well (existing mail is never retrieved)',
    open: async (label) => {
      const s = await openSession(target, options, new Pop3Dialogue(), new SessionTranscript(transcript, label), budget);
      return new Pop3Client(s.conn, s.caps, budget);
    },
    drop: (client) => budget.release(client.conn),
  };
  let imap: ImapClient | undefined;
  try {
    if (options.imap) {
      imap = await openImap(options.imap, options, transcript, 'imap', budget);
      if (!imap.has('UIDPLUS') && !ctx.allowDele) ctx.noOwn = 'the IMAP server has no UIDPLUS, so a message put in INBOX could only be removed with EXPUNGE (which would also remove other messages marked \\Deleted); --allow-dele lets POP3 DELE remove it instead';
      else ctx.own = await appendOwn(imap);
    }
    for (const [id, title, check] of POP3_CHECKS) await recorder.run(id, title, () => check(ctx));
  } catch (err) {
    const error = toMailError(err, { host: target.host, port: target.port });
    report.error = { code: error.code, message: transcript.mask(error.message) };
    for (const [id, title] of POP3_CHECKS.slice(recorder.checks.length)) recorder.checks.push({ id, title, ...skipped(`not run: ${report.error.message}`), ms: 0, evidence: [] });
  } finally {
    if (ctx.own) report.ownMessage = await removeOwn(ctx, ctx.own, imap, options, transcript, budget);
    if (imap) await imap.run('LOGOUT', undefined, true).catch(() => undefined);
    budget.dispose();
  }
  report.totalMs = Date.now() - started;
  return report;
}

async function appendOwn(imap: ImapClient): Promise<Pop3Own> {
  const token = runToken();
  const raw = testMessage(token, 'pop3');
  const r = await imap.ok('APPEND INBOX', raw);
  await imap.ok('EXAMINE INBOX');
  const code = responseCode(r, 'APPENDUID');
  const uid = code?.[1] !== undefined ? Number(code[1]) : await searchUid(imap, token);
  if (uid === undefined) throw new MailError('CommandFailed', 'The message appended to INBOX could not be found again over IMAP.');
  const imapBytes = await fetchBody(imap, uid);
  if (!imapBytes) throw new MailError('CommandFailed', `IMAP FETCH of the appended message (UID ${uid}) returned no body.`);
  return { token, raw, imapBytes, imapUid: uid };
}

async function searchUid(imap: ImapClient, token: string): Promise<number | undefined> {
  const r = await imap.ok(`UID SEARCH HEADER Message-ID "${token}-pop3"`);
  const line = r.untagged.find((l) => /^\* SEARCH\b/i.test(l.text));
  const uids = (line?.text.replace(/^\* SEARCH\s*/i, '') ?? '').split(/\s+/).filter(Boolean).map(Number);
  return uids.length === 1 ? uids[0] : undefined;
}

/**
 * Removes the check's own message: POP3 DELE + QUIT with --allow-dele, else IMAP UID EXPUNGE of
 * its UID; then looks for it over IMAP. Runs on fresh connections with their own budget.
 */
async function removeOwn(ctx: Pop3Context, own: Pop3Own, imap: ImapClient | undefined, options: BehaviourOptions, transcript: Transcript, budget: Budget): Promise<NonNullable<BehaviourReport['ownMessage']>> {
  const where = `INBOX, IMAP UID ${own.imapUid}`;
  const fresh = new Budget(BEHAVIOUR_LIMITS.cleanupMs, options.timeoutMs ?? BEHAVIOUR_LIMITS.commandTimeoutMs);
  try {
    if (ctx.allowDele) {
      const s = await openSession(ctx.target, options, new Pop3Dialogue(), new SessionTranscript(transcript, 'cleanup'), fresh).catch(() => undefined);
      const pop = s && new Pop3Client(s.conn, s.caps, fresh);
      const n = pop && (await findOwn(pop, own).catch(() => undefined));
      if (pop && n !== undefined && /^\+OK/i.test(await pop.status(`DELE ${n}`).catch(() => ''))) await pop.quit();
      if (pop) fresh.release(pop.conn);
    }
    const left = await (imap && !budget.expired ? expungeOwn(imap, own.imapUid) : Promise.reject(new Error('no session')))
      .catch(async () => expungeOwn(await openImap(options.imap!, options, transcript, 'cleanup', fresh), own.imapUid));
    return { where, removed: !left, ...(left ? { detail: left } : {}) };
  } catch (err) {
    return { where, removed: false, detail: `could not remove it: ${transcript.mask(err instanceof Error ? err.message : String(err))}` };
  } finally {
    fresh.dispose();
  }
}

/** Expunges just this UID (UIDPLUS) unless it is gone already; says why it is still there, if it is. */
async function expungeOwn(client: ImapClient, uid: number): Promise<string | undefined> {
  const present = async (): Promise<boolean> => fetches(await client.ok(`UID FETCH ${uid} (UID)`)).some((f) => f.uid === uid);
  await client.ok('SELECT INBOX');
  if (!(await present())) return undefined;
  if (!client.has('UIDPLUS')) return 'still there, and without UIDPLUS it cannot be expunged alone';
  await client.ok(`UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`);
  await client.ok(`UID EXPUNGE ${uid}`);
  return (await present()) ? 'still there after UID EXPUNGE' : undefined;
}
