import { promises as dns } from 'node:dns';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { AccountConfig } from '../account';
import { outdatedTlsError, toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import type { ProtocolLog } from '../log';
import { outdatedTlsVersion } from '../tls/certificate';
import { OUTDATED_TLS_VERSIONS } from '../tls/outdated';
import type { PhaseRecord, ProbePhaseName, ProbeReport } from '../../shared/probeReport';
import { lineArgs, loginDisabled, plaintextLoginOffered, saslMechanisms, starttlsOffered } from './capabilityAnalysis';
import { ProbeConnection } from './connection';
import type { Credentials, Dialogue } from './dialogue';
import { explainCapabilities } from './explanations';
import { ImapDialogue } from './imapDialogue';
import { PROBE_LIMITS } from './limits';
import { Pop3Dialogue } from './pop3Dialogue';
import { SmtpDialogue } from './smtpDialogue';
import { parseProbeUrl, ProbeTarget, targetFromAccount } from './target';
import { describeTlsSession } from './tlsDetails';
import { applyTlsDeepWarnings, runTlsDeep, TLS_DEEP_LIMITS, type TlsDeepLimits } from './tlsDeep';
import { ConnectionGate } from './connectionGate';
import { mergeTranscripts, remapRanges, Transcript } from './transcript';
import { computeWarnings } from './warnings';
import { runDeepStartTlsChecks } from './deepChecks';

export interface ProbeOptions {
  /** Log in to see what changes; `user` defaults to the URL's or account's user. */
  credentials?: { user?: string; password: string; bearer?: boolean };
  /** Time each phase may take (ms). */
  timeoutMs?: number;
  /** Extra trusted CA certificates (PEM), on top of Node's bundled roots. */
  ca?: string[];
  /**
   * Send credentials even when the certificate does not verify or the link is not encrypted
   * (like curl -k). Without it the login phase is skipped and says why.
   */
  insecure?: boolean;
  /** Local address to connect from (e.g. 127.0.0.2 so a loopback server does not trust us as local). */
  localAddress?: string;
  /** Receives each transcript line (already masked) at trace level. */
  log?: ProtocolLog;
  /** Greeting slower than this (ms) gets a warning; default PROBE_LIMITS.slowGreetingMs. */
  slowGreetingMs?: number;
  /** POP3: the account's leave-on-server days, compared with EXPIRE. */
  leaveOnServerDays?: number;
  /** Called as each phase ends (progress display). */
  onPhase?: (phase: PhaseRecord) => void;
  /**
   * Where to connect for a host name and port, instead of the system resolver (discovery tests map
   * `imap.example.test:993` to a loopback server this way). Its failure fails the dns phase.
   */
  dial?: (host: string, port: number) => Promise<{ address: string; port: number }>;
  /**
   * On a plain (STARTTLS) port, also play the attacker, each on a connection of its own run
   * alongside the phases: STARTTLS command injection, and whether a (random, wrong) password is
   * taken before TLS. Off by default: both look like attacks to the server's monitoring, and a
   * wrong password counts toward lockouts (fail2ban) and waits out auth failure delays.
   */
  deep?: boolean;
  /**
   * Also run the TLS deep check (versions, suites, chain as served, OCSP, ALPN): many more
   * connections, so only when asked (`mailroom-check --tls`, the editor's deep check).
   */
  tlsDeep?: boolean | TlsDeepLimits;
  /**
   * The host's connection cap, shared by the checks of one run (a scan's endpoints, URLs of one
   * host). With `tlsDeep` and none given, the check makes its own of TLS_DEEP_LIMITS.connectionsPerHost.
   */
  connectionGate?: ConnectionGate;
  /** Receives the certificate chain the server sent (DER, leaf first) after each handshake (the domain check compares it with TLSA records). */
  onCertificateChain?: (chain: Buffer[]) => void;
}

export type ProbeInput = string | ProbeTarget | AccountConfig;

const PHASE_WAITING_FOR: Record<ProbePhaseName, string> = {
  dns: 'the host name lookup',
  connect: 'the TCP connection',
  greeting: 'the greeting',
  capabilities: 'the capability list',
  starttls: 'the answer to STARTTLS',
  tls: 'the TLS handshake',
  capabilitiesAfterTls: 'the capability list after TLS',
  login: 'the answer to the login',
  capabilitiesAfterLogin: 'the capability list after login',
  logout: 'the answer to LOGOUT/QUIT',
};

class PhaseFailure extends Error {
  constructor(readonly phase: ProbePhaseName, readonly error: MailError) {
    super(error.message);
  }
}

export function toTarget(input: ProbeInput): { target: ProbeTarget; allowPlaintext: boolean; leaveOnServerDays?: number } {
  if (typeof input === 'string') return { target: parseProbeUrl(input), allowPlaintext: false };
  if ('scheme' in input) return { target: input, allowPlaintext: false };
  return { target: targetFromAccount(input), allowPlaintext: input.allowPlaintextPassword === true, ...leaveOnServerPolicy(input) };
}

/** POP3 accounts: how long the account means to keep mail on the server (Infinity: for good). */
function leaveOnServerPolicy(account: AccountConfig): { leaveOnServerDays?: number } {
  if (account.protocol !== 'pop3') return {};
  const a = account as AccountConfig & { leaveOnServer?: boolean; deleteFromServerAfterDays?: number };
  if (a.leaveOnServer === false) return {};
  return { leaveOnServerDays: typeof a.deleteFromServerAfterDays === 'number' ? a.deleteFromServerAfterDays : Number.POSITIVE_INFINITY };
}

function dialogueFor(target: ProbeTarget): Dialogue {
  if (target.protocol === 'imap') return new ImapDialogue();
  if (target.protocol === 'pop3') return new Pop3Dialogue();
  return new SmtpDialogue();
}

/**
 * Checks one endpoint phase by phase and returns the report. Server misbehaviour never throws:
 * the report names the phase that failed. Only input that names no endpoint (a bad URL) throws.
 */
export async function probeEndpoint(input: ProbeInput, options: ProbeOptions = {}): Promise<ProbeReport> {
  const { target, allowPlaintext, leaveOnServerDays } = toTarget(input);
  const timeoutMs = options.timeoutMs ?? PROBE_LIMITS.phaseTimeoutMs;
  const transcript = new Transcript(options.log);
  transcript.addSecret(options.credentials?.password);
  const credentials: Credentials | undefined =
    options.credentials && (options.credentials.user ?? target.user)
      ? {
        user: (options.credentials.user ?? target.user)!,
        password: options.credentials.password,
        // The token is a password for all the probe's precautions (never before TLS, masked).
        ...(options.credentials.bearer ? { bearer: { host: target.host, port: target.port } } : {}),
      }
      : undefined;
  const dialogue = dialogueFor(target);
  const started = Date.now();
  const report: ProbeReport = {
    url: target.url,
    protocol: target.protocol,
    scheme: target.scheme,
    host: target.host,
    port: target.port,
    startedAt: new Date(started).toISOString(),
    totalMs: 0,
    connect: { ok: false, ms: 0 },
    greeting: { ok: false },
    tls: { mode: target.tls === 'implicit' ? 'implicit' : 'none', ok: false },
    capabilities: { beforeTls: null, afterTls: null, afterLogin: null },
    auth: { mechanisms: [], apop: false, loginDisabled: false, plaintextBeforeTls: false, login: { attempted: false } },
    warnings: [],
    explanations: [],
    phases: [],
  };
  const endpoint = { host: target.host, port: target.port };

  const record = (phase: PhaseRecord): void => {
    report.phases.push(phase);
    options.onPhase?.(phase);
  };
  const phase = async <T>(name: ProbePhaseName, fn: () => Promise<T>, ms = timeoutMs): Promise<T> => {
    const t0 = Date.now();
    const from = transcript.lines.length;
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new MailError('Timeout', `${target.host}:${target.port} did not complete ${PHASE_WAITING_FOR[name]} within ${ms} ms.`)),
          ms,
        );
      });
      const value = await Promise.race([fn(), deadline]);
      record({ name, ok: true, ms: Date.now() - t0, lines: [from, transcript.lines.length] });
      return value;
    } catch (err) {
      const error = toMailError(err, endpoint);
      record({ name, ok: false, ms: Date.now() - t0, lines: [from, transcript.lines.length], error: { code: error.code, message: transcript.mask(error.message) } });
      throw new PhaseFailure(name, error);
    } finally {
      clearTimeout(timer);
    }
  };
  const skip = (name: ProbePhaseName, why: string): void => record({ name, ok: true, ms: 0, lines: [transcript.lines.length, transcript.lines.length], skipped: why });

  let conn: ProbeConnection | undefined;
  let deep: ReturnType<typeof runDeepStartTlsChecks> | undefined;
  const gate = options.connectionGate ?? (options.tlsDeep ? new ConnectionGate(TLS_DEEP_LIMITS.connectionsPerHost) : undefined);
  const release = await gate?.acquire();
  try {
    // DNS and connect
    let address = target.host;
    let port = target.port;
    if (options.dial) {
      const t0 = Date.now();
      const where = await phase('dns', () => options.dial!(target.host, target.port));
      ({ address, port } = where);
      report.connect.dnsMs = Date.now() - t0;
      transcript.add('*', `${target.host}:${target.port} is reached at ${address}:${port}`);
    } else if (net.isIP(target.host)) {
      skip('dns', 'the host is an IP address');
    } else {
      const t0 = Date.now();
      const found = await phase('dns', () => dns.lookup(target.host, { all: true }));
      if (!found.length) throw new PhaseFailure('dns', new MailError('HostNotFound', `The host name ${target.host} has no address.`));
      address = found[0].address;
      report.connect.dnsMs = Date.now() - t0;
      transcript.add('*', `${target.host} resolves to ${found.map((a) => a.address).join(', ')}`);
    }
    const tConnect = Date.now();
    report.connect.address = address;
    conn = await phase('connect', () => ProbeConnection.connect({ host: target.host, address, port, localAddress: options.localAddress }, transcript));
    const c = conn;
    report.connect = { ...report.connect, ok: true, ms: Date.now() - tConnect };
    if (options.deep && target.tls !== 'implicit') {
      deep = runDeepStartTlsChecks({
        protocol: target.protocol,
        endpoint: { host: target.host, address, port, localAddress: options.localAddress },
        tls: { servername: net.isIP(target.host) ? undefined : target.host, ca: options.ca, alpn: [dialogue.alpn] },
        timeoutMs,
        transcript,
        dialogue: () => dialogueFor(target),
        gate,
      });
    }

    const startTls = async (): Promise<void> => {
      const t0 = Date.now();
      const socket = await phase('tls', () => c.startTls({ servername: net.isIP(target.host) ? undefined : target.host, ca: options.ca, alpn: [dialogue.alpn] }));
      report.tls = { ...report.tls, ok: true, ms: Date.now() - t0, ...describeTlsSession(socket, target.host, target.trustedCertificateSha256) };
      if (c.discardedBeforeTls) {
        report.starttls = { ...report.starttls, responseInjection: { bytes: c.discardedBeforeTls.length, text: c.discardedBeforeTls.subarray(0, PROBE_LIMITS.maxQuotedChars).toString('utf8') } };
      }
      if (options.onCertificateChain) options.onCertificateChain(peerChainDer(socket));
    };

    if (target.tls === 'implicit') await startTls();

    const tGreeting = Date.now();
    const greeting = await phase('greeting', () => dialogue.greeting(c));
    report.greeting = { ok: true, ms: Date.now() - tGreeting, ...greeting };

    const implicit = target.tls === 'implicit';
    const firstCaps = await phase('capabilities', async () => {
      const caps = await dialogue.capabilities(c);
      if (implicit || !starttlsOffered(target.protocol, caps)) await identify(dialogue, c, caps, report);
      return caps;
    });
    let loginCaps = firstCaps;
    if (implicit) {
      report.capabilities.afterTls = firstCaps;
    } else {
      report.capabilities.beforeTls = firstCaps;
      const offered = starttlsOffered(target.protocol, firstCaps);
      report.tls.starttlsOffered = offered;
      if (report.greeting.preauth) {
        // RFC 9051 6.2.1: STARTTLS is only allowed before authentication, which PREAUTH skipped.
        skip('starttls', 'the server greeted with PREAUTH: the session is already logged in, and STARTTLS is only allowed before that');
      } else if (offered) {
        report.tls.mode = 'starttls';
        report.tls.starttlsResponse = await phase('starttls', () => dialogue.starttls(c));
        await startTls();
        loginCaps = await phase('capabilitiesAfterTls', async () => {
          const caps = await dialogue.capabilities(c);
          await identify(dialogue, c, caps, report);
          return caps;
        });
        report.capabilities.afterTls = loginCaps;
      } else {
        skip('starttls', `the server does not offer ${target.protocol === 'pop3' ? 'STLS' : 'STARTTLS'}`);
      }
    }
    report.auth.mechanisms = saslMechanisms(target.protocol, loginCaps);

    const why = loginBlocker(report, credentials, allowPlaintext || options.insecure === true, options.insecure === true, loginCaps);
    if (why || !credentials) {
      report.auth.login = { attempted: false, skipped: why ?? 'no credentials given' };
      skip('login', report.auth.login.skipped!);
    } else {
      report.auth.login = { attempted: true };
      const result = await phase('login', () => dialogue.login(c, credentials, loginCaps, transcript)).catch((err: unknown) => {
        if (err instanceof PhaseFailure) report.auth.login = { attempted: true, ok: false, error: { code: err.error.code, message: transcript.mask(err.error.message) } };
        throw err;
      });
      report.auth.login = { attempted: true, ok: true, method: result.method };
      report.capabilities.afterLogin = await phase('capabilitiesAfterLogin', () => dialogue.capabilitiesAfterLogin(c));
    }
    await phase('logout', () => dialogue.logout(c), Math.min(timeoutMs, PROBE_LIMITS.logoutTimeoutMs)).catch(() => undefined);
  } catch (err) {
    const failure = err instanceof PhaseFailure ? err : new PhaseFailure('connect', toMailError(err, endpoint));
    // A server that hangs up on LOGOUT/QUIT has still answered everything that matters.
    if (failure.phase !== 'logout') {
      report.failedPhase = failure.phase;
      report.error = { code: failure.error.code, message: transcript.mask(failure.error.message) };
      if (failure.phase === 'connect' || failure.phase === 'dns') report.connect.error = report.error.message;
      if (failure.phase === 'tls' || failure.phase === 'starttls') report.tls.error = report.error;
      if (failure.phase === 'tls') {
        // One more connection: the host's cap counts it, so the first is closed before it opens.
        conn?.destroy();
        await conn?.closed;
        await measureOutdatedTls(report, target, timeoutMs);
      }
    }
  } finally {
    conn?.destroy();
    // The slot is free once the server can see the connection gone, not when it was asked to close.
    if (release) await conn?.closed;
    release?.();
  }
  // The TLS deep check starts once the main connection is done (its phase timings stay its own)
  // and runs while the deep STARTTLS probes finish: the plaintext-login probe mostly waits out
  // the server's delay after a failed login, which the handshakes need not wait for.
  const limits = typeof options.tlsDeep === 'object' ? options.tlsDeep : undefined;
  const tlsDeep = options.tlsDeep ? runTlsDeep(report, target, () => dialogueFor(target), { ca: options.ca, localAddress: options.localAddress, timeoutMs, limits, gate }) : undefined;
  const side = deep ? await deep : undefined;
  if (side) report.starttls = { ...report.starttls, ...side.findings };
  if (tlsDeep) report.tlsDeep = await tlsDeep;
  finish(report, { ...options, leaveOnServerDays: options.leaveOnServerDays ?? leaveOnServerDays });
  report.totalMs = Date.now() - started;
  report.transcript = transcript.lines;
  if (side) {
    // Phases recorded their lines as indexes into the main transcript: point them into the merged one.
    report.transcript = mergeTranscripts(transcript.lines, side.lines);
    const ranged = report.phases.filter((p): p is PhaseRecord & { lines: [number, number] } => p.lines !== undefined);
    remapRanges(ranged.map((p) => p.lines), transcript.lines, report.transcript).forEach((range, i) => (ranged[i].lines = range));
  }
  return report;
}

