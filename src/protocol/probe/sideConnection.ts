/**
 * What the deep STARTTLS checks share: each opens a connection of its own next to the main
 * check, with its own transcript (a fork of the main one), and always ends with a result, never a
 * rejection: a server that misbehaves is a finding, not a crash.
 */
import { MailError } from '../errors';
import type { ProbeProtocol, TranscriptLine } from '../../shared/probeReport';
import type { ConnectionGate } from './connectionGate';
import { ConnectOptions, ProbeConnection, TlsUpgradeOptions } from './connection';
import type { Dialogue } from './dialogue';
import { PROBE_LIMITS } from './limits';
import type { Transcript } from './transcript';

export interface SideCheckContext {
  protocol: ProbeProtocol;
  endpoint: ConnectOptions;
  tls: TlsUpgradeOptions;
  /** The whole side check's time (connect to verdict). */
  timeoutMs: number;
  transcript: Transcript;
  /** A fresh dialogue of the endpoint's protocol (greeting, EHLO). */
  dialogue: Dialogue;
  /** The host's connection cap: a slot is taken before the check's time starts. */
  gate?: ConnectionGate;
}

/** Lines of a side transcript from index `from` on: what decided a verdict. */
export function evidenceFrom(transcript: Transcript, from: number): TranscriptLine[] {
  return transcript.lines.slice(from);
}

/**
 * Runs `body` on a fresh connection within the context's time; the connection is closed however
 * it ends. A timeout or a connection failure becomes `onFailure(error)`.
 */
export async function withSideConnection<T>(ctx: SideCheckContext, body: (conn: ProbeConnection) => Promise<T>, onFailure: (error: MailError) => T): Promise<T> {
  let conn: ProbeConnection | undefined;
  let timer: NodeJS.Timeout | undefined;
  let over = false;
  const release = await ctx.gate?.acquire();
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MailError('Timeout', `${ctx.endpoint.host}:${ctx.endpoint.port} did not finish the check within ${ctx.timeoutMs} ms.`)), ctx.timeoutMs);
    });
    const run = (async () => {
      const c = await ProbeConnection.connect(ctx.endpoint, ctx.transcript);
      // A connect that completes after the deadline must not leave its socket open.
      if (over) c.destroy();
      conn = c;
      return body(c);
    })();
    run.catch(() => undefined); // lost the race: its rejection is expected and already recorded
    return await Promise.race([run, deadline]);
  } catch (err) {
    return onFailure(MailError.is(err) ? err : new MailError('ProtocolError', err instanceof Error ? err.message : String(err)));
  } finally {
    over = true;
    clearTimeout(timer);
    const c = conn as ProbeConnection | undefined;
    c?.destroy();
    if (release) await c?.closed;
    release?.();
  }
}

/**
 * The server's whole answer to one command: IMAP lines up to the one tagged `tag`, SMTP lines up
 * to the last of a reply, POP3 one line. Bounded like every other read of the probe.
 */
export async function readAnswer(conn: ProbeConnection, protocol: ProbeProtocol, tag: string): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 0; i < PROBE_LIMITS.maxLinesPerResponse; i++) {
    const line = await conn.readLine();
    lines.push(line);
    if (protocol === 'pop3') return lines;
    if (protocol === 'imap' && (line.startsWith(`${tag} `) || /^\* BYE\b/i.test(line))) return lines;
    if (protocol === 'smtp' && !/^\d{3}-/.test(line)) return lines;
  }
  throw new MailError('LimitExceeded', `The server sent more than ${PROBE_LIMITS.maxLinesPerResponse} lines in one answer.`);
}
