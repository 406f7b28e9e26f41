import { MailError } from '../errors';
import type { ProbeProtocol } from '../../shared/probeReport';
import type { ProbeConnection } from './connection';
import { chooseOAuthMechanism, oauthBearerResponse, xoauth2Response, type OAuthMechanism } from '../oauth/sasl';
import { PROBE_LIMITS } from './limits';
import type { Transcript } from './transcript';

export interface GreetingInfo {
  banner: string;
  apopTimestamp?: string;
  preauth?: boolean;
}

export interface Credentials {
  user: string;
  /** The password, or with `bearer` an OAuth2 access token. */
  password: string;
  /** Log in with SASL OAUTHBEARER (else XOAUTH2) carrying `password` as the token, for this host and port. */
  bearer?: { host: string; port: number };
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

/**
 * The OAuth2 mechanism the server offers (OAUTHBEARER preferred) with its base64 initial response,
 * and what to answer the error challenge a refused token gets (RFC 7628 3.2.3: %x01; XOAUTH2: empty).
 */
export function saslBearer(credentials: Credentials, offered: readonly string[]): { mech: OAuthMechanism; payload: string; afterError: string } {
  const mech = chooseOAuthMechanism(offered);
  if (!mech || !credentials.bearer) {
    throw new MailError('Unsupported', `The server offers no OAuth2 login (SASL OAUTHBEARER or XOAUTH2; offered: ${offered.join(' ') || 'none'}).`);
  }
  const raw = mech === 'OAUTHBEARER'
    ? oauthBearerResponse(credentials.user, credentials.password, credentials.bearer.host, credentials.bearer.port)
    : xoauth2Response(credentials.user, credentials.password);
  return { mech, payload: Buffer.from(raw, 'utf8').toString('base64'), afterError: mech === 'OAUTHBEARER' ? 'AQ==' : '' };
}

/** SASL PLAIN initial response: authzid NUL authcid NUL password, base64. */
export function saslPlain(credentials: Credentials): string {
  return Buffer.from(`\0${credentials.user}\0${credentials.password}`, 'utf8').toString('base64');
}
