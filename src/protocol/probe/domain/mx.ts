/**
 * The domain's MX hosts: their addresses, reverse DNS (PTR, confirmed forward again), what
 * answers on 25, 465 and 587 (the endpoint probe, all hosts and ports at once, each phase under
 * its deadline) and the certificate port 25 served, for DANE.
 */
import * as net from 'node:net';
import { probeEndpoint, ProbeOptions } from '../probe';
import { scanTargets } from '../scan';
import { DOMAIN_LIMITS } from './limits';
import { describeDnsError, DomainResolver, isNoData, withDeadline } from './resolver';
import type { DomainFinding, MxHostReport } from './types';

export interface MxCheck {
  hosts: MxHostReport[];
  error?: string;
  /** Per host: the chain port 25 served (DER, leaf first). */
  chains: Map<string, Buffer[]>;
  findings: DomainFinding[];
}

const MX_PORTS = { smtp: 25, smtps: 465, submission: 587 } as const;

export async function checkMx(domain: string, resolver: DomainResolver, dnsTimeoutMs: number, probe: ProbeOptions): Promise<MxCheck> {
  const out: MxCheck = { hosts: [], chains: new Map(), findings: [] };
  const warn = (code: DomainFinding['code'], message: string): void => {
    if (!out.findings.some((f) => f.code === code && f.message === message)) out.findings.push({ code, level: 'warning', message });
  };
  let records: Array<{ exchange: string; priority: number }>;
  try {
    records = await withDeadline(`The MX lookup of ${domain}`, () => resolver.resolveMx(domain), dnsTimeoutMs);
  } catch (err) {
    records = [];
    if (!isNoData(err)) out.error = describeDnsError(domain, 'MX', err);
  }
  const named = records
    .map((r) => ({ host: String(r.exchange ?? '').toLowerCase().replace(/\.$/, ''), priority: Number(r.priority) || 0 }))
    .sort((a, b) => a.priority - b.priority);
  if (named.length === 1 && named[0].host === '') {
    out.findings.push({ code: 'mx-missing', level: 'info', message: `${domain} publishes a null MX (RFC 7505): it says it accepts no mail at all.` });
    return out;
  }
  const hosts = named.filter((r) => r.host !== '').slice(0, DOMAIN_LIMITS.maxMxHosts);
  if (!hosts.length) {
    warn('mx-missing', out.error ? `The MX records could not be read: ${out.error}.` : `${domain} publishes no MX record; senders fall back to its address record (RFC 5321 5.1), if it has one.`);
    return out;
  }
  out.hosts = await Promise.all(hosts.map((h) => checkHost(h, resolver, dnsTimeoutMs, probe, out.chains)));
  for (const h of out.hosts) {
    const smtp = h.ports.find((p) => p.port === MX_PORTS.smtp);
    if (smtp && !smtp.greeting.ok) {
      warn('mx-unreachable', `${h.host} does not answer SMTP on port 25 (${smtp.error?.message ?? 'no greeting'}): mail for ${domain} cannot be delivered there.`);
    } else if (smtp && !smtp.tls.ok) {
      warn('mx-no-starttls', smtp.tls.mode === 'none'
        ? `${h.host} does not offer STARTTLS on port 25: mail to ${domain} travels unencrypted.`
        : `${h.host} offers STARTTLS on port 25 but the TLS handshake fails (${smtp.tls.error?.message ?? 'unknown reason'}): senders fall back to unencrypted delivery or give up.`);
    }
    for (const r of h.reverse) {
      if (r.error) continue;
      if (!r.names.length) warn('mx-no-ptr', `The address ${r.address} of ${h.host} has no reverse DNS (PTR) name; many receivers distrust mail from such addresses.`);
      else if (!r.forwardConfirmed) warn('mx-ptr-mismatch', `The reverse DNS name of ${r.address} (${h.host}) is ${r.names.join(', ')}, which does not resolve back to ${r.address}.`);
    }
  }
  return out;
}

async function checkHost(mx: { host: string; priority: number }, resolver: DomainResolver, timeoutMs: number, probe: ProbeOptions, chains: Map<string, Buffer[]>): Promise<MxHostReport> {
  const addresses = (await Promise.all([addressesOf(resolver, mx.host, 4, timeoutMs), addressesOf(resolver, mx.host, 6, timeoutMs)])).flat();
  const [reverse, ports] = await Promise.all([
    Promise.all(addresses.slice(0, DOMAIN_LIMITS.maxAddressesPerMx).map((a) => reverseOf(resolver, a, timeoutMs))),
    Promise.all(
      scanTargets(mx.host, MX_PORTS).map((target) =>
        probeEndpoint(target, {
          ...probe,
          ...(target.port === MX_PORTS.smtp ? { onCertificateChain: (chain: Buffer[]) => chains.set(mx.host, chain) } : {}),
        }),
      ),
    ),
  ]);
  return { host: mx.host, priority: mx.priority, addresses, reverse, ports };
}

async function addressesOf(resolver: DomainResolver, host: string, family: 4 | 6, timeoutMs: number): Promise<string[]> {
  try {
    return await withDeadline(`The address lookup of ${host}`, () => (family === 4 ? resolver.resolve4(host) : resolver.resolve6(host)), timeoutMs);
  } catch {
    return [];
  }
}

/** PTR names of `address`, and whether one of them has `address` among its own addresses. */
async function reverseOf(resolver: DomainResolver, address: string, timeoutMs: number): Promise<MxHostReport['reverse'][number]> {
  let names: string[];
  try {
    names = (await withDeadline(`The reverse lookup of ${address}`, () => resolver.reverse(address), timeoutMs)).slice(0, DOMAIN_LIMITS.maxAddressesPerMx);
  } catch (err) {
    if (isNoData(err)) return { address, names: [], forwardConfirmed: false };
    return { address, names: [], forwardConfirmed: false, error: describeDnsError(address, 'PTR', err) };
  }
  const family = net.isIPv6(address) ? 6 : 4;
  for (const name of names) {
    const forward = await addressesOf(resolver, name.replace(/\.$/, ''), family, timeoutMs);
    if (forward.some((a) => sameAddress(a, address))) return { address, names, forwardConfirmed: true };
  }
  return { address, names, forwardConfirmed: false };
}

function sameAddress(a: string, b: string): boolean {
  if (net.isIPv4(a) && net.isIPv4(b)) return a === b;
  const list = new net.BlockList();
  list.addAddress(a, 'ipv6');
  return net.isIPv6(b) && list.check(b, 'ipv6');
}
