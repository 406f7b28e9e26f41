/**
 * Bounds of the TLS deep check. It opens many connections to one server, so the count, the total
 * time and the number at once are capped; a server that rate-limits connections (fail2ban,
 * Dovecot's login process limits) should not see a flood from one check.
 */
export const TLS_DEEP_LIMITS = {
  /**
   * Connections per endpoint. A server accepting every version needs 4 (versions) + 15 + 15 + 35
   * + 5 (one per candidate suite, Node 20 / OpenSSL 3.0) + 1 (chain, OCSP, ALPN) = 75.
   */
  maxConnections: 100,
  /** Whole deep check of one endpoint. */
  timeBudgetMs: 60_000,
  /** Handshakes at once against one endpoint. */
  parallel: 4,
  /**
   * Connections at once to one host from one check with the deep check on, every endpoint and
   * every connection counted (a scan's endpoints, the check's own, --deep's two probes): see
   * ../connectionGate.ts.
   */
  connectionsPerHost: 6,
  /** One handshake (connect, STARTTLS, TLS), unless the probe's phase timeout is shorter. */
  handshakeTimeoutMs: 10_000,
  /** The leaf expires within this many days: `tls-cert-expiring`. */
  expiryWarningDays: 14,
} as const;
