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

/**
 * Masks credentials in a protocol line. imapflow already masks LOGIN arguments it marks
 * sensitive; this is the second fence for everything else (AUTHENTICATE continuations, POP3
 * PASS/APOP, SMTP AUTH), applied to every line whatever its source.
 */
export function redactSecrets(line: string): string {
  return line
    // IMAP: tag LOGIN user password  (quoted, atom or literal forms)
    .replace(/^(\S+ LOGIN\s+("(?:[^"\\]|\\.)*"|\S+)\s+)("(?:[^"\\]|\\.)*"|\{\d+\+?\}|\S+)/i, `$1"${MASK}"`)
    // IMAP/SMTP/POP3: AUTHENTICATE / AUTH <mech> <initial-response>
    .replace(/^((?:\S+ )?AUTH(?:ENTICATE)?\s+\S+\s+)\S+/i, `$1${MASK}`)
    // POP3 PASS and APOP digest
    .replace(/^(PASS\s+).*/i, `$1${MASK}`)
    .replace(/^(APOP\s+\S+\s+)\S+/i, `$1${MASK}`);
}

/** Masks a known secret wherever it appears, for text that may echo it back (error messages). */
export function maskKnownSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 3) return text;
  return text.split(secret).join(MASK);
}
