/**
 * Typed errors with stable codes. Callers branch on `MailError.is(e, 'AuthFailed')`, never on
 * message text; the message is one sentence a user can act on, `detail` carries the server's own
 * words (response text or code) for the log.
 */
export type MailErrorCode =
  | 'AuthFailed'
  | 'PasswordMissing'
  | 'HostNotFound'
  | 'ConnectionRefused'
  | 'ConnectionClosed'
  | 'Timeout'
  | 'CertificateUntrusted'
  | 'TlsFailed'
  | 'StartTlsUnavailable'
  | 'InsecureAuthRefused'
  | 'ProtocolError'
  | 'MailboxNotFound'
  | 'MessageNotFound'
  | 'InvalidAccount'
  /** The maildrop is locked by another session (POP3 `[IN-USE]`). */
  | 'MailboxInUse'
  /** The server asks to wait longer between logins (POP3 `[LOGIN-DELAY]`). */
  | 'LoginDelayed'
  /** The server lacks something this operation needs (e.g. POP3 UIDL for leave-on-server). */
  | 'Unsupported'
  /** A response exceeded a size limit (line, literal, message); see the limits' comments. */
  | 'LimitExceeded'
  /** The server rejected a command (NO/BAD, -ERR); `detail` carries its words. */
  | 'CommandFailed'
  /** Work could not run because the account is offline; it may have been queued. */
  | 'Offline'
  /** A local cache or queue file could not be read or written. */
  | 'StorageFailed'
  /** SMTP refused one or more recipients (RCPT TO); `detail` carries the server's reply. */
  | 'RecipientRejected'
  /** SMTP refused the sender or the message itself (MAIL FROM, DATA). */
  | 'MessageRejected'
  /** The account has no outgoing (SMTP) server configured. */
  | 'SmtpNotConfigured'
  /** An address in a message being written could not be understood. */
  | 'InvalidAddress'
  /** An OAuth2 account's sign-in ended (refresh refused, or a fresh token refused too): sign in again. */
  | 'SignInRequired'
  /** A server-setup document (autoconfig XML) or DNS answer is broken or hostile; nothing from it is used. */
  | 'ConfigInvalid'
  /** A lookup redirected to another domain, which discovery does not follow without asking. */
  | 'RedirectRefused'
  /** A file given as a check report (mailroom-check --json) is not one: not JSON, too large, another schema version. */
  | 'ReportInvalid'
  /** An iCalendar part (an invitation) is broken, too large or nested too deep; the message is shown without it. */
  | 'CalendarInvalid'
  | 'Unknown';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  subjectAltNames: string;
  sha256: string;
  /** PEM of the leaf certificate, needed to pin it. */
  pem: string;
}

export interface MailErrorOptions {
  detail?: string;
  cause?: unknown;
  /** Set on CertificateUntrusted when the certificate could be read. */
  certificate?: CertificateSummary;
  /** The verification failure as OpenSSL/Node names it, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
  tlsReason?: string;
  /**
   * The message is already in the user's display language (the VS Code layer made it through
   * vscode.l10n). Messages made here are English; the VS Code layer leads them with a localized
   * sentence for the code (src/providers/errorText.ts).
   */
  localized?: boolean;
}

/**
 * The mark every MailError carries, whichever bundle built its class. The host (dist/host.js)
 * and the lazily loaded engine (dist/engine.js) each hold their own copy of this module, so a
 * MailError thrown in one is not an `instanceof` the other's class: identity is this registered
 * symbol (the same in every copy) plus a string code, never the class object.
 */
const MAIL_ERROR_BRAND = Symbol.for('mailroom.MailError');

export class MailError extends Error {
  override readonly name = 'MailError';
  readonly detail: string | undefined;
  readonly certificate: CertificateSummary | undefined;
  readonly tlsReason: string | undefined;
  readonly localized: boolean;

  constructor(readonly code: MailErrorCode, message: string, options: MailErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options.detail;
    this.certificate = options.certificate;
    this.tlsReason = options.tlsReason;
    this.localized = options.localized ?? false;
  }

  /** `value` itself when it is a MailError, else an 'Unknown' one carrying its message and cause. */
  static from(value: unknown): MailError {
    return MailError.is(value) ? value : new MailError('Unknown', value instanceof Error ? value.message : String(value), { cause: value });
  }

  /** Whether `value` is a MailError (from any bundle), with `code` when given. */
  static is(value: unknown, code?: MailErrorCode): value is MailError {
    return isBranded(value) && (code === undefined || value.code === code);
  }

  /**
   * `e instanceof MailError` means the same as MailError.is(e), across bundles. Subclasses keep
   * the ordinary prototype check (`e instanceof CorruptFileError`), which only their own bundle throws.
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    return (this as unknown) === MailError ? isBranded(value) : Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

Object.defineProperty(MailError.prototype, MAIL_ERROR_BRAND, { value: true });

function isBranded(value: unknown): value is MailError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [MAIL_ERROR_BRAND]?: unknown })[MAIL_ERROR_BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** Node/OpenSSL verification failures that mean "the certificate is not one we can trust". */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'PINNED_CERTIFICATE_MISMATCH',
]);

export function isCertificateVerificationCode(code: string | undefined): boolean {
  return code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(code);
}

const TLS_REASON_TEXT: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate was issued by an authority this computer does not know',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate was issued by an authority this computer does not know',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the certificate could not be found',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate was issued for a different host name',
  PINNED_CERTIFICATE_MISMATCH: 'the server now presents a different certificate from the one you chose to trust',
};

export function describeTlsReason(code: string): string {
  return TLS_REASON_TEXT[code] ?? `verification failed (${code})`;
}
