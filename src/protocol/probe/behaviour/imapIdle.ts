import { imapQuote } from './imapClient';
import type { ImapContext } from './imapContext';
import { CheckResult, fail, pass, skipped } from './recorder';
import { testMessage } from './testMessages';

/** IDLE (RFC 2177): a message appended from another session is announced within the wait. */
export async function idleDelivers(ctx: ImapContext): Promise<CheckResult> {
  if (!ctx.a.has('IDLE')) return skipped('the server does not offer IDLE');
  const b = await ctx.b();
  await b.ok(`SELECT ${imapQuote(ctx.folder)}`); // also drains what the other checks changed
  const tag = await b.idle();
  await ctx.a.ok(`APPEND ${imapQuote(ctx.folder)}`, testMessage(ctx.token, 'idle'));
  // Timed from the APPEND's OK: the server cannot announce a message before it has stored it.
  const t0 = Date.now();
  const exists = await b.waitFor((line) => /^\* \d+ EXISTS\b/i.test(line.text), ctx.idleWaitMs);
  const ms = Date.now() - t0;
  const done = await b.endIdle(tag);
  if (!exists) return fail(`No * EXISTS reached the idling session within ${ctx.idleWaitMs} ms of the APPEND completing.`);
  if (done.status !== 'OK') return fail(`DONE ended IDLE with ${done.status}.`);
  return pass(`The idling session got "${exists.text}" ${ms} ms after the APPEND completed (limit ${ctx.idleWaitMs} ms).`);
}
