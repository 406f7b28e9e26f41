/**
 * Every bound the domain check applies, in one place. It reads records and files a stranger
 * controls, so each size, count and wait is capped.
 */
export const DOMAIN_LIMITS = {
  /** One DNS query. */
  dnsTimeoutMs: 3000,
  /** One HTTPS fetch (MTA-STS policy, autoconfig), connect to last byte. */
  fetchTimeoutMs: 5000,
  /** RFC 8461 names no limit; real policies are a few hundred bytes. */
  maxPolicyBytes: 64 * 1024,
  /** Longest TXT record parsed (SPF, DMARC, MTA-STS, TLS-RPT); real ones are under 1 KiB. */
  maxRecordChars: 4096,
  /** Terms in one SPF record. */
  maxSpfTerms: 128,
  /** RFC 7208 4.6.4. */
  spfMaxLookups: 10,
  spfMaxVoidLookups: 2,
  /** Lookups still followed past the limit, so the report can say how far over a record is. */
  spfCountBeyondLimit: 20,
  /** DNS queries one SPF walk may send, whatever the record says. */
  maxSpfQueries: 40,
  /** MX hosts checked (their ports probed, PTR and TLSA read). */
  maxMxHosts: 5,
  /** Addresses per MX host whose reverse DNS is read. */
  maxAddressesPerMx: 4,
  /** `mx:` lines taken from an MTA-STS policy. */
  maxPolicyMx: 64,
  /** Tags taken from one DMARC/TLS-RPT record, reporting addresses per tag. */
  maxTags: 32,
  maxReportAddresses: 16,
} as const;