/** The DER of each certificate the server sent, leaf first (bounded like the report's chain). */
function peerChainDer(socket: tls.TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && out.length < PROBE_LIMITS.maxChainLength && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return out;
}

/**
 * A handshake that failed may be a server speaking only TLS 1.0/1.1, which the probe (like
 * Mailroom) does not offer. One more handshake allowing them names the version: the report then
 * says `tls-outdated` with it, instead of a bare handshake failure.
 */
async function measureOutdatedTls(report: ProbeReport, target: ProbeTarget, timeoutMs: number): Promise<void> {
  const endpoint = { protocol: target.protocol, host: report.connect.address ?? target.host, port: target.port, security: target.tls === 'implicit' ? ('tls' as const) : ('starttls' as const) };
  const version = await outdatedTlsVersion(endpoint, Math.min(timeoutMs, PROBE_LIMITS.phaseTimeoutMs));
  if (!version || !OUTDATED_TLS_VERSIONS.has(version)) return;
  report.tls.version = version;
  const error = outdatedTlsError({ host: target.host, port: target.port }, undefined, version);
  report.error = { code: error.code, message: error.message };
  report.tls.error = report.error;
}

/** IMAP ID, asked once on the link that login would use; its failure does not fail the probe. */
async function identify(dialogue: Dialogue, conn: ProbeConnection, caps: readonly string[], report: ProbeReport): Promise<void> {
  if (!dialogue.identify) return;
  const implementation = await dialogue.identify(conn, caps);
  if (implementation) report.greeting.implementation = implementation;
}

