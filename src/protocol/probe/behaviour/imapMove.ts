import { expunged, fetches, imapQuote, responseCode, vanished } from './imapClient';
import { allUids, fetchBody, ImapContext, select } from './imapContext';
import { CheckResult, describeDifference, fail, NEEDS_MESSAGES, pass, skipped } from './recorder';

/**
 * MOVE (RFC 6851): the message leaves the source (EXPUNGE or VANISHED for it), COPYUID (with
 * UIDPLUS) names its new UID, and the destination holds the same bytes under that UID.
 */
export async function moveSemantics(ctx: ImapContext): Promise<CheckResult> {
  if (!ctx.a.has('MOVE')) return skipped('the server does not offer MOVE');
  const target = ctx.messages[2];
  if (!target) return skipped(NEEDS_MESSAGES);
  const before = await allUids(ctx.a);
  const seq = before.indexOf(target.uid) + 1;
  if (seq === 0) return fail(`UID ${target.uid} is not in the folder before MOVE.`);
  const r = await ctx.a.ok(`UID MOVE ${target.uid} ${imapQuote(ctx.destination)}`);
  const left = ctx.qresync ? vanished(r, false).includes(target.uid) : expunged(r).includes(seq);
  if (!left) return fail(`UID MOVE ${target.uid} answered no ${ctx.qresync ? `VANISHED ${target.uid}` : `* ${seq} EXPUNGE`} for the source.`);
  if (fetches(await ctx.a.ok(`UID FETCH ${target.uid} (UID)`)).some((f) => f.uid === target.uid)) return fail(`UID ${target.uid} is still in the source after MOVE.`);
  const copy = responseCode(r, 'COPYUID');
  if (ctx.a.has('UIDPLUS') && !copy) return fail('UID MOVE answered without COPYUID although the server offers UIDPLUS (RFC 6851 4.3).');
  if (copy && (copy.length !== 3 || copy[1] !== String(target.uid))) return fail(`COPYUID ${copy.join(' ')} does not name the moved UID ${target.uid} as its source.`);
  const destination = await select(ctx.a, ctx.destination, ctx.condstore);
  const there = await allUids(ctx.a);
  if (copy && Number(copy[0]) !== destination.uidValidity) return fail(`COPYUID gave UIDVALIDITY ${copy[0]}, the destination has ${destination.uidValidity}.`);
  const newUid = copy ? Number(copy[2]) : there[0];
  if (there.length !== 1 || there[0] !== newUid) return fail(`The destination lists UIDs ${there.join(',') || 'none'}; expected just ${newUid}.`);
  const body = await fetchBody(ctx.a, newUid);
  if (!body?.equals(target.raw)) return fail(`The moved message changed: ${body ? describeDifference(target.raw, body) : 'no body'}.`);
  await select(ctx.a, ctx.folder, ctx.condstore);
  return pass(`UID ${target.uid} left the source and arrived as UID ${newUid}${copy ? ` (COPYUID ${copy.join(' ')})` : ''} with the same bytes.`);
}
