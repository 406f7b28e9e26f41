/**
 * Every limit the probe applies, in one place. The probe talks to servers that may be broken or
 * hostile, so each wait and each buffer is bounded.
 */
export const PROBE_LIMITS = {
  /** Default time one phase (DNS, connect, greeting, TLS handshake, one command) may take. */
  phaseTimeoutMs: 10_000,
  /** LOGOUT/QUIT is a courtesy: a server that does not answer quickly is simply dropped. */
  logoutTimeoutMs: 2_000,
  /**
   * Longest line accepted. Real CAPABILITY/EHLO/ID lines are well under 4 KB; RFC 9051 asks
   * clients to accept at least 8,000 octets. 64 KB keeps garbage from growing without bound.
   */
  maxLineBytes: 64 * 1024,
  /** Lines read for one response (untagged lines before the tagged one, CAPA or EHLO lines). */
  maxLinesPerResponse: 1_000,
  /** IMAP literal inside an ID or CAPABILITY response; anything larger is not a real answer. */
  maxLiteralBytes: 64 * 1024,
  /** A greeting slower than this gets a warning: clients time out around 10-30 s. */
  slowGreetingMs: 2_000,
  /** Certificates expiring within this many days get a warning (Let's Encrypt renews at 30). */
  certificateExpiryWarningDays: 30,
  /** Issuer links followed when reading the certificate chain. */
  maxChainLength: 10,
  /**
   * STARTTLS command injection: how long to wait, after the handshake, for an answer to the
   * command written behind STARTTLS. A vulnerable server answers at once from its buffer, one
   * round trip after the handshake; 600 ms covers intercontinental links without making the
   * deep check crawl.
   */
  injectionAnswerWaitMs: 600,
  /** Once one line of such an answer came, how long to wait for each further line (and how many to keep). */
  injectionFollowMs: 150,
  injectionMaxLines: 20,
  /**
   * Endpoints one scan may check (`--ports`). Each is a connection of its own; a mail host has a
   * handful of ports, and a bound keeps a typo like 1-65535 from becoming a port scan.
   */
  maxScanEndpoints: 64,
  /** Endpoints of a scan checked at the same time; the rest wait for a free slot. */
  scanConcurrency: 16,
  /** Longest server text kept in an error message. */
  maxQuotedChars: 300,
} as const;