/** Why credentials must not be sent here, or undefined when they may. */
function loginBlocker(report: ProbeReport, credentials: Credentials | undefined, plaintextAllowed: boolean, insecure: boolean, caps: readonly string[]): string | undefined {
  if (!credentials) return 'no credentials given';
  if (report.greeting.preauth) return 'the server greeted with PREAUTH: the session is already authenticated';
  if (!report.tls.ok && !plaintextAllowed) return 'the link is not encrypted, so the password was not sent (allow it with --insecure)';
  const trusted = report.tls.authorized === true || report.tls.pinned === true;
  if (report.tls.ok && !trusted && !insecure) {
    return `the certificate did not verify (${report.tls.authorizationError ?? 'unknown reason'}), so the password was not sent (allow it with --insecure)`;
  }
  const mechanisms = saslMechanisms(report.protocol, caps);
  if (loginDisabled(report.protocol, caps) && !mechanisms.includes('PLAIN')) return 'the server lists LOGINDISABLED';
  if (report.protocol === 'smtp' && !mechanisms.includes('PLAIN') && !mechanisms.includes('LOGIN')) {
    return mechanisms.length ? `the server offers no password mechanism the probe speaks (${mechanisms.join(' ')})` : 'the server offers no AUTH here';
  }
  return undefined;
}

