/**
 * The TLS deep check's part of a server check report (`mailroom-check --tls`, the editor's "deep
 * check"): which TLS versions and cipher suites the server accepts, the chain as it serves it,
 * OCSP stapling and ALPN. Types only; both the host and the webview import this file.
 */

export type TlsVersionName = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsVersionResult {
  version: TlsVersionName;
  /**
   * accepted: a handshake offering only this version succeeded. refused: the server said no (an
   * alert, or it closed the connection). not-tested: this client cannot offer the version, so the
   * server was not asked. error: the connection failed before TLS could say (timeout, STARTTLS refused).
   */
  result: 'accepted' | 'refused' | 'not-tested' | 'error';
  /** The suite the server chose when this version was accepted (IANA name). */
  cipher?: string;
  /** Why not tested, or what failed. */
  note?: string;
}

export interface CipherResult {
  /** IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256. */
  name: string;
  /** OpenSSL name, e.g. ECDHE-RSA-AES128-GCM-SHA256. */
  openssl: string;
  /** Why the suite is weak with this version (RC4, 3DES, no forward secrecy ...); empty when it is fine. */
  weak: string[];
}

export interface CipherScan {
  version: TlsVersionName;
  /** Weak suites first, then by name. */
  accepted: CipherResult[];
  /** False when the cap, the time budget or a failed connection left some suites unasked. */
  complete: boolean;
}

export interface ChainCertificate {
  subject: string;
  issuer: string;
  validTo: string;
  daysLeft: number;
  expired: boolean;
  selfSigned: boolean;
  /** basicConstraints CA:TRUE. */
  ca: boolean;
  /** rsa, ec, ed25519, rsa-pss ... */
  keyType: string;
  keyBits?: number;
  /** EC keys: the named curve (prime256v1, secp384r1 ...). */
  curve?: string;
  sha256: string;
}

export interface ChainAnalysis {
  /**
   * served: read from the server's Certificate message, in the order sent (TLS 1.2 sends it in
   * the clear). issuer-links: TLS 1.3 only, so the order sent cannot be seen; the certificates are
   * listed by issuer, as Node links them, and may end with a root from the local trust store.
   */
  source: 'served' | 'issuer-links';
  certificates: ChainCertificate[];
  /** Each certificate's issuer is served or trusted, up to a self-signed or trusted root. */
  complete: boolean;
  incompleteReason?: string;
  /** Every certificate is followed by its issuer; null when the order sent cannot be seen. */
  ordered: boolean | null;
  orderProblem?: string;
  /** Intermediates (not the leaf) whose validity has ended. */
  expiredIntermediates: string[];
  nameMatches: boolean;
  nameError?: string;
  leafDaysLeft: number;
  /** Keys below the strength expected today (RSA < 2048 bits, EC < 256 bits). */
  weakKeys: string[];
}

export interface TlsDeepReport {
  /** The client that measured: what it can offer depends on Node's OpenSSL (e.g. v20.20.2, 3.0.19). */
  client?: { node: string; openssl: string };
  ms: number;
  /** TCP connections the deep check opened. */
  connections: number;
  limits: { maxConnections: number; timeBudgetMs: number; parallel: number };
  /** Set when the cap or budget stopped the check before it finished; says what was left. */
  truncated?: string;
  versions: TlsVersionResult[];
  ciphers: CipherScan[];
  /** Suites this client (Node's OpenSSL) cannot offer at all, so they were not asked about. */
  notOfferable: string[];
  chain?: ChainAnalysis;
  /** The server stapled an OCSP response to the handshake (requestOCSP). */
  ocspStapled?: boolean;
  alpn?: { offered: string[]; chosen: string | null };
  /** The deep check could not run at all (e.g. no TLS on this endpoint). */
  skipped?: string;
  /** What each tls-* warning raised means and how to fix it. */
  explanations?: TlsWarningExplanation[];
}

export interface TlsWarningExplanation {
  /** A tls-* warning code. */
  code: string;
  meaning: string;
  fix: string;
}
