/**
 * A server check's report (the `mailroom-check --json` shape) and the typed protocol between the
 * extension host and the report webview. Both sides import this file; it holds types and pure
 * validators only (no vscode, no DOM, no Node).
 */
import type { TlsDeepReport } from './tlsDeepReport';

export type ProbeProtocol = 'imap' | 'pop3' | 'smtp';
/** URL schemes the probe understands; `submission` is SMTP on 587 with STARTTLS. */
export type ProbeScheme = 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'smtp' | 'smtps' | 'submission';
export type TlsMode = 'implicit' | 'starttls' | 'none';

/** Phases in the order they run; a report names the one that failed. */
export type ProbePhaseName =
  | 'dns'
  | 'connect'
  | 'greeting'
  | 'capabilities'
  | 'starttls'
  | 'tls'
  | 'capabilitiesAfterTls'
  | 'login'
  | 'capabilitiesAfterLogin'
  | 'logout';

export interface PhaseRecord {
  name: ProbePhaseName;
  ok: boolean;
  ms: number;
  /** The transcript lines written while the phase ran: indexes from (inclusive) to (exclusive). */
  lines?: [number, number];
  /** Why the phase did not run (e.g. login without credentials). */
  skipped?: string;
  error?: ProbeError;
}

export interface ProbeError {
  /** A MailErrorCode: Timeout, ConnectionClosed, ProtocolError, TlsFailed ... */
  code: string;
  message: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  /** Subject alternative names as Node prints them: "DNS:localhost, IP Address:127.0.0.1". */
  san: string;
  sha256: string;
  /** Whole days until validTo, rounded toward zero; negative once expired more than a day ago. */
  daysToExpiry: number;
  /** validTo has passed. */
  expired: boolean;
  selfSigned: boolean;
}

export interface TlsReport {
  mode: TlsMode;
  /** A TLS session was established. */
  ok: boolean;
  /** STARTTLS/STLS was listed before TLS (plain ports only). */
  starttlsOffered?: boolean;
  /** The server's reply to STARTTLS/STLS, as sent. */
  starttlsResponse?: string;
  ms?: number;
  version?: string;
  cipher?: string;
  alpn?: string | null;
  /** The chain verified against the trust store (and any extra CAs) and the host name matched. */
  authorized?: boolean;
  /** The exact OpenSSL/Node reason when not authorized, e.g. CERT_HAS_EXPIRED. */
  authorizationError?: string;
  /** A sentence saying what authorizationError means. */
  authorizationReason?: string;
  hostnameMatch?: boolean;
  /** Why the host name does not match, as tls.checkServerIdentity says it. */
  hostnameError?: string;
  /** The leaf matches the account's trusted (pinned) certificate. */
  pinned?: boolean;
  certificate?: CertificateInfo;
  /** Leaf first, then issuers as far as known. */
  chain?: CertificateInfo[];
  error?: ProbeError;
}

export interface CapabilitySets {
  /** On the unencrypted link (null: implicit TLS, or not reached). */
  beforeTls: string[] | null;
  afterTls: string[] | null;
  afterLogin: string[] | null;
}

export interface LoginResult {
  attempted: boolean;
  ok?: boolean;
  /** How credentials were sent: LOGIN, AUTHENTICATE PLAIN, USER/PASS, AUTH PLAIN ... */
  method?: string;
  skipped?: string;
  error?: ProbeError;
}

export interface AuthReport {
  /** SASL mechanisms offered when login would happen (after TLS when there is TLS). */
  mechanisms: string[];
  /** POP3: the greeting carries an APOP timestamp. */
  apop: boolean;
  /** IMAP: LOGINDISABLED was listed on the unencrypted link. */
  loginDisabled: boolean;
  /** Plaintext login (IMAP LOGIN/AUTH=PLAIN, POP3 USER, SMTP AUTH PLAIN/LOGIN) offered before TLS. */
  plaintextBeforeTls: boolean;
  login: LoginResult;
}

export interface GreetingReport {
  ok: boolean;
  ms?: number;
  /** The greeting as sent (SMTP multi-line greetings joined with "\n"). */
  banner?: string;
  /** POP3 APOP timestamp "<...@...>". */
  apopTimestamp?: string;
  /** IMAP ID name/version, POP3 IMPLEMENTATION. */
  implementation?: string;
  /** IMAP PREAUTH greeting: already logged in. */
  preauth?: boolean;
}

export interface Pop3Policy {
  /** EXPIRE argument as sent: days, "NEVER", possibly followed by "USER". */
  expire?: string;
  /** LOGIN-DELAY argument as sent: seconds, possibly followed by "USER". */
  loginDelay?: string;
}

export interface ProbeWarning {
  code: WarningCode;
  message: string;
}

