/**
 * `mailroom-check --domain example.com`: the domain's mail posture (MX and their SMTP ports, SPF,
 * DMARC, MTA-STS, TLS-RPT, DANE, reverse DNS, client setup records). Exit as for every check
 * (`--fail-on`): 0 nothing failed (with `warning`: no warnings either); 1 warnings with `--fail-on
 * warning`; 2 the domain could not be checked (bad name, DNS failing).
 */
import { checkDomain, createDomainResolver, domainReportToJson, renderDomainMarkdown } from '../protocol/probe/domain';
import type { DomainCheckOptions } from '../protocol/probe/domain';
import type { DomainReport } from '../protocol/probe/domain/types';
import type { Dial } from '../protocol/http/dial';

export interface DomainCliOptions {
  json: boolean;
  /** Like the endpoint checks: warnings give exit 1 only with 'warning'. */
  failOn: 'warning' | 'error';
  ca?: string[];
  timeoutMs?: number;
  /** MAILROOM_DISCOVERY_DNS: a DNS server `ip:port` to ask instead of the system's. */
  dnsServer?: string;
  dial?: Dial;
}

export async function runDomainCheck(domain: string, options: DomainCliOptions, io: { stdout(t: string): void; stderr(t: string): void }): Promise<number> {
  const check: DomainCheckOptions = {
    resolver: createDomainResolver({ ...(options.dnsServer ? { servers: [options.dnsServer] } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }),
    ...(options.dial ? { dial: options.dial } : {}),
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.timeoutMs !== undefined ? { dnsTimeoutMs: options.timeoutMs, fetchTimeoutMs: options.timeoutMs, probeTimeoutMs: options.timeoutMs } : {}),
  };
  let report: DomainReport;
  try {
    report = await checkDomain(domain, check);
  } catch (err) {
    io.stderr(`mailroom-check: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  io.stdout(options.json ? `${domainReportToJson(report)}\n` : renderDomainMarkdown(report));
  return domainExitCode(report, options.failOn);
}

export function domainExitCode(report: DomainReport, failOn: 'warning' | 'error' = 'error'): number {
  if (report.mxError && !report.mx.length) return 2;
  return failOn === 'warning' && report.findings.some((f) => f.level === 'warning') ? 1 : 0;
}
