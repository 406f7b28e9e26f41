import { fetches } from './imapClient';
import { ImapContext, select } from './imapContext';
import { CheckResult, fail, NEEDS_MESSAGES, pass, skipped } from './recorder';

/** UID STORE +FLAGS (not .SILENT) must answer with the message's new FLAGS, and MODSEQ under CONDSTORE. */
export async function storeEchoesFlags(ctx: ImapContext): Promise<CheckResult> {
  const target = ctx.messages[0];
  if (!target) return skipped(NEEDS_MESSAGES);
  const r = await ctx.a.ok(`UID STORE ${target.uid} +FLAGS (\\Flagged)`);
  const seq = 1 + ctx.messages.indexOf(target);
  const echo = fetches(r).find((f) => f.uid === target.uid || (f.uid === undefined && f.seq === seq));
  if (!echo?.flags) return fail(`UID STORE ${target.uid} +FLAGS answered without a FETCH carrying the new FLAGS (RFC 9051 6.4.6).`);
  if (!echo.flags.some((f) => f.toLowerCase() === '\\flagged')) return fail(`UID STORE ${target.uid} +FLAGS (\\Flagged) echoed FLAGS (${echo.flags.join(' ')}), without \\Flagged.`);
  if (echo.uid === undefined) return fail(`The FETCH answering UID STORE carries no UID (RFC 9051 6.4.9 requires it for UID commands).`);
  if (ctx.condstore) {
    if (echo.modseq === undefined) return fail('With CONDSTORE enabled, the FETCH answering STORE carries no MODSEQ (RFC 7162 3.1.4).');
    ctx.modseqAfterStore = echo.modseq;
    return pass(`STORE echoed FLAGS (${echo.flags.join(' ')}) with MODSEQ ${echo.modseq}.`);
  }
  return pass(`STORE echoed FLAGS (${echo.flags.join(' ')}).`);
}

/**
 * CONDSTORE (RFC 7162): the flag change got a MODSEQ above the folder's HIGHESTMODSEQ before it,
 * HIGHESTMODSEQ grew to cover it, and FETCH CHANGEDSINCE the old value names exactly that message.
 */
export async function condstoreConsistent(ctx: ImapContext): Promise<CheckResult> {
  if (!ctx.condstore) return skipped('the server does not offer CONDSTORE');
  const target = ctx.messages[0];
  if (!target || ctx.modseqBefore === undefined) return skipped(ctx.modseqBefore === undefined && target ? 'SELECT (CONDSTORE) gave no HIGHESTMODSEQ' : NEEDS_MESSAGES);
  if (ctx.modseqAfterStore === undefined) return skipped('needs the MODSEQ of the flag change (imap.store-flags)');
  if (ctx.modseqAfterStore <= ctx.modseqBefore) return fail(`The flag change got MODSEQ ${ctx.modseqAfterStore}, not above HIGHESTMODSEQ ${ctx.modseqBefore} before it.`);
  const changed = fetches(await ctx.a.ok(`UID FETCH 1:* (UID) (CHANGEDSINCE ${ctx.modseqBefore})`));
  const uids = changed.map((f) => f.uid);
  if (uids.length !== 1 || uids[0] !== target.uid) return fail(`FETCH CHANGEDSINCE ${ctx.modseqBefore} named UIDs ${uids.join(',') || 'none'}; only ${target.uid} changed.`);
  const again = await select(ctx.a, ctx.folder, true);
  const highest = again.highestModseq;
  if (highest === undefined) return fail('SELECT (CONDSTORE) answered without HIGHESTMODSEQ after a flag change.');
  if (highest < ctx.modseqAfterStore) return fail(`HIGHESTMODSEQ is ${highest} after a change with MODSEQ ${ctx.modseqAfterStore}.`);
  ctx.modseqAfterStore = highest;
  return pass(`HIGHESTMODSEQ grew from ${ctx.modseqBefore} to ${highest}; CHANGEDSINCE names just UID ${target.uid}.`);
}
