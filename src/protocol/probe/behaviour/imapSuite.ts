import { toMailError } from '../../connectionErrors';
import type { BehaviourReport } from '../../../shared/probeReport';
import { ImapDialogue } from '../imapDialogue';
import type { ProbeTarget } from '../target';
import { Transcript } from '../transcript';
import { appendThenFetch, uidsStable } from './imapAppendFetch';
import { ImapClient } from './imapClient';
import type { ImapContext } from './imapContext';
import { expungeAnswers, qresyncVanishedEarlier } from './imapExpunge';
import { condstoreConsistent, storeEchoesFlags } from './imapFlags';
import { idleDelivers } from './imapIdle';
import { moveSemantics } from './imapMove';
import { createScratch, personalNamespace, removeScratch, scratchNames } from './imapScratch';
import { CheckRecorder, CheckResult, skipped } from './recorder';
import { BEHAVIOUR_LIMITS, BehaviourOptions, Budget, openSession, SessionTranscript } from './session';
import { runToken } from './testMessages';

type Check = [id: string, title: string, run: (ctx: ImapContext) => Promise<CheckResult>];

/** The IMAP checks in the order they run; later ones use what earlier ones left in the folder. */
export const IMAP_CHECKS: readonly Check[] = [
  ['imap.append-fetch', 'APPEND then FETCH BODY.PEEK[] returns the same bytes', appendThenFetch],
  ['imap.uid-stable', 'UIDs and UIDVALIDITY are the same in another session', uidsStable],
  ['imap.store-flags', 'STORE answers with the new FLAGS (and MODSEQ)', storeEchoesFlags],
  ['imap.condstore', 'CONDSTORE: HIGHESTMODSEQ grows with a flag change', condstoreConsistent],
  ['imap.expunge', 'EXPUNGE / VANISHED answers name what was expunged', expungeAnswers],
  ['imap.qresync', 'QRESYNC: SELECT reports VANISHED (EARLIER)', qresyncVanishedEarlier],
  ['imap.move', 'MOVE: leaves the source, arrives with COPYUID', moveSemantics],
  ['imap.idle', 'IDLE announces a message from another session', idleDelivers],
];

/** Opens a session and enables QRESYNC (or CONDSTORE) where offered. */
async function openImap(target: ProbeTarget, options: BehaviourOptions, transcript: Transcript, label: string, budget: Budget, tagPrefix: string): Promise<ImapClient> {
  const session = await openSession(target, options, new ImapDialogue(), new SessionTranscript(transcript, label), budget);
  const client = new ImapClient(session.conn, session.caps, budget, tagPrefix);
  if (client.has('ENABLE') && client.has('QRESYNC')) await client.ok('ENABLE QRESYNC');
  else if (client.has('ENABLE') && client.has('CONDSTORE')) await client.ok('ENABLE CONDSTORE');
  return client;
}

/**
 * The IMAP behaviour checks on a test account. Everything happens in two scratch folders with
 * unique names, created here and removed in `finally` (on a new connection when the session was
 * lost or the budget ran out); existing folders and messages are never selected or changed.
 */
export async function runImapBehaviour(target: ProbeTarget, options: BehaviourOptions): Promise<BehaviourReport> {
  const started = Date.now();
  const budgetMs = options.budgetMs ?? BEHAVIOUR_LIMITS.budgetMs;
  const commandMs = options.timeoutMs ?? BEHAVIOUR_LIMITS.commandTimeoutMs;
  const budget = new Budget(budgetMs, commandMs);
  const transcript = new Transcript(options.log);
  transcript.addSecret(options.credentials.password);
  const recorder = new CheckRecorder(transcript);
  const report: BehaviourReport = { protocol: 'imap', startedAt: new Date(started).toISOString(), totalMs: 0, budgetMs, checks: recorder.checks };
  const created: string[] = [];
  let a: ImapClient | undefined;
  let b: ImapClient | undefined;
  try {
    a = await openImap(target, options, transcript, 'a', budget, 'A');
    const token = runToken();
    const names = scratchNames((await personalNamespace(a)).prefix, token);
    await createScratch(a, names.folder, created);
    await createScratch(a, names.destination, created);
    const main = a;
    const ctx: ImapContext = {
      a: main,
      b: async () => (b ??= await openImap(target, options, transcript, 'b', budget, 'B')),
      ...names,
      token,
      idleWaitMs: options.idleWaitMs ?? BEHAVIOUR_LIMITS.idleWaitMs,
      messages: [],
      qresync: main.has('QRESYNC') && main.has('ENABLE'),
      condstore: main.has('CONDSTORE') || (main.has('QRESYNC') && main.has('ENABLE')),
    };
    for (const [id, title, check] of IMAP_CHECKS) await recorder.run(id, title, () => check(ctx));
  } catch (err) {
    const error = toMailError(err, { host: target.host, port: target.port });
    report.error = { code: error.code, message: transcript.mask(error.message) };
    for (const [id, title] of IMAP_CHECKS.slice(recorder.checks.length)) recorder.checks.push({ id, title, ...skipped(`not run: ${report.error.message}`), ms: 0, evidence: [] });
  } finally {
    if (b) await b.run('LOGOUT', undefined, true).catch(() => undefined);
    if (b) budget.release(b.conn);
    if (created.length) report.scratch = await cleanup(a && !recorder.lost ? a : undefined, created, target, options, transcript, budget);
    else if (a) await a.run('LOGOUT', undefined, true).catch(() => undefined);
    budget.dispose();
  }
  report.totalMs = Date.now() - started;
  return report;
}

/**
 * Removes the scratch folders: on the main session when it still works, else on a new connection
 * with its own short budget (the suite's may be spent).
 */
async function cleanup(a: ImapClient | undefined, created: string[], target: ProbeTarget, options: BehaviourOptions, transcript: Transcript, budget: Budget): Promise<NonNullable<BehaviourReport['scratch']>> {
  let left: string[] | undefined;
  let detail: string | undefined;
  if (a && !budget.expired) {
    left = await removeScratch(a, created).catch(() => undefined);
    await a.run('LOGOUT', undefined, true).catch(() => undefined);
  }
  if (left === undefined) {
    const fresh = new Budget(BEHAVIOUR_LIMITS.cleanupMs, options.timeoutMs ?? BEHAVIOUR_LIMITS.commandTimeoutMs);
    try {
      const c = await openImap(target, options, transcript, 'cleanup', fresh, 'X');
      left = await removeScratch(c, created);
      await c.run('LOGOUT', undefined, true).catch(() => undefined);
      detail = 'removed on a new connection, after the checks lost theirs';
    } catch (err) {
      detail = `could not remove them: ${transcript.mask(err instanceof Error ? err.message : String(err))}`;
    } finally {
      fresh.dispose();
    }
  }
  if (left?.length) detail = `still there after DELETE: ${left.join(', ')}`;
  return { folders: [...created], removed: left?.length === 0, ...(detail ? { detail } : {}) };
}
