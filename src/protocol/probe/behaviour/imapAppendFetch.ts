import { MailError } from '../../errors';
import { quote } from '../dialogue';
import { imapQuote, responseCode } from './imapClient';
import { allUids, fetchBody, ImapContext, select } from './imapContext';
import { CheckResult, describeDifference, fail, NEEDS_MESSAGES, pass, skipped } from './recorder';
import { testMessage } from './testMessages';

/**
 * APPEND three messages (8-bit, over 4 KB, plain) to the scratch folder, then FETCH BODY.PEEK[]
 * each back: the bytes must be the ones sent. Also learns the UIDs the later checks use.
 */
export async function appendThenFetch(ctx: ImapContext): Promise<CheckResult> {
  const kinds = ['eight-bit', 'large', 'plain'] as const;
  const sent = kinds.map((kind) => testMessage(ctx.token, kind));
  const appendUids: Array<number | undefined> = [];
  for (const raw of sent) {
    const r = await ctx.a.run(`APPEND ${imapQuote(ctx.folder)}`, raw);
    if (r.status !== 'OK') throw new MailError('CommandFailed', `The server refused APPEND: "${quote(r.text)}".`);
    const code = responseCode(r, 'APPENDUID');
    appendUids.push(code?.[1] !== undefined ? Number(code[1]) : undefined);
  }
  const selected = await select(ctx.a, ctx.folder, ctx.condstore);
  ctx.uidValidity = selected.uidValidity;
  ctx.modseqBefore = selected.highestModseq;
  const uids = await allUids(ctx.a);
  if (uids.length !== sent.length) return fail(`${sent.length} messages were appended to the new folder, but it holds ${uids.length}.`);
  ctx.messages = sent.map((raw, i) => ({ raw, uid: uids[i] }));
  if (ctx.a.has('UIDPLUS')) {
    const wrong = appendUids.findIndex((u, i) => u !== uids[i]);
    if (wrong >= 0) return fail(`APPENDUID said UID ${appendUids[wrong] ?? '(none)'} for message ${wrong + 1}, but the folder lists UID ${uids[wrong]} (RFC 4315).`);
  }
  for (const [i, message] of ctx.messages.entries()) {
    const got = await fetchBody(ctx.a, message.uid);
    if (!got) return fail(`UID FETCH ${message.uid} BODY.PEEK[] returned no body for the ${kinds[i]} message.`);
    if (!got.equals(message.raw)) return fail(`The ${kinds[i]} message came back different: ${describeDifference(message.raw, got)}.`);
  }
  const literal = ctx.a.has('LITERAL+') ? 'non-synchronizing literals (LITERAL+)' : 'synchronizing literals';
  return pass(`${sent.length} messages (${sent.map((m) => m.length).join(', ')} bytes, 8-bit and over 4 KB) came back byte for byte; sent as ${literal}.`);
}

/** A second session sees the same UIDVALIDITY and the same UIDs. */
export async function uidsStable(ctx: ImapContext): Promise<CheckResult> {
  if (ctx.uidValidity === undefined || !ctx.messages.length) return skipped(NEEDS_MESSAGES);
  const b = await ctx.b();
  const selected = await select(b, ctx.folder, ctx.condstore);
  if (selected.uidValidity !== ctx.uidValidity) return fail(`UIDVALIDITY changed between sessions: ${ctx.uidValidity ?? '?'} then ${selected.uidValidity}.`);
  const seen = await allUids(b);
  const expected = ctx.messages.map((m) => m.uid);
  if (seen.join(',') !== expected.join(',')) return fail(`The second session lists UIDs ${seen.join(',') || 'none'}, the first ${expected.join(',')}.`);
  return pass(`A second session sees UIDVALIDITY ${selected.uidValidity} and UIDs ${seen.join(',')}, as the first did.`);
}