function finish(report: ProbeReport, options: ProbeOptions): void {
  const { beforeTls, afterTls, afterLogin } = report.capabilities;
  const all = [...(beforeTls ?? []), ...(afterTls ?? []), ...(afterLogin ?? [])];
  report.auth.apop = report.greeting.apopTimestamp !== undefined;
  report.auth.loginDisabled = loginDisabled(report.protocol, beforeTls ?? afterTls ?? []);
  // A PREAUTH session is logged in already: no login is offered at all, in plain text or not.
  report.auth.plaintextBeforeTls = !report.greeting.preauth && beforeTls !== null && beforeTls.length > 0 && plaintextLoginOffered(report.protocol, beforeTls);
  if (report.protocol === 'pop3') {
    const caps = afterLogin ?? afterTls ?? beforeTls ?? [];
    const expire = lineArgs(caps, 'EXPIRE');
    const loginDelay = lineArgs(caps, 'LOGIN-DELAY');
    report.pop3 = { ...(expire !== undefined ? { expire } : {}), ...(loginDelay !== undefined ? { loginDelay } : {}) };
    const implementation = lineArgs(caps, 'IMPLEMENTATION');
    if (implementation) report.greeting.implementation = implementation;
  }
  if (all.length || report.greeting.ok) report.explanations = explainCapabilities(report.protocol, all);
  report.warnings = computeWarnings(report, { slowGreetingMs: options.slowGreetingMs, leaveOnServerDays: options.leaveOnServerDays });
  applyTlsDeepWarnings(report);
}