/** Stable warning codes; tests and scripts match on these, never on the message. */
export type WarningCode =
  | 'plaintext-auth-unencrypted'
  | 'no-starttls'
  /** IMAP greeted with PREAUTH on an unencrypted link: logged in before TLS could start. */
  | 'preauth'
  | 'capabilities-changed-after-tls'
  | 'tls-outdated'
  | 'certificate-expiring'
  | 'certificate-expired'
  | 'certificate-self-signed'
  | 'certificate-wrong-host'
  | 'certificate-untrusted'
  | 'greeting-slow'
  | 'pop3-no-uidl'
  | 'pop3-expire-conflict'
  /** The server sent bytes behind its STARTTLS answer, before the handshake (discarded). */
  | 'starttls-response-injection'
  /** The server answered, over TLS, a command written in plain text behind STARTTLS (CVE-2011-0411 class). */
  | 'starttls-command-injection'
  /** A deliberately wrong password sent before TLS was checked (and rejected) rather than refused. */
  | 'plaintext-auth-accepted'
  /** TLS deep check only (see src/protocol/probe/tlsDeep/explanations.ts). */
  | TlsDeepWarningCode;

export type TlsDeepWarningCode =
  | 'tls-old-protocol'
  | 'tls-weak-cipher'
  | 'tls-chain-incomplete'
  | 'tls-chain-order'
  | 'tls-intermediate-expired'
  | 'tls-cert-expiring'
  | 'tls-key-weak'
  | 'tls-name-mismatch';

/**
 * What the STARTTLS checks found on a plain port. `responseInjection` comes from the check's own
 * upgrade; the other two only with `deep`, each on a connection of its own, run alongside.
 */
export interface StartTlsFindings {
  /** Bytes that followed the STARTTLS answer in plain text; discarded, never read as TLS data. */
  responseInjection?: { bytes: number; text: string };
  commandInjection?: CommandInjectionCheck;
  plaintextAuth?: PlaintextAuthCheck;
}

/**
 * `vulnerable`: a command written behind STARTTLS in the same packet was answered over TLS.
 * `not-vulnerable`: it was not (silence, or the server refused and closed). `not-applicable`:
 * the upgrade did not happen (refused, PREAUTH). `inconclusive`: anything else, in `detail`.
 */
export type CommandInjectionVerdict = 'vulnerable' | 'not-vulnerable' | 'not-applicable' | 'inconclusive';

export interface CommandInjectionCheck {
  verdict: CommandInjectionVerdict;
  /** What the server did, in one or two sentences. */
  detail: string;
  /** The one write: the upgrade command and the injected one, as sent. */
  sent: string[];
  /** The transcript lines that decided the verdict. */
  evidence: TranscriptLine[];
  ms: number;
}

/**
 * A random user and password (never the user's) sent before TLS. `accepted`: the server checked
 * them and said they are wrong, so it takes passwords in the clear. `logged-in`: it even let them
 * in. `refused`: it wants TLS first (PRIVACYREQUIRED, 530/538, "plaintext disallowed").
 * `not-offered`: no such command before TLS. `not-applicable`: PREAUTH. `inconclusive`: otherwise.
 */
export type PlaintextAuthVerdict = 'accepted' | 'logged-in' | 'refused' | 'not-offered' | 'not-applicable' | 'inconclusive';

export interface PlaintextAuthCheck {
  verdict: PlaintextAuthVerdict;
  /** LOGIN, USER/PASS, AUTH PLAIN. */
  method: string;
  /** The server's answer that decided it. */
  answer?: string;
  detail: string;
  evidence: TranscriptLine[];
  ms: number;
}

export interface CapabilityExplanation {
  /** The capability as Mailroom names it (IDLE, UIDL, AUTH ...). */
  capability: string;
  offered: boolean;
  /** What it means for Mailroom. */
  meaning: string;
}

export interface ConnectReport {
  ok: boolean;
  ms: number;
  /** The address actually connected to. */
  address?: string;
  dnsMs?: number;
  error?: string;
}

/**
 * Version of the report's JSON shape (docs/check-report.schema.json). New optional fields and new
 * warning codes keep the version; removing or renaming a field, or changing what one means, bumps it.
 */
export const CHECK_REPORT_SCHEMA_VERSION = 1;
/** The schema's `$id`, which every report written as JSON names in `$schema`. */
export const CHECK_REPORT_SCHEMA_ID = 'https://example.invalid/mailroom/schemas/check-report-1.schema.json';

