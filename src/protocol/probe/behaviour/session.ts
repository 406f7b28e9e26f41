import { promises as dns } from 'node:dns';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { MailError } from '../../errors';
import type { ProtocolLog } from '../../log';
import type { TranscriptLine } from '../../../shared/probeReport';
import { starttlsOffered } from '../capabilityAnalysis';
import { ProbeConnection } from '../connection';
import type { Credentials, Dialogue } from '../dialogue';
import type { ProbeTarget } from '../target';
import { describeTlsSession } from '../tlsDetails';
import { Transcript } from '../transcript';

/** Every wait of the behaviour suite, in one place. */
export const BEHAVIOUR_LIMITS = {
  /** The whole suite, checks and cleanup, unless the caller gives another budget. */
  budgetMs: 120_000,
  /** One command (or connect, greeting, handshake) unless the caller gives --timeout. */
  commandTimeoutMs: 10_000,
  /** How long IDLE may take to report a message appended from another session. */
  idleWaitMs: 5_000,
  /** Removing the scratch folders on a new connection after a failure: its own budget. */
  cleanupMs: 15_000,
  /** Transcript lines kept as one check's evidence; the rest is counted, not shown. */
  maxEvidenceLines: 60,
} as const;

export interface BehaviourOptions {
  credentials: { user?: string; password: string; bearer?: boolean };
  /** One command's timeout (ms). */
  timeoutMs?: number;
  /** The whole suite's time budget (ms), cleanup included. */
  budgetMs?: number;
  /** IDLE: how long a new message may take to be announced (ms). */
  idleWaitMs?: number;
  ca?: string[];
  /** Send the password without TLS or with a certificate that does not verify. */
  insecure?: boolean;
  localAddress?: string;
  /** POP3: allow DELE (always undone by RSET, or on the check's own message). */
  allowDele?: boolean;
  /** POP3: the same account's IMAP endpoint, to put a message of the check's own in the maildrop. */
  imap?: ProbeTarget;
  log?: ProtocolLog;
  dial?: (host: string, port: number) => Promise<{ address: string; port: number }>;
}

/**
 * The suite's clock: each wait is bounded by its own timeout and by what is left of the budget.
 * When the budget runs out every open connection is destroyed, so nothing waits past it.
 */
export class Budget {
  private readonly deadline: number;
  private readonly open = new Set<ProbeConnection>();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly budgetMs: number, readonly commandMs: number) {
    this.deadline = Date.now() + budgetMs;
    this.timer = setTimeout(() => this.expire(), budgetMs);
  }

  get expired(): boolean {
    return Date.now() >= this.deadline;
  }

  track(conn: ProbeConnection): void {
    this.open.add(conn);
  }

  release(conn: ProbeConnection): void {
    conn.destroy();
    this.open.delete(conn);
  }

  private expire(): void {
    for (const conn of this.open) conn.destroy();
    this.open.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.expire();
  }

  /** `work` bounded by `ms` (default: one command's timeout) and by the budget. */
  async bound<T>(work: Promise<T>, what: string, ms = this.commandMs): Promise<T> {
    const left = this.deadline - Date.now();
    if (left <= 0) throw budgetError(this.budgetMs);
    const wait = Math.min(ms, left);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(wait < ms ? budgetError(this.budgetMs) : new MailError('Timeout', `The server did not answer ${what} within ${ms} ms.`)), wait);
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (err) {
      // The budget's end closes every connection: say so, not "connection closed".
      throw this.expired ? budgetError(this.budgetMs) : err;
    } finally {
      clearTimeout(timer);
    }
  }
}

function budgetError(ms: number): MailError {
  return new MailError('Timeout', `The behaviour checks ran out of their ${ms} ms budget.`);
}

/** A transcript that writes into the suite's transcript with a session label ("[a] ", "[b] "). */
export class SessionTranscript extends Transcript {
  constructor(private readonly shared: Transcript, private readonly sessionLabel: string) {
    super();
  }

  override addSecret(secret: string | undefined): void {
    this.shared.addSecret(secret);
  }

  override addBase64Secret(payload: string): void {
    this.shared.addBase64Secret(payload);
  }

  override mask(text: string): string {
    return this.shared.mask(text);
  }

