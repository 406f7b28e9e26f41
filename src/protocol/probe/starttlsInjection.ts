/**
 * STARTTLS command injection (CVE-2011-0411 and its kin; Poddebniak et al., "Why TLS is better
 * without STARTTLS", USENIX Security 2021): a server that reads ahead and keeps what followed the
 * STARTTLS command in its input buffer runs it after the handshake, as if the client had sent it
 * over TLS. An attacker on the path writes a command behind the client's STARTTLS; the server
 * answers it inside the encrypted session the client then believes it alone is talking in.
 *
 * The check plays the attacker on a connection of its own: the upgrade command and a harmless
 * second one in ONE write, the handshake, then a short wait for an answer the client never asked
 * for over TLS.
 */
import type { CommandInjectionCheck, CommandInjectionVerdict, ProbeProtocol } from '../../shared/probeReport';
import { quote } from './dialogue';
import { PROBE_LIMITS } from './limits';
import { evidenceFrom, readAnswer, SideCheckContext, withSideConnection } from './sideConnection';

/** The single write: the upgrade and the injected command (harmless, answered in every state). */
export const INJECTION_WRITES: Readonly<Record<ProbeProtocol, readonly string[]>> = {
  imap: ['a STARTTLS', 'b NOOP'],
  pop3: ['STLS', 'CAPA'],
  smtp: ['STARTTLS', 'EHLO x'],
};

const UPGRADE = { imap: 'STARTTLS', pop3: 'STLS', smtp: 'STARTTLS' } as const;

export async function checkCommandInjection(ctx: SideCheckContext): Promise<CommandInjectionCheck> {
  const t0 = Date.now();
  const sent = [...INJECTION_WRITES[ctx.protocol]];
  let mark = 0;
  const done = (verdict: CommandInjectionVerdict, detail: string): CommandInjectionCheck => ({
    verdict,
    detail,
    sent,
    evidence: evidenceFrom(ctx.transcript, mark),
    ms: Date.now() - t0,
  });
  return withSideConnection(
    ctx,
    async (conn) => {
      const greeting = await ctx.dialogue.greeting(conn);
      if (greeting.preauth) return done('not-applicable', 'The server greeted with PREAUTH, so there is no STARTTLS to inject behind.');
      // RFC 3207: STARTTLS follows EHLO; many servers refuse it before.
      if (ctx.protocol === 'smtp') await ctx.dialogue.capabilities(conn);
      mark = ctx.transcript.lines.length;
      conn.sendTogether(sent);
      const answer = await readAnswer(conn, ctx.protocol, 'a');
      const last = answer[answer.length - 1];
      if (!upgradeAccepted(ctx.protocol, last)) {
        return done('not-applicable', `The server refused ${UPGRADE[ctx.protocol]} ("${quote(last)}"), so there was no handshake to inject behind.`);
      }
      try {
        await conn.startTls(ctx.tls);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        ctx.transcript.add('*', why);
        return done(
          'not-vulnerable',
          `The handshake after the injected command failed (${why}): the server closed the connection on seeing data behind ${UPGRADE[ctx.protocol]}, or read it as TLS data. Either way no TLS session existed to run the command in.`,
        );
      }
      const plainAnswer = conn.discardedBeforeTls ? ` It answered the injected command in plain text before the handshake ("${quote(conn.discardedBeforeTls.toString('utf8'))}"), which is harmless.` : '';
      const after: string[] = [];
      let closed = false;
      try {
        let line = await conn.readLineWithin(PROBE_LIMITS.injectionAnswerWaitMs);
        while (line !== undefined && after.length < PROBE_LIMITS.injectionMaxLines) {
          after.push(line);
          line = await conn.readLineWithin(PROBE_LIMITS.injectionFollowMs);
        }
      } catch {
        closed = true;
      }
      return judge(ctx.protocol, after, closed, plainAnswer, done);
    },
    (error) => done('inconclusive', `The check could not finish: ${error.message}`),
  );
}

function upgradeAccepted(protocol: ProbeProtocol, line: string): boolean {
  if (protocol === 'imap') return /^a OK\b/i.test(line);
  if (protocol === 'pop3') return /^\+OK\b/i.test(line);
  return /^220[ ]/.test(line) || line === '220';
}

/** An answer to the injected command (NOOP's tagged reply, CAPA's +OK, EHLO's 250). */
function answersInjected(protocol: ProbeProtocol, line: string): boolean {
  if (protocol === 'imap') return /^b (OK|NO|BAD)\b/i.test(line);
  if (protocol === 'pop3') return /^\+OK\b/i.test(line);
  return /^250[ -]/.test(line) || line === '250';
}

/** A server ending the session: what a server that refuses pipelined data behind STARTTLS does. */
function closing(protocol: ProbeProtocol, line: string): boolean {
  if (protocol === 'imap') return /^\* BYE\b/i.test(line);
  if (protocol === 'pop3') return /^-ERR\b/i.test(line);
  return /^421[ -]/.test(line);
}

export function judge(
  protocol: ProbeProtocol,
  after: readonly string[],
  closed: boolean,
  note: string,
  done: (verdict: CommandInjectionVerdict, detail: string) => CommandInjectionCheck,
): CommandInjectionCheck {
  const wait = PROBE_LIMITS.injectionAnswerWaitMs;
  const answered = after.find((l) => answersInjected(protocol, l));
  if (answered !== undefined) {
    return done(
      'vulnerable',
      `Over TLS, the server answered "${quote(answered)}" to the command written in plain text behind ${UPGRADE[protocol]}: it keeps unencrypted input across the handshake, so anyone on the path can run commands inside the encrypted session.${note}`,
    );
  }
  if (after.length && after.every((l) => closing(protocol, l)) && closed) {
    return done('not-vulnerable', `The server refused the data behind ${UPGRADE[protocol]} ("${quote(after[0])}") and closed the connection.${note}`);
  }
  if (after.length) {
    return done('inconclusive', `After the handshake the server sent "${quote(after[0])}" unasked, which does not look like an answer to the injected command.${note}`);
  }
  if (closed) return done('not-vulnerable', `The server closed the connection after the handshake instead of answering the injected command.${note}`);
  return done('not-vulnerable', `The server did not answer the injected command over TLS within ${wait} ms: it dropped the plain-text input at the handshake.${note}`);
}