export interface ProbeReport {
  /** Set on reports written as JSON: CHECK_REPORT_SCHEMA_ID. */
  $schema?: string;
  /** Set on reports written as JSON: CHECK_REPORT_SCHEMA_VERSION. */
  schemaVersion?: number;
  url: string;
  protocol: ProbeProtocol;
  scheme: ProbeScheme;
  host: string;
  port: number;
  /** ISO 8601 start time. */
  startedAt: string;
  totalMs: number;
  connect: ConnectReport;
  greeting: GreetingReport;
  tls: TlsReport;
  capabilities: CapabilitySets;
  auth: AuthReport;
  pop3?: Pop3Policy;
  /** STARTTLS ports only: response injection seen, and with `deep` the injection and plaintext checks. */
  starttls?: StartTlsFindings;
  warnings: ProbeWarning[];
  explanations: CapabilityExplanation[];
  phases: PhaseRecord[];
  /** The phase that failed; absent when every phase that ran succeeded. */
  failedPhase?: ProbePhaseName;
  error?: ProbeError;
  /** The dialogue, credentials masked. Left out of `--json` unless asked for. */
  transcript?: TranscriptLine[];
  /** Versions, suites, chain, OCSP and ALPN, when the deep check was asked for (`--tls`). */
  tlsDeep?: TlsDeepReport;
  /** Opt-in behaviour checks on a test account (`mailroom-check --behaviour`). */
  behaviour?: BehaviourReport;
}

export type BehaviourOutcome = 'pass' | 'fail' | 'skipped';

/** One behaviour check: what was tried, how it came out, and the transcript lines that decided it. */
export interface BehaviourCheck {
  /** Stable id, e.g. `imap.append-fetch`, `pop3.rset-undoes-dele`; scripts match on these. */
  id: string;
  title: string;
  outcome: BehaviourOutcome;
  /** Why it failed or was skipped, or what passing showed. */
  detail: string;
  ms: number;
  /** The lines this check sent and read (credentials masked), bounded. */
  evidence: TranscriptLine[];
}

export interface BehaviourReport {
  protocol: ProbeProtocol;
  startedAt: string;
  totalMs: number;
  /** The whole suite's time budget (ms). */
  budgetMs: number;
  checks: BehaviourCheck[];
  /** IMAP: the scratch folders the check created, and whether every one was removed again. */
  scratch?: { folders: string[]; removed: boolean; detail?: string };
  /** POP3: the message the check put in the maildrop over IMAP, and whether it was removed again. */
  ownMessage?: { where: string; removed: boolean; detail?: string };
  /** The suite could not start (no login, no TLS...) or stopped early. */
  error?: ProbeError;
}

export interface TranscriptLine {
  /** Milliseconds since the probe started. */
  t: number;
  /** C: client to server, S: server to client, *: what happened (connect, TLS, close). */
  dir: 'C' | 'S' | '*';
  text: string;
}

/** The overall verdict the CLI turns into its exit code and the webview into a badge. */
export type ProbeVerdict = 'ok' | 'warnings' | 'failed';

export function verdictOf(report: ProbeReport): ProbeVerdict {
  if (report.failedPhase) return 'failed';
  if (report.behaviour && (report.behaviour.error || report.behaviour.checks.some((c) => c.outcome === 'fail') || report.behaviour.scratch?.removed === false || report.behaviour.ownMessage?.removed === false)) return 'failed';
  return report.warnings.length ? 'warnings' : 'ok';
}

// ---- host <-> webview messages ----

export interface ProbeViewModel {
  title: string;
  /** Still running: the reports so far, and how many endpoints are pending. */
  pending: number;
  reports: ProbeReport[];
  /** A mail-domain check: its findings and sections; `reports` then holds the MX hosts' ports. */
  domain?: DomainSummaryView;
  /** A stored report reopened from a file: where from and when it was checked, in words. */
  source?: string;
}

/** A mail-domain report as the panel shows it (built by the host, drawn as text by the webview). */
export interface DomainSummaryView {
  domain: string;
  findings: Array<{ code: string; level: 'warning' | 'info'; message: string; fix: string }>;
  /** SPF, DMARC, MTA-STS …: each a title and its lines (Markdown list items). */
  sections: Array<{ title: string; lines: string[] }>;
}

export type ToProbeWebview = { type: 'show'; view: ProbeViewModel };

export type FromProbeWebview =
  | { type: 'ready' }
  | { type: 'copy'; format: 'markdown' | 'json' }
  | { type: 'rendered'; endpoints: number; textLength: number };

/** Messages from a webview are untrusted input: check the shape before acting on one. */
export function parseFromProbeWebview(value: unknown): FromProbeWebview | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'ready':
      return { type: 'ready' };
    case 'copy':
      return v.format === 'markdown' || v.format === 'json' ? { type: 'copy', format: v.format } : undefined;
    case 'rendered':
      if (typeof v.endpoints === 'number' && typeof v.textLength === 'number') {
        return { type: 'rendered', endpoints: v.endpoints, textLength: v.textLength };
      }
      return undefined;
    default:
      return undefined;
  }
}

export function parseToProbeWebview(value: unknown): ToProbeWebview | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type !== 'show' || typeof v.view !== 'object' || v.view === null) return undefined;
  const view = v.view as Record<string, unknown>;
  if (typeof view.title !== 'string' || typeof view.pending !== 'number' || !Array.isArray(view.reports)) return undefined;
  return { type: 'show', view: v.view as ProbeViewModel };
}
