import { promises as dns } from 'node:dns';
import { MailError } from '../errors';
import { isHostName } from './address';
import { DISCOVERY_LIMITS } from './limits';
import type { ServerProtocol, ServerSecurity } from './types';

/** MX and SRV lookups; production passes node:dns/promises, tests a Resolver pointed at a local DNS server. */
export interface DnsResolver {
  resolveMx(name: string): Promise<Array<{ exchange: string; priority: number }>>;
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
}

export const systemResolver: DnsResolver = dns;

/** RFC 6186 services (with RFC 8314's `_submissions`), TLS first within each protocol. */
export const SRV_SERVICES: ReadonlyArray<{ service: string; role: 'incoming' | 'outgoing'; protocol: ServerProtocol; security: ServerSecurity }> = [
  { service: '_imaps._tcp', role: 'incoming', protocol: 'imap', security: 'tls' },
  { service: '_imap._tcp', role: 'incoming', protocol: 'imap', security: 'starttls' },
  { service: '_pop3s._tcp', role: 'incoming', protocol: 'pop3', security: 'tls' },
  { service: '_pop3._tcp', role: 'incoming', protocol: 'pop3', security: 'starttls' },
  { service: '_submissions._tcp', role: 'outgoing', protocol: 'smtp', security: 'tls' },
  { service: '_submission._tcp', role: 'outgoing', protocol: 'smtp', security: 'starttls' },
];

export interface SrvTarget {
  host: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * The usable targets of one SRV answer, by priority then weight (highest first). RFC 2782: a lone
 * target of "." means the service is decidedly not offered. Records with a port outside 1..65535
 * or a target that is not a host name are dropped; when nothing usable is left the answer is a
 * ConfigInvalid error saying what was wrong.
 */
export function usableSrvTargets(name: string, records: ReadonlyArray<{ name: string; port: number; priority: number; weight: number }>): SrvTarget[] {
  const problems: string[] = [];
  const out: SrvTarget[] = [];
  for (const r of records) {
    const host = String(r.name ?? '').toLowerCase().replace(/\.$/, '');
    if (host === '') {
      problems.push('the target "." means the domain does not offer this service');
      continue;
    }
    if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) {
      problems.push(`port ${String(r.port)} is not a port from 1 to 65535`);
      continue;
    }
    if (!isHostName(host)) {
      problems.push(`target "${host.slice(0, 60)}" is not a host name`);
      continue;
    }
    out.push({ host, port: r.port, priority: Number(r.priority) || 0, weight: Number(r.weight) || 0 });
  }
  if (!out.length) {
    throw new MailError('ConfigInvalid', `The DNS record ${name} is not usable: ${problems.join('; ') || 'it has no target'}.`);
  }
  out.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  return out.slice(0, DISCOVERY_LIMITS.maxAlternatives);
}

/** Races a DNS query against the per-lookup deadline; turns resolver failures into user sentences. */
export async function withDnsDeadline<T>(name: string, what: string, query: () => Promise<T>, timeoutMs: number = DISCOVERY_LIMITS.dnsTimeoutMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      query(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new MailError('Timeout', `The DNS ${what} lookup of ${name} did not answer within ${timeoutMs} ms.`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (MailError.is(err)) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw new MailError('HostNotFound', `DNS has no ${what} record for ${name}.`, { detail: code });
    throw new MailError('HostNotFound', `The DNS ${what} lookup of ${name} failed (${code ?? (err instanceof Error ? err.message : String(err))}).`, { detail: code, cause: err });
  } finally {
    clearTimeout(timer);
  }
}
