import { MailError } from '../errors';
import type { ProbeProtocol } from '../../shared/probeReport';
import type { ProbeConnection } from './connection';
import { PROBE_LIMITS } from './limits';
import type { Transcript } from './transcript';

export interface GreetingInfo {
  banner: string;
  apopTimestamp?: string;
  preauth?: boolean;
}

export interface Credentials {
  user: string;
  password: string;
}

/**
 * One protocol's side of the probe: each method is one short exchange, run inside a phase with
 * its own timeout. Methods throw MailError (ProtocolError for garbage, CommandFailed for a
 * refusal, AuthFailed for rejected credentials) with the server's words in the message.
 */
export interface Dialogue {
  readonly protocol: ProbeProtocol;
  /** ALPN protocol id offered on TLS (RFC 7301 registry). */
  readonly alpn: string;
  greeting(conn: ProbeConnection): Promise<GreetingInfo>;
  /** The server's capability tokens (IMAP), CAPA lines (POP3) or EHLO lines (SMTP), as sent. */
  capabilities(conn: ProbeConnection): Promise<string[]>;
  /** IMAP ID name/version; POP3 and SMTP have nothing to ask. */
  identify?(conn: ProbeConnection, capabilities: readonly string[]): Promise<string | undefined>;
  /** Sends STARTTLS/STLS; returns the server's acceptance, throws when refused. */
  starttls(conn: ProbeConnection): Promise<string>;
  login(conn: ProbeConnection, credentials: Credentials, capabilities: readonly string[], transcript: Transcript): Promise<{ method: string }>;
  /** Capabilities once logged in, or null where the protocol has no such list. */
  capabilitiesAfterLogin(conn: ProbeConnection): Promise<string[] | null>;
  logout(conn: ProbeConnection): Promise<void>;
}

/** Server text for an error message: one line, bounded. */
export function quote(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a message
  const t = text.replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return t.length > PROBE_LIMITS.maxQuotedChars ? `${t.slice(0, PROBE_LIMITS.maxQuotedChars)}…` : t;
}

export function garbage(what: string, line: string): MailError {
  return new MailError('ProtocolError', `Expected ${what}, but the server sent "${quote(line)}".`, { detail: line.slice(0, 1000) });
}

export function tooManyLines(what: string): MailError {
  return new MailError('LimitExceeded', `The server sent more than ${PROBE_LIMITS.maxLinesPerResponse} lines in ${what}.`);
}

/** SASL PLAIN initial response: authzid NUL authcid NUL password, base64. */
export function saslPlain(credentials: Credentials): string {
  return Buffer.from(`\0${credentials.user}\0${credentials.password}`, 'utf8').toString('base64');
}
