/**
 * Hands finished message bytes to the account's SMTP server through nodemailer, unchanged
 * (`raw` + explicit envelope), and turns nodemailer's outcome into a SendResult or a MailError.
 */
import * as net from 'node:net';
import { format } from 'node:util';
import type { AccountConfig, SmtpConfig } from '../account';
import { accountLabel } from '../account';
import { isOutdatedTlsError, outdatedTlsError, toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { paceAllowanceMs } from '../pace';
import { loadMailLibraries } from '../loadMailLibraries';
import { explainOutdatedTls } from '../tls/outdated';
import { maskKnownSecret, ProtocolLog, redactSecrets } from '../log';
import type { CredentialSource } from '../credentials';
import type { BuiltMessage } from './buildMessage';
import { DEFAULT_SMTP_PACE, SMTP_SOCKET_IDLE_MS, type SmtpPace } from './limits';
import { pinnedSmtpSocket, smtpTlsOptions } from './tls';

export interface SmtpTarget {
  account: AccountConfig;
  /** The password; unused when `accessToken` is set. */
  password: string;
  /** An OAuth2 access token: AUTH XOAUTH2 instead of a password. */
  accessToken?: string;
  log: ProtocolLog;
  timeoutMs: number;
  /** The deadline of a whole send (defaults: DEFAULT_SMTP_PACE). */
  pace?: Partial<SmtpPace>;
}

export interface SendResult {
  accepted: string[];
  /** Recipients the server refused while accepting others, with its reply. */
  rejected: { address: string; response: string }[];
  /** The server's reply to the end of DATA (e.g. "250 2.0.0 Ok: queued as …"). */
  response: string;
}

/** The account's SMTP settings, or SmtpNotConfigured saying how to add them. */
export function smtpConfigOf(account: AccountConfig): SmtpConfig {
  if (!account.smtp) {
    throw new MailError(
      'SmtpNotConfigured',
      `${accountLabel(account)} has no outgoing mail server, so Mailroom cannot send from it. Add "smtp": { "host": …, "port": 587, "security": "starttls" } to this account in the mailroom.accounts setting.`,
    );
  }
  return account.smtp;
}

/** Same rule as assertPasswordTransportAllowed (account.ts), for the SMTP settings. */
export function assertSmtpPasswordTransportAllowed(account: AccountConfig, smtp: SmtpConfig): void {
  if (smtp.security === 'none' && !smtp.allowPlaintextPassword) {
    throw new MailError(
      'InsecureAuthRefused',
      `Mailroom will not send the password for ${accountLabel(account)} to ${smtp.host}:${smtp.port} over an unencrypted connection. ` +
        'Set "smtp.security" to "tls" or "starttls", or set "allowPlaintextPassword": true inside "smtp" for this account if it is a local test server.',
    );
  }
}

/**
 * Sends with the account's login: its password, or an OAuth2 access token. A token is refused at
 * AUTH, before any of the message goes out, so the one retry after a refresh sends it only once.
 */
export function sendWithCredentials(target: Omit<SmtpTarget, 'password' | 'accessToken'>, credentials: CredentialSource, envelope: BuiltMessage['envelope'], raw: Buffer): Promise<SendResult> {
  return credentials.login((secret) =>
    sendRaw(secret.kind === 'token' ? { ...target, password: '', accessToken: secret.accessToken } : { ...target, password: secret.password }, envelope, raw),
  );
}

export async function sendRaw(target: SmtpTarget, envelope: BuiltMessage['envelope'], raw: Buffer): Promise<SendResult> {
  const smtp = smtpConfigOf(target.account);
  assertSmtpPasswordTransportAllowed(target.account, smtp);
  const tls = smtpTlsOptions(smtp);
  const { createTransport } = loadMailLibraries();
  // nodemailer connects (and upgrades to TLS) this socket itself; holding it lets the deadline end the send.
  const socket = new net.Socket();
  const sockets: net.Socket[] = [socket];
  // A pinned server's socket is made by Mailroom (tls.ts); the deadline must be able to end that one too.
  const pinned = pinnedSmtpSocket(smtp, target.timeoutMs, target.log);
  const getSocket: typeof pinned = pinned && ((options, callback) => pinned(options, (err, made) => {
    if (made) sockets.push(made.connection);
    callback(err, made);
  }));
  const transport = createTransport({
    socket,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    tls: { ...tls, minVersion: 'TLSv1.2' },
    ...(getSocket ? { getSocket } : {}),
    ...smtpAuth(target, smtp),
    connectionTimeout: target.timeoutMs,
    greetingTimeout: target.timeoutMs,
    socketTimeout: Math.max(target.timeoutMs, SMTP_SOCKET_IDLE_MS),
    logger: nodemailerLogger(target.log, target.accessToken ?? target.password),
    debug: true,
  });
  const deadline = sendDeadline(target, smtp, raw.length, () => sockets.forEach((s) => s.destroy()));
  try {
    const info = await Promise.race([transport.sendMail({ envelope, raw }), deadline.expired]);
    const rejectedErrors = (info as { rejectedErrors?: Array<{ recipient?: unknown; response?: unknown; message?: unknown }> }).rejectedErrors ?? [];
    const rejected = addressesOf(info.rejected).map((address) => {
      const err = rejectedErrors.find((e) => e.recipient === address);
      const response = typeof err?.response === 'string' ? err.response : typeof err?.message === 'string' ? err.message : 'refused';
      return { address, response: maskKnownSecret(response, target.accessToken ?? target.password) };
    });
    const accepted = addressesOf(info.accepted);
    return { accepted, rejected, response: typeof info.response === 'string' ? info.response : '' };
  } catch (err) {
    throw await explainOutdatedTls(smtpError(err, smtp, target.accessToken ?? target.password), { protocol: 'smtp', host: smtp.host, port: smtp.port, security: smtp.security }, target.timeoutMs);
  } finally {
    deadline.clear();
    transport.close();
  }
}

function smtpAuth(target: SmtpTarget, smtp: SmtpConfig): { auth?: Record<string, string> } {
  const user = smtp.user ?? target.account.user;
  if (target.accessToken) return { auth: { type: 'OAuth2', user, accessToken: target.accessToken } };
  return target.password ? { auth: { user, pass: target.password } } : {};
}

/** Rejects with Timeout (and ends the connection) once the send has taken longer than its pace allows. */
function sendDeadline(target: SmtpTarget, smtp: SmtpConfig, bytes: number, endConnection: () => void): { expired: Promise<never>; clear(): void } {
  const pace = { ...DEFAULT_SMTP_PACE, ...target.pace };
  const ms = Math.ceil(paceAllowanceMs(pace, bytes));
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      endConnection();
      reject(
        new MailError(
          'Timeout',
          `${smtp.host}:${smtp.port} is too slow: sending did not finish within ${Math.round(ms / 1000)} s, so Mailroom stopped. ` +
            'The server or the network may be overloaded; try again later. If the server was only slow to confirm, the message may have been delivered.',
          { detail: `${bytes} bytes; deadline ${ms} ms` },
        ),
      );
    }, ms);
  });
  return { expired, clear: () => clearTimeout(timer) };
}

