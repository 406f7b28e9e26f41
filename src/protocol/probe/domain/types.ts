/**
 * The report of one mail domain's posture: MX hosts and their SMTP ports, SPF, DMARC, MTA-STS,
 * TLS-RPT, DANE, reverse DNS, autoconfig and SRV. Plain data, printed as Markdown or JSON.
 */
import type { ProbeReport } from '../../../shared/probeReport';

/** Stable codes; scripts match on these, never on the message. */
export type DomainFindingCode =
  | 'mx-missing'
  | 'mx-unreachable'
  | 'mx-no-starttls'
  | 'mx-no-ptr'
  | 'mx-ptr-mismatch'
  | 'mx-certificate-invalid'
  | 'spf-missing'
  | 'spf-multiple'
  | 'spf-invalid'
  | 'spf-plus-all'
  | 'spf-neutral-all'
  | 'spf-too-many-lookups'
  | 'spf-void-lookups'
  | 'spf-loop'
  | 'spf-include-missing'
  | 'spf-ptr'
  | 'dmarc-missing'
  | 'dmarc-multiple'
  | 'dmarc-invalid'
  | 'dmarc-policy-none'
  | 'dmarc-partial'
  | 'mta-sts-missing'
  | 'mta-sts-invalid'
  | 'mta-sts-policy-unavailable'
  | 'mta-sts-mx-mismatch'
  | 'mta-sts-testing'
  | 'tls-rpt-missing'
  | 'tls-rpt-invalid'
  | 'dane-missing'
  | 'dane-mismatch'
  | 'dane-unusable'
  /** TLSA records came without the resolver's AD bit: not DNSSEC-validated, so not to be trusted. */
  | 'dane-unvalidated'
  | 'autoconfig-missing';

/** `warning`: something is wrong or unprotected (exit 1). `info`: worth knowing, common, not wrong. */
export type FindingLevel = 'warning' | 'info';

export interface DomainFinding {
  code: DomainFindingCode;
  level: FindingLevel;
  message: string;
}

/** A DNS answer as the report shows it: the records, or why there are none. */
export interface TxtLookup {
  name: string;
  /** Every TXT record at the name (strings of one record joined, RFC 7208 3.3). */
  records: string[];
  /** NXDOMAIN/NODATA is not an error: `records` is empty. A failure (timeout, SERVFAIL) is. */
  error?: string;
}

export interface MxHostReport {
  host: string;
  priority: number;
  addresses: string[];
  /** Per address: its PTR names and whether one resolves forward to the address again. */
  reverse: Array<{ address: string; names: string[]; forwardConfirmed: boolean; error?: string }>;
  /** Port 25, 465 and 587, as the endpoint probe saw them. */
  ports: ProbeReport[];
  dane?: DaneReport;
}

export interface SpfTerm {
  /** `+`, `-`, `~`, `?` for mechanisms; absent for modifiers. */
  qualifier?: '+' | '-' | '~' | '?';
  /** Mechanism or modifier name, lower-case (include, a, mx, ip4, all, redirect, exp ...). */
  name: string;
  /** Text after `:` or `=` (domain-spec, CIDR ...). */
  value?: string;
  modifier: boolean;
}

export interface SpfReport {
  lookup: TxtLookup;
  record?: string;
  terms: SpfTerm[];
  /** DNS-querying terms counted over the whole include/redirect tree (RFC 7208 4.6.4: at most 10). */
  dnsLookups: number;
  /** Lookups that found nothing (at most 2). */
  voidLookups: number;
  /** Every include/redirect target followed, with its own record. */
  included: Array<{ domain: string; via: 'include' | 'redirect'; record?: string; error?: string }>;
  /** The `all` qualifier the record ends with, if any. */
  all?: SpfTerm['qualifier'];
}

export interface DmarcPolicy {
  p?: string;
  sp?: string;
  pct?: number;
  rua: string[];
  ruf: string[];
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  tags: Record<string, string>;
}

export interface DmarcReport {
  lookup: TxtLookup;
  record?: string;
  policy?: DmarcPolicy;
}

export interface MtaStsPolicy {
  version?: string;
  mode?: string;
  maxAge?: number;
  mx: string[];
}

export interface MtaStsReport {
  lookup: TxtLookup;
  id?: string;
  policyUrl: string;
  policy?: MtaStsPolicy;
  /** Why the policy file could not be read or used. */
  policyError?: string;
  /** MX hosts no `mx` pattern of the policy matches. */
  unmatchedMx: string[];
}

export interface TlsRptReport {
  lookup: TxtLookup;
  record?: string;
  rua: string[];
}

export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  /** Hex. */
  data: string;
}

export interface DaneReport {
  name: string;
  records: TlsaRecord[];
  /** The DNS server set the AD bit: it validated the answer with DNSSEC. Mailroom does not validate itself. */
  authenticated: boolean;
  /** `tcp` when the UDP answer was truncated (TC) and the records were read over TCP. */
  transport?: 'udp' | 'tcp';
  error?: string;
  /** Undefined when there was no certificate to compare (no TLS on port 25). */
  matches?: boolean;
  /** The record that matched, as `usage selector matching`. */
  matchedBy?: string;
}

export interface SetupReport {
  srv: Array<{ name: string; targets: string[]; error?: string }>;
  autoconfig: Array<{ url: string; ok: boolean; status?: number; error?: string }>;
}

export interface DomainReport {
  domain: string;
  startedAt: string;
  totalMs: number;
  mx: MxHostReport[];
  mxError?: string;
  spf: SpfReport;
  dmarc: DmarcReport;
  mtaSts: MtaStsReport;
  tlsRpt: TlsRptReport;
  setup: SetupReport;
  findings: DomainFinding[];
}
