/**
 * A developer override for discovery, read from the environment only when a discovery runs (never
 * at activation): for people testing their own domain's setup before publishing it, and for the
 * test suites, which serve a whole mail domain on loopback.
 *
 *   MAILROOM_DISCOVERY_DNS=127.0.0.1:PORT          MX and SRV lookups ask this DNS server
 *   MAILROOM_DISCOVERY_HOSTS=name=ADDR[:PORT],...   host names (or `name:port`) connect there
 *   MAILROOM_DISCOVERY_CA=/path/ca.pem              one more CA trusted for the autoconfig fetches and probes
 *
 * Without them the system resolver and the system's trusted roots answer. `mailroom-check
 * --discover` and Add Account read the same variables.
 */
import { promises as dnsPromises } from 'node:dns';
import * as fs from 'node:fs';
import { MailError } from '../errors';
import type { Dial } from './dial';
import type { DnsResolver } from './srv';

export interface DiscoveryOverrides {
  resolver?: DnsResolver;
  dial?: Dial;
  ca?: string[];
  /** Where a name mapped by MAILROOM_DISCOVERY_HOSTS really is; undefined for names it does not map. */
  connectTo(host: string, port: number): { host: string; port: number } | undefined;
  /** The variables that were set, for the log. */
  active: string[];
}

export function discoveryOverridesFromEnv(env: NodeJS.ProcessEnv): DiscoveryOverrides {
  const out: DiscoveryOverrides = { connectTo: () => undefined, active: [] };
  const dnsServer = env.MAILROOM_DISCOVERY_DNS?.trim();
  if (dnsServer) {
    const resolver = new dnsPromises.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([dnsServer]);
    out.resolver = resolver;
    out.active.push(`MAILROOM_DISCOVERY_DNS=${dnsServer}`);
  }
  const hosts = env.MAILROOM_DISCOVERY_HOSTS?.trim();
  if (hosts) {
    const map = new Map<string, { address: string; port?: number }>();
    for (const entry of hosts.split(',')) {
      const [name, target] = entry.split('=');
      if (!name || !target) continue;
      const m = /^(.*?)(?::(\d+))?$/.exec(target.trim())!;
      map.set(name.trim().toLowerCase(), { address: m[1], ...(m[2] ? { port: Number(m[2]) } : {}) });
    }
    const lookup = (host: string, port: number): { host: string; port: number } | undefined => {
      const found = map.get(`${host.toLowerCase()}:${port}`) ?? map.get(host.toLowerCase());
      return found ? { host: found.address, port: found.port ?? port } : undefined;
    };
    out.dial = async (host, port) => {
      const found = lookup(host, port);
      if (!found) throw new MailError('HostNotFound', `The host name ${host} has no address (not in MAILROOM_DISCOVERY_HOSTS).`);
      return { address: found.host, port: found.port };
    };
    out.connectTo = lookup;
    out.active.push(`MAILROOM_DISCOVERY_HOSTS (${map.size} names)`);
  }
  const caFile = env.MAILROOM_DISCOVERY_CA?.trim();
  if (caFile) {
    try {
      out.ca = [fs.readFileSync(caFile, 'utf8')];
    } catch (err) {
      throw new MailError('InvalidAccount', `MAILROOM_DISCOVERY_CA names ${caFile}, which cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    out.active.push(`MAILROOM_DISCOVERY_CA=${caFile}`);
  }
  return out;
}