  override add(dir: TranscriptLine['dir'], text: string): void {
    this.shared.add(dir, `[${this.sessionLabel}] ${text}`);
  }
}

export interface OpenSession {
  conn: ProbeConnection;
  /** Capabilities once logged in (IMAP) or CAPA after login (POP3). */
  caps: string[];
}

/**
 * Connects, starts TLS (implicit, or STARTTLS/STLS when offered) and logs in with the probe's own
 * dialogue. Credentials go only over TLS with a verified (or pinned) certificate unless `insecure`.
 */
export async function openSession(target: ProbeTarget, options: BehaviourOptions, dialogue: Dialogue, transcript: Transcript, budget: Budget): Promise<OpenSession> {
  let address = target.host;
  let port = target.port;
  if (options.dial) ({ address, port } = await budget.bound(options.dial(target.host, target.port), 'the host lookup'));
  else if (!net.isIP(target.host)) address = (await budget.bound(dns.lookup(target.host), 'the host lookup')).address;
  const connecting = ProbeConnection.connect({ host: target.host, address, port, localAddress: options.localAddress }, transcript);
  // A connection that completes after its wait ended is closed at once, not left open.
  const conn = await budget.bound(connecting, 'the connection').catch((err: unknown) => {
    void connecting.then((late) => late.destroy(), () => undefined);
    throw err;
  });
  budget.track(conn);
  try {
    const tlsOptions = { servername: net.isIP(target.host) ? undefined : target.host, ca: options.ca, alpn: [dialogue.alpn] };
    let socket: tls.TLSSocket | undefined;
    if (target.tls === 'implicit') socket = await budget.bound(conn.startTls(tlsOptions), 'the TLS handshake');
    await budget.bound(dialogue.greeting(conn), 'with a greeting');
    let caps = await budget.bound(dialogue.capabilities(conn), 'the capability request');
    if (!socket && starttlsOffered(target.protocol, caps)) {
      await budget.bound(dialogue.starttls(conn), 'STARTTLS');
      socket = await budget.bound(conn.startTls(tlsOptions), 'the TLS handshake');
      caps = await budget.bound(dialogue.capabilities(conn), 'the capability request');
    }
    if (!options.insecure) {
      if (!socket) throw new MailError('InsecureAuthRefused', `${target.url} is not encrypted, so the password was not sent (allow it with --insecure).`);
      const details = describeTlsSession(socket, target.host, target.trustedCertificateSha256);
      if (details.authorized !== true && details.pinned !== true) {
        throw new MailError('CertificateUntrusted', `The certificate of ${target.url} did not verify (${details.authorizationError ?? 'unknown reason'}), so the password was not sent (allow it with --insecure).`);
      }
    }
    const user = options.credentials.user ?? target.user;
    if (!user) throw new MailError('InvalidAccount', 'The behaviour checks need a user name (--user, or a user in the URL).');
    const credentials: Credentials = {
      user,
      password: options.credentials.password,
      ...(options.credentials.bearer ? { bearer: { host: target.host, port: target.port } } : {}),
    };
    await budget.bound(dialogue.login(conn, credentials, caps, transcript), 'the login');
    caps = (await budget.bound(dialogue.capabilitiesAfterLogin(conn), 'the capability request')) ?? caps;
    return { conn, caps };
  } catch (err) {
    budget.release(conn);
    throw err;
  }
}

/**
 * The lines from index `from` on, as one check's evidence. When there are too many (message
 * bodies, header dumps), every command and event is kept with the first line answering it, and
 * the rest is counted.
 */
export function evidenceSince(transcript: Transcript, from: number): TranscriptLine[] {
  const lines = transcript.lines.slice(from);
  const max = BEHAVIOUR_LIMITS.maxEvidenceLines;
  if (lines.length <= max) return lines;
  const kept: TranscriptLine[] = [];
  let left = 0;
  lines.forEach((line, i) => {
    const keep = line.dir !== 'S' || lines[i - 1]?.dir !== 'S' || i >= lines.length - 5;
    if (keep && kept.length < 3 * max) {
      if (left) kept.push({ t: line.t, dir: '*', text: `(${left} lines left out)` });
      left = 0;
      kept.push(line);
    } else left++;
  });
  if (left) kept.push({ t: lines[lines.length - 1].t, dir: '*', text: `(${left} lines left out)` });
  return kept;
}
