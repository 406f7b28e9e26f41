/**
 * The protocol layer logs through this interface; the VS Code adapter writes it to a
 * LogOutputChannel. Every line passes through `redactSecrets` before it is handed over.
 */
export interface ProtocolLog {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLog: ProtocolLog = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Prefixes every line with a component tag such as `[imap alice@host]`. */
export function taggedLog(log: ProtocolLog, tag: string): ProtocolLog {
  return {
    trace: (m) => log.trace(`[${tag}] ${redactSecrets(m)}`),
    debug: (m) => log.debug(`[${tag}] ${redactSecrets(m)}`),
    info: (m) => log.info(`[${tag}] ${redactSecrets(m)}`),
    warn: (m) => log.warn(`[${tag}] ${redactSecrets(m)}`),
    error: (m) => log.error(`[${tag}] ${redactSecrets(m)}`),
  };
}

const MASK = '(secret)';

/** Component tags (`[smtp] `, `[imap alice@host] `) and the direction mark a logged line may start with. */
const MARKS = /^((?:\[[^\]]*\] )*)(C: |S(?: \(unsolicited\))?: )?/;

/**
 * Command verbs a client sends on a line of their own (POP3, SMTP, IMAP IDLE's DONE, the SASL
 * abort "*"). Any other one-word client line answers a SASL challenge: a secret.
 */
const BARE_COMMANDS = new Set(['CAPA', 'STLS', 'STAT', 'LIST', 'UIDL', 'RSET', 'NOOP', 'QUIT', 'AUTH', 'EHLO', 'HELO', 'STARTTLS', 'DATA', 'HELP', 'DONE', '*', '.']);

/**
 * Masks client credentials in a protocol line: IMAP LOGIN and AUTHENTICATE, SMTP/POP3 AUTH
 * initial responses (PLAIN, XOAUTH2, OAUTHBEARER, ...), POP3 PASS and APOP, and client lines
 * marked `C: ` that answer a SASL challenge (AUTH LOGIN's user name and password, CRAM-MD5).
 * Lines marked `S: ` are the server's and are left alone: "250 AUTH PLAIN LOGIN" lists
 * mechanisms, it carries nothing secret. imapflow and the POP3 client already mask what they
 * send; this is the second fence, applied to every line whatever its source.
 */
export function redactSecrets(line: string): string {
  return redactTokens(redactCredentials(line));
}

/**
 * OAuth2 tokens wherever they appear, whoever wrote the line: "Bearer <token>", and token-carrying
 * fields of a token endpoint's JSON or form body (access_token, refresh_token, id_token,
 * device_code, code_verifier, client_secret).
 */
export function redactTokens(line: string): string {
  return line
    // RFC 6750 b64token, ending where the header or SASL field ends ("Bearer expires_in=…" is no token).
    // eslint-disable-next-line no-control-regex -- \x01 ends a field of XOAUTH2/OAUTHBEARER
    .replace(/(\bBearer\s+)[A-Za-z0-9\-._~+/]+=*(?=$|[\s"',;\x01])/gi, `$1${MASK}`)
    .replace(/(\b(?:access_token|refresh_token|id_token|device_code|code_verifier|client_secret)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, `$1${MASK}`);
}

function redactCredentials(line: string): string {
  const marks = MARKS.exec(line) as RegExpExecArray;
  const direction = marks[2];
  if (direction?.startsWith('S')) return line;
  const text = line.slice(marks[0].length);
  // (A line already written as "(secret)" or "(empty)" by the client stays as it is.)
  if (direction && /^[^\s(]\S*$/.test(text) && !BARE_COMMANDS.has(text.toUpperCase())) return `${marks[0]}${MASK}`;
  return marks[0] + redactCommand(text);
}

/** Masks the credential of a client command line; anything else (a server reply among them) passes. */
function redactCommand(text: string): string {
  return (
    text
      // IMAP: tag LOGIN user password (quoted, atom or literal forms). "250-AUTH LOGIN PLAIN" is
      // an SMTP reply, and "*" / "+" start server lines, not tags.
      .replace(/^((?![*+] |\d{3}-)\S+ LOGIN\s+("(?:[^"\\]|\\.)*"|\S+)\s+)("(?:[^"\\]|\\.)*"|\{\d+\+?\}|\S+)/i, `$1"${MASK}"`)
      // IMAP: tag AUTHENTICATE <mech> <initial-response>
      .replace(/^((?![*+] )\S+ AUTHENTICATE\s+\S+\s+)\S+/i, `$1${MASK}`)
      // SMTP/POP3: AUTH <mech> <initial-response>, with no tag: "250 AUTH PLAIN LOGIN" is a reply
      .replace(/^(AUTH\s+\S+\s+)\S+/i, `$1${MASK}`)
      // POP3 PASS and APOP digest
      .replace(/^(PASS\s+).*/i, `$1${MASK}`)
      .replace(/^(APOP\s+\S+\s+)\S+/i, `$1${MASK}`)
  );
}

/** Masks a known secret wherever it appears, for text that may echo it back (error messages). */
export function maskKnownSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 3) return text;
  return text.split(secret).join(MASK);
}
