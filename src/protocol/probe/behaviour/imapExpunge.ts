import { expunged, ImapResponse, imapQuote, sameSet, vanished } from './imapClient';
import { allUids, ImapContext, select } from './imapContext';
import { CheckResult, fail, NEEDS_MESSAGES, pass, skipped } from './recorder';

/**
 * Expunges one message (UID EXPUNGE with UIDPLUS, else EXPUNGE: the scratch folder holds only
 * the check's own messages) and compares the server's EXPUNGE or VANISHED answer with it.
 */
export async function expungeAnswers(ctx: ImapContext): Promise<CheckResult> {
  const target = ctx.messages[1];
  if (!target) return skipped(NEEDS_MESSAGES);
  const before = await allUids(ctx.a);
  const seq = before.indexOf(target.uid) + 1;
  if (seq === 0) return fail(`UID ${target.uid} is no longer in the folder before the expunge.`);
  await ctx.a.ok(`UID STORE ${target.uid} +FLAGS.SILENT (\\Deleted)`);
  const r: ImapResponse = await ctx.a.ok(ctx.a.has('UIDPLUS') ? `UID EXPUNGE ${target.uid}` : 'EXPUNGE');
  ctx.expungedUid = target.uid;
  const after = await allUids(ctx.a);
  if (after.includes(target.uid)) return fail(`UID ${target.uid} is still listed after EXPUNGE.`);
  if (ctx.qresync) {
    const gone = vanished(r, false);
    if (!sameSet(gone, [target.uid])) return fail(`With QRESYNC enabled, EXPUNGE of UID ${target.uid} answered VANISHED ${gone.join(',') || '(nothing)'}.`);
    if (expunged(r).length) return fail('With QRESYNC enabled the server still sent * n EXPUNGE (RFC 7162 3.2.10 replaces it by VANISHED).');
    return pass(`EXPUNGE of UID ${target.uid} answered * VANISHED ${target.uid}.`);
  }
  const seqs = expunged(r);
  if (seqs.length !== 1 || seqs[0] !== seq) return fail(`EXPUNGE of message ${seq} (UID ${target.uid}) answered EXPUNGE ${seqs.join(',') || '(nothing)'}.`);
  return pass(`EXPUNGE of UID ${target.uid} answered * ${seq} EXPUNGE.`);
}

/**
 * QRESYNC (RFC 7162 3.2.5): selecting again with the UIDVALIDITY and the MODSEQ from before the
 * expunge must report the expunged UID in VANISHED (EARLIER) and no message still there.
 */
export async function qresyncVanishedEarlier(ctx: ImapContext): Promise<CheckResult> {
  if (!ctx.qresync) return skipped('the server does not offer QRESYNC');
  if (ctx.expungedUid === undefined || ctx.uidValidity === undefined) return skipped('needs the message imap.expunge removed');
  if (ctx.modseqAfterStore === undefined) return skipped('needs the HIGHESTMODSEQ from before the expunge (imap.condstore)');
  const known = ctx.messages.map((m) => m.uid);
  await ctx.a.run(ctx.a.has('UNSELECT') ? 'UNSELECT' : 'CLOSE');
  const { response } = await select(ctx.a, ctx.folder, true, ` (QRESYNC (${ctx.uidValidity} ${ctx.modseqAfterStore} ${Math.min(...known)}:${Math.max(...known)}))`);
  const earlier = vanished(response, true);
  const present = known.filter((u) => u !== ctx.expungedUid);
  if (!earlier.includes(ctx.expungedUid)) return fail(`SELECT ${imapQuote(ctx.folder)} (QRESYNC ...) did not report UID ${ctx.expungedUid} in VANISHED (EARLIER) (got ${earlier.join(',') || 'none'}).`);
  const wrong = earlier.filter((u) => present.includes(u));
  if (wrong.length) return fail(`VANISHED (EARLIER) also names UIDs still there: ${wrong.join(',')}.`);
  return pass(`SELECT (QRESYNC (${ctx.uidValidity} ${ctx.modseqAfterStore})) reported VANISHED (EARLIER) ${earlier.join(',')}.`);
}
