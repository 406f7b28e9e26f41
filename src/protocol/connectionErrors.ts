import { CertificateSummary, describeTlsReason, isCertificateVerificationCode, MailError } from './errors';

export interface EndpointLabel {
  host: string;
  port: number;
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  serverResponseCode?: unknown;
  responseText?: unknown;
  tlsFailed?: unknown;
  mailboxMissing?: unknown;
  cause?: unknown;
}

/**
 * Turns whatever a socket, TLS or imapflow threw into a MailError with a sentence the user can
 * act on. The server's own words go to `detail` for the log.
 */
export function toMailError(err: unknown, endpoint: EndpointLabel, certificate?: CertificateSummary): MailError {
  if (MailError.is(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const where = `${endpoint.host}:${endpoint.port}`;
  const serverText = typeof e.responseText === 'string' ? e.responseText : undefined;
  const detail = [code, typeof e.serverResponseCode === 'string' ? `[${e.serverResponseCode}]` : undefined, serverText ?? (typeof e.message === 'string' ? e.message : undefined)]
    .filter(Boolean)
    .join(' ');

  if (e.authenticationFailed === true) {
    return new MailError('AuthFailed', `${where} rejected the user name or password${serverText ? ` (${serverText})` : ''}. Check them and try again.`, { detail, cause: err });
  }
  if (e.mailboxMissing === true || e.serverResponseCode === 'NONEXISTENT' || code === 'NotFound') {
    return new MailError('MailboxNotFound', `The folder does not exist on ${where} any more; another client may have renamed or deleted it. Refresh the account.`, { detail, cause: err });
  }
  if (isCertificateVerificationCode(code)) {
    return new MailError(
      'CertificateUntrusted',
      `The certificate of ${where} could not be verified: ${describeTlsReason(code ?? '')}. Mailroom did not send your password. If you know this server, you can choose to trust this certificate.`,
      { detail, cause: err, tlsReason: code, ...(certificate ? { certificate } : {}) },
    );
  }
  switch (code) {
    case 'LiteralTooLarge':
      return new MailError('LimitExceeded', `${where} sent a response larger than Mailroom accepts.`, { detail, cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new MailError('HostNotFound', `The host name ${endpoint.host} could not be found. Check the spelling and your network.`, { detail, cause: err });
    case 'ECONNREFUSED':
      return new MailError('ConnectionRefused', `${where} refused the connection. Check the host, the port and that the server is running.`, { detail, cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new MailError('ConnectionRefused', `${where} cannot be reached from this network.`, { detail, cause: err });
    case 'CONNECT_TIMEOUT':
    case 'GREETING_TIMEOUT':
    case 'UPGRADE_TIMEOUT':
    case 'ETIMEOUT':
    case 'ETIMEDOUT':
    case 'LockTimeout':
      return new MailError('Timeout', `${where} did not answer in time. The server may be overloaded, or a firewall may be dropping the connection.`, { detail, cause: err });
    case 'NoConnection':
    case 'EConnectionClosed':
    case 'ClosedAfterConnectText':
    case 'ClosedAfterConnectTLS':
    case 'ECONNRESET':
    case 'EPIPE':
      return new MailError('ConnectionClosed', `${where} closed the connection unexpectedly. Check that the port and security setting (TLS or STARTTLS) match the server.`, { detail, cause: err });
    case 'STARTTLS_INJECTION':
      return new MailError('TlsFailed', `${where} sent data before the TLS handshake, which may be an attack. Mailroom stopped before sending your password.`, { detail, cause: err });
    default:
      break;
  }
  if (isOutdatedTlsError(e)) return outdatedTlsError(endpoint, err);
  if (e.tlsFailed === true) {
    if (typeof e.message === 'string' && /PREAUTH/i.test(e.message)) return preauthError(endpoint, undefined, err);
    if (typeof e.message === 'string' && /STARTTLS/i.test(e.message)) {
      return new MailError('StartTlsUnavailable', `${where} does not offer STARTTLS, so Mailroom did not send your password. Use TLS on the server's TLS port, or ask the administrator to enable STARTTLS.`, { detail, cause: err });
    }
    return new MailError('TlsFailed', `The secure connection to ${where} failed. Check that the port and the security setting (TLS or STARTTLS) match the server.`, { detail, cause: err });
  }
  if (typeof e.message === 'string' && /wrong version number|packet length too long|unknown protocol/i.test(e.message)) {
    return new MailError('TlsFailed', `${where} did not answer with TLS. The port may expect STARTTLS or no TLS: check the security setting.`, { detail, cause: err });
  }
  if (code?.startsWith('Parser') || code === 'InvalidResponse' || code === 'UnexpectedTag') {
    return new MailError('ProtocolError', `${where} sent a response Mailroom could not understand. It may not be an IMAP server.`, { detail, cause: err });
  }
  return new MailError('Unknown', `Talking to ${where} failed: ${typeof e.message === 'string' ? e.message : 'unknown error'}.`, { detail, cause: err });
}

type Protocolish = 'imap' | 'pop3' | 'smtp';

/** OpenSSL's words for a server that offers no TLS version we allow (we start at TLS 1.2). */
export function isOutdatedTlsError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' || code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || code === 'ERR_SSL_WRONG_SSL_VERSION') return true;
  return typeof message === 'string' && /alert protocol version|unsupported protocol/i.test(message);
}

/** The server speaks only TLS 1.0/1.1 (or older), which Mailroom refuses (RFC 8996). */
export function outdatedTlsError(endpoint: EndpointLabel, cause?: unknown, version?: string): MailError {
  const speaks = version ? `only speaks ${version.replace(/^TLSv1$/, 'TLSv1.0')}` : 'only speaks TLS 1.0 or 1.1 (or older)';
  return new MailError(
    'TlsFailed',
    `${endpoint.host}:${endpoint.port} ${speaks}, which Mailroom refuses: these versions are no longer safe (RFC 8996). Mailroom did not send your password. Ask the administrator to enable TLS 1.2 or 1.3.`,
    { detail: describeCause(cause), cause, tlsReason: 'TLS_VERSION_OUTDATED' },
  );
}

/**
 * An IMAP server that greets with PREAUTH is already logged in on the unencrypted link, and
 * STARTTLS is only allowed before that (RFC 9051 6.2.1): the session cannot be secured.
 */
export function preauthError(endpoint: EndpointLabel, greeting?: string, cause?: unknown): MailError {
  return new MailError(
    'StartTlsUnavailable',
    `${endpoint.host}:${endpoint.port} logged the session in before TLS could be started (a PREAUTH greeting), so this connection cannot be secured. Mailroom stopped and sent nothing. Someone on the network may be stripping STARTTLS; use TLS on the server's TLS port (usually 993).`,
    { detail: greeting ?? describeCause(cause), cause, tlsReason: 'PREAUTH' },
  );
}

/** The server lists no STARTTLS/STLS. */
export function startTlsMissing(endpoint: EndpointLabel, protocol: Protocolish): MailError {
  const name = protocol === 'pop3' ? 'STLS' : 'STARTTLS';
  const tlsPort = protocol === 'imap' ? '993' : protocol === 'pop3' ? '995' : '465';
  return new MailError(
    'StartTlsUnavailable',
    `${endpoint.host}:${endpoint.port} does not offer ${name}, so Mailroom did not send your password. Use TLS on the server's TLS port (usually ${tlsPort}), or ask the administrator to enable ${name}.`,
  );
}

/** The server answered STARTTLS/STLS with NO, BAD, -ERR or a 4xx/5xx reply. */
export function startTlsRefused(endpoint: EndpointLabel | string, serverWords: string, command = 'STARTTLS'): MailError {
  const where = typeof endpoint === 'string' ? endpoint : `${endpoint.host}:${endpoint.port}`;
  // eslint-disable-next-line no-control-regex -- control characters must not reach a message
  const words = serverWords.replace(/[\x00-\x1f\x7f]/g, ' ').trim().slice(0, 200);
  return new MailError(
    'StartTlsUnavailable',
    `${where} refused ${command}: "${words}". Mailroom did not send your password. Try again later, or use TLS on the server's TLS port.`,
    { detail: serverWords.slice(0, 1000), tlsReason: 'STARTTLS_REFUSED' },
  );
}

function describeCause(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { code, message } = cause as { code?: unknown; message?: unknown };
  return [typeof code === 'string' ? code : undefined, typeof message === 'string' ? message.split('\n')[0] : undefined].filter(Boolean).join(' ') || undefined;
}