/** nodemailer lists recipients as strings (or address objects in some transports). */
function addressesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((r: unknown) => (typeof r === 'string' ? r : typeof r === 'object' && r !== null && typeof (r as { address?: unknown }).address === 'string' ? (r as { address: string }).address : String(r)));
}

interface NodemailerError {
  code?: unknown;
  originalCode?: unknown;
  command?: unknown;
  response?: unknown;
  message?: unknown;
  rejected?: unknown;
  rejectedErrors?: Array<{ recipient?: unknown; response?: unknown }>;
}

/** nodemailer's error codes (see its errors.d.ts) to MailError codes; the server's reply goes to `detail`. */
export function smtpError(err: unknown, smtp: Pick<SmtpConfig, 'host' | 'port'>, password?: string): MailError {
  if (MailError.is(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as NodemailerError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const command = typeof e.command === 'string' ? e.command : '';
  const response = typeof e.response === 'string' ? maskKnownSecret(e.response, password) : undefined;
  const message = maskKnownSecret(typeof e.message === 'string' ? e.message : 'unknown error', password);
  const where = `${smtp.host}:${smtp.port}`;
  const detail = [code, command, response ?? message].filter(Boolean).join(' ');
  const said = response ? ` The server said: ${response}` : '';
  if (isOutdatedTlsError({ code: e.originalCode ?? code, message })) return outdatedTlsError(smtp, err);
  switch (code) {
    case 'EAUTH':
      return new MailError('AuthFailed', `${where} rejected the user name or password for sending.${said}`, { detail, cause: err });
    case 'ENOAUTH':
      return new MailError('AuthFailed', `${where} needs a user name and password to send mail.`, { detail, cause: err });
    case 'EENVELOPE':
      if (command === 'RCPT TO') {
        const who = (e.rejectedErrors ?? []).map((r) => (typeof r.recipient === 'string' ? r.recipient : '')).filter(Boolean);
        return new MailError('RecipientRejected', `${where} refused ${who.length > 1 ? 'every recipient' : who.length === 1 ? who[0] : 'the recipients'}.${said}`, { detail, cause: err });
      }
      if (command === 'API') return new MailError('InvalidAddress', `The message could not be sent: ${message}`, { detail, cause: err });
      return new MailError('MessageRejected', `${where} refused ${command === 'MAIL FROM' ? 'the sender address' : 'the message'}.${said}`, { detail, cause: err });
    case 'EMESSAGE':
      return new MailError('MessageRejected', `${where} refused the message.${said}`, { detail, cause: err });
    case 'ETIMEDOUT':
      return new MailError('Timeout', `${where} did not answer in time. The server may be overloaded, or a firewall may be dropping the connection.`, { detail, cause: err });
    case 'EDNS':
      return new MailError('HostNotFound', `The host name ${smtp.host} could not be found. Check the spelling and your network.`, { detail, cause: err });
    case 'ETLS':
      if (command === 'STARTTLS' && response) {
        // nodemailer (requireTLS) sends STARTTLS even when EHLO did not list it: 500/502 is "no such command".
        if (/^50[02]\b/.test(response)) {
          return new MailError('StartTlsUnavailable', `${where} does not offer STARTTLS, so Mailroom did not send your password or the message. Use TLS on port 465, or ask the administrator to enable STARTTLS.`, { detail, cause: err });
        }
        return new MailError('StartTlsUnavailable', `${where} refused STARTTLS: "${response.slice(0, 200)}". Mailroom did not send your password or the message. Try again later, or use TLS on port 465.`, { detail, cause: err, tlsReason: 'STARTTLS_REFUSED' });
      }
      if (/certificate|self[- ]signed|unable to verify|altname/i.test(message)) {
        return new MailError('CertificateUntrusted', `The certificate of ${where} could not be verified. Mailroom did not send your password or the message. If you know this server, you can choose to trust its certificate.`, { detail, cause: err });
      }
      return new MailError('TlsFailed', `The secure connection to ${where} failed. Check that the port and the security setting (TLS or STARTTLS) match the server.`, { detail, cause: err });
    default:
      break;
  }
  // ECONNECTION / ESOCKET keep the socket's own code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT…) in originalCode.
  const socketCode = typeof e.originalCode === 'string' ? e.originalCode : code === 'ECONNECTION' || code === 'ESOCKET' ? undefined : code;
  const mapped = toMailError({ code: socketCode, message }, smtp);
  if (mapped.code !== 'Unknown') return new MailError(mapped.code, mapped.message.replace('It may not be an IMAP server.', 'It may not be an SMTP server.'), { detail, cause: err, ...(mapped.tlsReason ? { tlsReason: mapped.tlsReason } : {}) });
  if (code === 'ECONNECTION' || code === 'ESOCKET') {
    return new MailError('ConnectionClosed', `${where} closed the connection unexpectedly. Check that the port and security setting (TLS or STARTTLS) match the server.`, { detail, cause: err });
  }
  if (code === 'EPROTOCOL') return new MailError('ProtocolError', `${where} sent a reply Mailroom could not understand. It may not be an SMTP server.`, { detail, cause: err });
  return new MailError('Unknown', `Sending through ${where} failed: ${message}`, { detail, cause: err });
}

type BunyanMethod = (...args: unknown[]) => void;

/**
 * nodemailer logs bunyan-style (entry, format, ...args); every line is masked before it reaches
 * the log (nodemailer already writes "/* secret *\/" for AUTH; redactSecrets and the known
 * password are the second fence).
 */
function nodemailerLogger(log: ProtocolLog, password: string): Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', BunyanMethod> {
  const emit = (sink: (m: string) => void, content = true): BunyanMethod => (...args: unknown[]) => {
    const entry = typeof args[0] === 'object' && args[0] !== null ? (args.shift() as { tnx?: unknown }) : {};
    // debug lines tagged 'message' are the message itself, chunk by chunk: mail content stays out of the log.
    if (!content && entry.tnx === 'message') return;
    const text = args.length ? format(...(args as [unknown, ...unknown[]])) : '';
    const prefix = entry.tnx === 'client' ? 'C: ' : entry.tnx === 'server' ? 'S: ' : '';
    for (const line of text.split(/\r?\n/)) {
      // Redacted with its direction mark: server lines ("250 AUTH PLAIN LOGIN") are left alone.
      if (line) sink(`[smtp] ${maskKnownSecret(redactSecrets(`${prefix}${line}`), password)}`);
    }
  };
  return {
    trace: emit((m) => log.trace(m)),
    debug: emit((m) => log.debug(m), false),
    info: emit((m) => log.info(m)),
    warn: emit((m) => log.warn(m)),
    error: emit((m) => log.error(m)),
    fatal: emit((m) => log.error(m)),
  };
}
