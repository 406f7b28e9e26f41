/**
 * What the domain check asks DNS. Production builds it on node:dns with the system's servers;
 * tests point it at a DNS server on loopback (and mailroom-check at the server its environment names).
 */
import { promises as dns } from 'node:dns';
import { queryTlsa, TlsaAnswer } from './tlsaQuery';

export interface DomainResolver {
  resolveMx(name: string): Promise<Array<{ exchange: string; priority: number }>>;
  /** Each record as its character-strings. */
  resolveTxt(name: string): Promise<string[][]>;
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  reverse(address: string): Promise<string[]>;
  resolveTlsa(name: string): Promise<TlsaAnswer>;
}

/** A resolver on `servers` (`ip` or `ip:port`), or the system's own servers when none are given. */
export function createDomainResolver(options: { servers?: string[]; timeoutMs?: number } = {}): DomainResolver {
  const timeoutMs = options.timeoutMs ?? 3000;
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  if (options.servers?.length) resolver.setServers(options.servers);
  const servers = (): string[] => resolver.getServers();
  return {
    resolveMx: (n) => resolver.resolveMx(n),
    resolveTxt: (n) => resolver.resolveTxt(n),
    resolveSrv: (n) => resolver.resolveSrv(n),
    resolve4: (n) => resolver.resolve4(n),
    resolve6: (n) => resolver.resolve6(n),
    reverse: (a) => resolver.reverse(a),
    resolveTlsa: async (n) => {
      const [server] = servers();
      if (!server) throw new Error('no DNS server is configured');
      return queryTlsa(n, server, timeoutMs);
    },
  };
}

/** NXDOMAIN and NODATA: the name has nothing of that type. Everything else is a failure. */
export function isNoData(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

/** Runs a query with a deadline. */
export async function withDeadline<T>(what: string, query: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      query(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`${what} did not answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The TXT records at `name`, each joined (RFC 7208 3.3); [] for NXDOMAIN/NODATA. */
export async function txtRecords(resolver: DomainResolver, name: string, timeoutMs: number): Promise<{ records: string[]; error?: string }> {
  try {
    const answer = await withDeadline(`The TXT lookup of ${name}`, () => resolver.resolveTxt(name), timeoutMs);
    return { records: answer.map((chunks) => chunks.join('')) };
  } catch (err) {
    if (isNoData(err)) return { records: [] };
    return { records: [], error: describeDnsError(name, 'TXT', err) };
  }
}

export function describeDnsError(name: string, type: string, err: unknown): string {
  const code = (err as { code?: string } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return `the ${type} lookup of ${name} failed (${code ?? message})`;
}
