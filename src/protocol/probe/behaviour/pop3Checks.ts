import type { ProbeTarget } from '../target';
import { describeDifference, CheckResult, fail, pass, skipped } from './recorder';
import { headerBlock, Pop3Client } from './pop3Client';

/** The check's own message in the maildrop, put there over IMAP. */
export interface Pop3Own {
  token: string;
  raw: Buffer;
  /** The same message as IMAP FETCH BODY.PEEK[] returned it. */
  imapBytes: Buffer;
  imapUid: number;
  /** Its POP3 UIDL, once found. */
  uidl?: string;
}

export interface Pop3Context {
  target: ProbeTarget;
  open(label: string): Promise<Pop3Client>;
  own?: Pop3Own;
  /** Why there is no own message, for the rows that need one. */
  noOwn: string;
  allowDele: boolean;
  /** Release a session without QUIT (so no DELE is committed). */
  drop(client: Pop3Client): void;
}

/**
 * The own message's number in this session: the newest messages' TOP headers name its token the
 * first time; after that its UIDL (when the server has UIDL) finds it with one command.
 */
export async function findOwn(pop: Pop3Client, own: Pop3Own): Promise<number | undefined> {
  const ids = await pop.uidl();
  if (own.uidl && ids) return [...ids].find(([, id]) => id === own.uidl)?.[0];
  const numbers = [...(await pop.list()).keys()].sort((a, b) => b - a).slice(0, 10);
  for (const n of numbers) {
    const top = await pop.multiline(`TOP ${n} 0`);
    if (top?.includes(`<${own.token}-pop3@mailroom.invalid>`)) {
      const id = ids?.get(n);
      if (id) own.uidl = id;
      return n;
    }
  }
  return undefined;
}

/** UIDL lists the same unique ids in two sessions one after the other (read-only). */
export async function uidlStable(ctx: Pop3Context): Promise<CheckResult> {
  const first = await ctx.open('p1');
  const one = await first.uidl();
  await first.quit();
  if (!one) return skipped('the server refuses UIDL');
  if (new Set(one.values()).size !== one.size) return fail('UIDL gave the same id to two messages (RFC 1939 7 requires unique ids).');
  const second = await ctx.open('p2');
  const two = await second.uidl();
  await second.quit();
  if (!two) return fail('UIDL worked in one session and was refused in the next.');
  if (two.size !== one.size) return skipped(`the maildrop changed between the sessions (${one.size} then ${two.size} messages), so the lists cannot be compared`);
  const moved = [...one].find(([n, id]) => two.get(n) !== id);
  if (moved) return fail(`Message ${moved[0]} had UIDL ${moved[1]} in one session and ${two.get(moved[0]) ?? 'none'} in the next.`);
  return pass(`${one.size} messages kept their UIDL across two sessions.`);
}

/** TOP n 0 returns exactly the headers RETR n returns (on the check's own message). */
export async function topMatchesRetr(ctx: Pop3Context): Promise<CheckResult> {
  if (!ctx.own) return skipped(ctx.noOwn);
  const pop = await ctx.open('p3');
  try {
    const n = await findOwn(pop, ctx.own);
    if (n === undefined) return fail('The message appended over IMAP is not among the newest POP3 messages (by TOP headers).');
    const top = await pop.multiline(`TOP ${n} 0`);
    const retr = await pop.multiline(`RETR ${n}`);
    if (!top || !retr) return fail(`TOP ${n} 0 or RETR ${n} was refused.`);
    const topHeaders = headerBlock(top);
    const retrHeaders = headerBlock(retr);
    if (!topHeaders.equals(retrHeaders)) return fail(`TOP ${n} 0 and RETR ${n} differ in the headers: ${describeDifference(retrHeaders, topHeaders)}.`);
    return pass(`TOP ${n} 0 returned the same ${topHeaders.length} header bytes as RETR ${n}.`);
  } finally {
    await pop.quit();
  }
}

/** RETR returns the same bytes as IMAP FETCH BODY.PEEK[] of the same message. */
export async function retrMatchesImap(ctx: Pop3Context): Promise<CheckResult> {
  if (!ctx.own) return skipped(ctx.noOwn);
  const pop = await ctx.open('p4');
  try {
    const n = await findOwn(pop, ctx.own);
    if (n === undefined) return fail('The message appended over IMAP is not among the newest POP3 messages (by TOP headers).');
    const retr = await pop.multiline(`RETR ${n}`);
    if (!retr) return fail(`RETR ${n} was refused.`);
    if (!retr.equals(ctx.own.imapBytes)) return fail(`RETR ${n} differs from IMAP FETCH of UID ${ctx.own.imapUid}: ${describeDifference(ctx.own.imapBytes, retr)}.`);
    return pass(`RETR ${n} and IMAP FETCH BODY.PEEK[] of UID ${ctx.own.imapUid} gave the same ${retr.length} bytes.`);
  } finally {
    await pop.quit();
  }
}

/**
 * DELE, RSET, QUIT: the message must still be there in the next session. Only with --allow-dele;
 * on the check's own message where there is one. If RSET is refused the session is dropped
 * without QUIT, so the DELE is never committed (RFC 1939 6).
 */
export async function rsetUndoesDele(ctx: Pop3Context): Promise<CheckResult> {
  if (!ctx.allowDele) return skipped('needs --allow-dele (it issues DELE, then RSET)');
  const pop = await ctx.open('p5');
  let n: number | undefined;
  let id: string | undefined;
  let size: number | undefined;
  try {
    const list = await pop.list();
    n = ctx.own ? await findOwn(pop, ctx.own) : Math.max(0, ...list.keys()) || undefined;
    if (n === undefined) {
      await pop.quit();
      return ctx.own ? fail('The message appended over IMAP is not among the newest POP3 messages.') : skipped('the maildrop is empty');
    }
    size = list.get(n);
    id = (await pop.uidl())?.get(n);
    await pop.ok(`DELE ${n}`);
    const rset = await pop.status('RSET');
    if (!/^\+OK\b/i.test(rset)) {
      ctx.drop(pop);
      return fail(`RSET was refused ("${rset}"); the session was dropped without QUIT so the DELE is not committed.`);
    }
  } catch (err) {
    ctx.drop(pop);
    throw err;
  }
  await pop.ok('QUIT');
  const next = await ctx.open('p6');
  try {
    const ids = await next.uidl();
    const sizes = await next.list();
    const still = id !== undefined && ids ? [...ids.values()].includes(id) : sizes.get(n) === size;
    if (!still) return fail(`Message ${n}${id ? ` (UIDL ${id})` : ''} is gone after DELE, RSET, QUIT.`);
    return pass(`Message ${n}${id ? ` (UIDL ${id})` : ''} is still there after DELE, RSET, QUIT.`);
  } finally {
    await next.quit();
  }
}
