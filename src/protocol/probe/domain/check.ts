/**
 * `checkDomain(domain)`: the mail posture of one domain, every part looked up at once where the
 * parts do not depend on each other (MTA-STS and DANE need the MX hosts first).
 */
import { isHostName } from '../../discovery/address';
import { MailError } from '../../errors';
import type { Dial } from '../../http/dial';
import type { ProbeOptions } from '../probe';
import { checkDane } from './dane';
import { checkDmarc } from './dmarc';
import { DOMAIN_LIMITS } from './limits';
import { checkMtaSts } from './mtaSts';
import { checkMx } from './mx';
import { createDomainResolver, DomainResolver } from './resolver';
import { checkSetup } from './setup';
import { checkSpf } from './spf';
import { checkTlsRpt } from './tlsRpt';
import type { DomainFinding, DomainReport, MxHostReport } from './types';

export interface DomainCheckOptions {
  /** Default: node:dns on the system's servers. */
  resolver?: DomainResolver;
  /** Where to connect for a host name and port (HTTPS fetches and the MX probes). */
  dial?: Dial;
  /** Extra trusted CA certificates (PEM) for HTTPS and the MX probes. */
  ca?: string[];
  dnsTimeoutMs?: number;
  fetchTimeoutMs?: number;
  /** Time each phase of an MX probe may take. */
  probeTimeoutMs?: number;
  maxPolicyBytes?: number;
}

/** `example.com` (any case, optional trailing dot) -> `example.com`; else InvalidAccount. */
export function normalizeDomain(input: string): string {
  const domain = input.trim().toLowerCase().replace(/\.$/, '');
  if (!isHostName(domain)) throw new MailError('InvalidAccount', `"${input.slice(0, 100)}" is not a domain name that can be looked up (type it as example.com).`);
  return domain;
}

export async function checkDomain(input: string, options: DomainCheckOptions = {}): Promise<DomainReport> {
  const domain = normalizeDomain(input);
  const started = Date.now();
  const resolver = options.resolver ?? createDomainResolver({ timeoutMs: options.dnsTimeoutMs });
  const dnsTimeoutMs = options.dnsTimeoutMs ?? DOMAIN_LIMITS.dnsTimeoutMs;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? DOMAIN_LIMITS.fetchTimeoutMs;
  const probe: ProbeOptions = {
    ...(options.dial ? { dial: options.dial } : {}),
    ...(options.ca?.length ? { ca: options.ca } : {}),
    ...(options.probeTimeoutMs !== undefined ? { timeoutMs: options.probeTimeoutMs } : {}),
  };
  const web = { resolver, dnsTimeoutMs, fetchTimeoutMs, ...(options.dial ? { dial: options.dial } : {}), ...(options.ca?.length ? { ca: options.ca } : {}) };

  const mxDone = checkMx(domain, resolver, dnsTimeoutMs, probe);
  const [mx, spf, dmarc, tlsRpt, setup, mtaSts] = await Promise.all([
    mxDone,
    checkSpf(domain, resolver, dnsTimeoutMs),
    checkDmarc(domain, resolver, dnsTimeoutMs),
    checkTlsRpt(domain, resolver, dnsTimeoutMs),
    checkSetup(domain, web),
    mxDone.then((m) => checkMtaSts(domain, m.hosts.map((h) => h.host), { ...web, ...(options.maxPolicyBytes ? { maxPolicyBytes: options.maxPolicyBytes } : {}) })),
  ]);
  const dane = await Promise.all(mx.hosts.map((h) => checkDane(h.host, mx.chains.get(h.host), resolver, dnsTimeoutMs)));
  mx.hosts.forEach((h, i) => (h.dane = dane[i].report));

  const findings: DomainFinding[] = [...mx.findings, ...certificateFindings(mx.hosts, mtaSts.report.policy?.mode), ...spf.findings, ...dmarc.findings, ...mtaSts.findings, ...tlsRpt.findings, ...daneFindings(dane.flatMap((d) => d.findings)), ...setup.findings];
  return {
    domain,
    startedAt: new Date(started).toISOString(),
    totalMs: Date.now() - started,
    mx: mx.hosts,
    ...(mx.error ? { mxError: mx.error } : {}),
    spf: spf.report,
    dmarc: dmarc.report,
    mtaSts: mtaSts.report,
    tlsRpt: tlsRpt.report,
    setup: setup.report,
    findings,
  };
}

/**
 * Port 25 with a certificate that does not verify for the MX host name. Senders doing opportunistic
 * TLS deliver anyway, so that is a note; under an MTA-STS policy in enforce mode they must not
 * deliver (RFC 8461 4.2), so it is a warning.
 */
function certificateFindings(hosts: readonly MxHostReport[], mode: string | undefined): DomainFinding[] {
  const out: DomainFinding[] = [];
  for (const h of hosts) {
    const tls = h.ports.find((p) => p.port === 25)?.tls;
    if (!tls?.ok || (tls.authorized !== false && tls.hostnameMatch !== false)) continue;
    const why = tls.hostnameMatch === false ? `it does not name ${h.host} (${tls.hostnameError ?? 'name mismatch'})` : `it does not verify (${tls.authorizationReason ?? tls.authorizationError ?? 'unknown reason'})`;
    const enforce = mode === 'enforce';
    out.push({
      code: 'mx-certificate-invalid',
      level: enforce ? 'warning' : 'info',
      message: `The certificate ${h.host} serves on port 25 is not valid for it: ${why}. ${enforce ? 'The MTA-STS policy is in enforce mode, so senders that honour it will not deliver there.' : 'Senders using opportunistic TLS deliver anyway; under MTA-STS or DANE they would not.'}`,
    });
  }
  return out;
}

/** One `dane-missing` for the domain when no MX host has TLSA records; else each host's own. */
function daneFindings(list: DomainFinding[]): DomainFinding[] {
  return list.length > 1 && list.every((f) => f.code === 'dane-missing') ? [list[0]] : list;
}
