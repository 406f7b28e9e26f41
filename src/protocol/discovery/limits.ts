/**
 * Every bound discovery applies, in one place. An autoconfig file is a few kilobytes; DNS and a
 * greeting take milliseconds; anything far beyond is broken or hostile, and Add Account must
 * answer within seconds either way.
 */
export const DISCOVERY_LIMITS = {
  /** One HTTP fetch, connect to last byte. Thunderbird waits about as long. */
  fetchTimeoutMs: 5000,
  /** One DNS query (MX, SRV). */
  dnsTimeoutMs: 3000,
  /** One verification probe phase (connect, greeting, TLS). */
  probeTimeoutMs: 5000,
  /** The largest autoconfig document read; read as a stream and cut off there (real ones are < 4 KiB). */
  maxConfigBytes: 64 * 1024,
  /** Same-domain redirects followed per URL. */
  maxRedirects: 3,
  /** Alternatives taken from one config file or SRV answer per role. */
  maxAlternatives: 8,
  /** XML nesting depth accepted (config-v1.1 nests 4 deep). */
  maxXmlDepth: 16,
} as const;
