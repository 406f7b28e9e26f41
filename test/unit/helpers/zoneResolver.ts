/**
 * An in-memory DomainResolver for parser and counting tests: names not in the zone answer like
 * NXDOMAIN; every query is recorded so tests can bound how many were sent.
 */
import type { DomainResolver } from '../../../src/protocol/probe/domain/resolver';

export interface Zone {
  txt?: Record<string, string[]>;
  a?: Record<string, string[]>;
  mx?: Record<string, Array<{ exchange: string; priority: number }>>;
}

export function zoneResolver(zone: Zone): DomainResolver & { queries: string[] } {
  const queries: string[] = [];
  const nx = (name: string): Error => Object.assign(new Error(`queryX ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  const get = async <T>(type: string, table: Record<string, T[]> | undefined, name: string): Promise<T[]> => {
    queries.push(`${type} ${name}`);
    const found = table?.[name.toLowerCase()];
    if (!found) throw nx(name);
    return found;
  };
  return {
    queries,
    resolveTxt: async (n) => (await get('TXT', zone.txt, n)).map((r) => [r]),
    resolve4: (n) => get('A', zone.a, n),
    resolve6: (n) => get('AAAA', undefined, n),
    resolveMx: (n) => get('MX', zone.mx, n),
    resolveSrv: (n) => get('SRV', undefined, n),
    reverse: (n) => get('PTR', undefined, n),
    resolveTlsa: async () => ({ records: [], authenticated: false, empty: true }),
  };
}
