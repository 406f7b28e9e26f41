/**
 * Does the server take a password on the unencrypted link? Capabilities only say what it
 * advertises; this asks it. A random user name and password (never the user's) go out before
 * TLS with the command a naive client would use, and the answer tells two refusals apart:
 * "use TLS first" (IMAP [PRIVACYREQUIRED], Dovecot's "Plaintext authentication disallowed",
 * SMTP 530/538) means the password would have been turned away unread; "wrong user or password"
 * means the server checked it, i.e. it accepts passwords in the clear.
 */
import { randomBytes } from 'node:crypto';
import type { PlaintextAuthCheck, PlaintextAuthVerdict, ProbeProtocol } from '../../shared/probeReport';
import { quote } from './dialogue';
import { evidenceFrom, readAnswer, SideCheckContext, withSideConnection } from './sideConnection';

const METHOD: Record<ProbeProtocol, string> = { imap: 'LOGIN', pop3: 'USER/PASS', smtp: 'AUTH PLAIN' };

/** Words servers use when they want TLS before a password. */
const WANTS_TLS = /PRIVACYREQUIRED|plain ?text|clear ?text|\bSSL\b|\bTLS\b|STARTTLS|\bSTLS\b|secure|encrypt/i;
const CHECKED_WORDS = /fail|invalid|incorrect|wrong|denied|unknown user|no such user|bad password|not accepted|rejected/i;

export interface Verdict {
  verdict: PlaintextAuthVerdict;
  why: string;
}

/** IMAP tagged answer to LOGIN. */
export function judgeImap(line: string): Verdict {
  const m = /^\S+ (OK|NO|BAD)\b ?(?:\[([^\]\s]+)[^\]]*\])?/i.exec(line);
  const status = m?.[1]?.toUpperCase();
  const code = m?.[2]?.toUpperCase();
  if (status === 'OK') return { verdict: 'logged-in', why: 'logged the random user in' };
  if (code === 'PRIVACYREQUIRED' || WANTS_TLS.test(line)) return { verdict: 'refused', why: 'asked for TLS first' };
  if (status === 'BAD' || /^\* BYE\b/i.test(line)) return { verdict: 'refused', why: 'did not take LOGIN here' };
  if (code === 'AUTHENTICATIONFAILED' || code === 'AUTHORIZATIONFAILED' || (!code && CHECKED_WORDS.test(line))) {
    return { verdict: 'accepted', why: 'checked the random user name and password and rejected them as wrong' };
  }
  return { verdict: 'inconclusive', why: 'answered in a way that says neither "use TLS" nor "wrong password"' };
}

/** POP3 answer to USER (`step` user) or PASS. */
export function judgePop3(line: string, step: 'user' | 'pass'): Verdict {
  if (/^\+OK\b/i.test(line)) return step === 'pass' ? { verdict: 'logged-in', why: 'logged the random user in' } : { verdict: 'inconclusive', why: 'took USER' };
  if (!/^-ERR\b/i.test(line)) return { verdict: 'inconclusive', why: 'answered neither +OK nor -ERR' };
  if (WANTS_TLS.test(line)) return { verdict: 'refused', why: 'asked for TLS first' };
  if (/\[(SYS\/|IN-USE|LOGIN-DELAY)/i.test(line)) return { verdict: 'inconclusive', why: 'gave a reason unrelated to the password' };
  if (step === 'user' && /unknown command|not (supported|implemented|recognized)|unrecognized|invalid command/i.test(line)) {
    return { verdict: 'not-offered', why: 'does not take USER here' };
  }
  return { verdict: 'accepted', why: step === 'user' ? 'checked the random user name and rejected it' : 'checked the random user name and password and rejected them as wrong' };
}

/** SMTP reply to AUTH PLAIN (RFC 4954, RFC 3207, RFC 5248 enhanced codes). */
export function judgeSmtp(line: string): Verdict {
  const code = Number(/^(\d{3})/.exec(line)?.[1] ?? 0);
  if (code === 235) return { verdict: 'logged-in', why: 'logged the random user in' };
  if (code === 530 || code === 538 || code === 523 || WANTS_TLS.test(line)) return { verdict: 'refused', why: 'asked for TLS first' };
  if (code === 535) return { verdict: 'accepted', why: 'checked the random user name and password and rejected them as wrong' };
  if (code === 500 || code === 502 || code === 503 || code === 504) return { verdict: 'not-offered', why: 'does not take AUTH here' };
  return { verdict: 'inconclusive', why: 'answered in a way that says neither "use TLS" nor "wrong password"' };
}

export async function checkPlaintextAuth(ctx: SideCheckContext): Promise<PlaintextAuthCheck> {
  const t0 = Date.now();
  const method = METHOD[ctx.protocol];
  const user = `mailroom-check-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  ctx.transcript.addSecret(password); // not the user's, but a password all the same: never echoed
  let mark = 0;
  const done = (v: Verdict, answer?: string): PlaintextAuthCheck => {
    const told = answer === undefined ? '' : ` ("${quote(answer)}")`;
    const detail = v.verdict === 'not-applicable' || (v.verdict === 'inconclusive' && answer === undefined)
      ? v.why
      : `Before TLS, ${method} with a random user name and password (not yours): the server ${v.why}${told}.`;
    return { verdict: v.verdict, method, ...(answer !== undefined ? { answer } : {}), detail, evidence: evidenceFrom(ctx.transcript, mark), ms: Date.now() - t0 };
  };
  return withSideConnection(
    ctx,
    async (conn) => {
      const greeting = await ctx.dialogue.greeting(conn);
      if (greeting.preauth) return done({ verdict: 'not-applicable', why: 'The server greeted with PREAUTH: the session is logged in already, so no password is asked for.' });
      if (ctx.protocol === 'smtp') await ctx.dialogue.capabilities(conn);
      mark = ctx.transcript.lines.length;
      if (ctx.protocol === 'imap') {
        conn.send(`a LOGIN "${user}" "${password}"`);
        const last = (await readAnswer(conn, 'imap', 'a')).pop()!;
        return done(judgeImap(last), last);
      }
      if (ctx.protocol === 'pop3') {
        conn.send(`USER ${user}`);
        const first = await conn.readLine();
        const afterUser = judgePop3(first, 'user');
        if (afterUser.verdict !== 'inconclusive' || !/^\+OK\b/i.test(first)) return done(afterUser, first);
        conn.send(`PASS ${password}`);
        const second = await conn.readLine();
        return done(judgePop3(second, 'pass'), second);
      }
      const payload = Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
      ctx.transcript.addBase64Secret(payload);
      conn.send(`AUTH PLAIN ${payload}`);
      const last = (await readAnswer(conn, 'smtp', '')).pop()!;
      if (/^334\b/.test(last)) conn.send('*'); // a server ignoring the initial response: cancel (RFC 4954 4)
      return done(judgeSmtp(last), last);
    },
    (error) => done({ verdict: 'inconclusive', why: `The check could not finish: ${error.message}` }),
  );
}
