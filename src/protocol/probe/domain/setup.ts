/**
 * What mail clients find when they set up an account at the domain: the RFC 6186/8314 SRV
 * records and Thunderbird's autoconfig files, looked up as discovery does (same names, same
 * bounded HTTPS request), and reported as present or not.
 */
import { autoconfigUrls } from '../../discovery/autoconfigUrls';
import { SRV_SERVICES, usableSrvTargets } from '../../discovery/srv';
import { boundedRequest, HttpFailure } from '../../http/boundedRequest';
import type { Dial } from '../../http/dial';
import { DOMAIN_LIMITS } from './limits';
import { describeDnsError, DomainResolver, isNoData, withDeadline } from './resolver';
import type { DomainFinding, SetupReport } from './types';

export interface SetupOptions {
  resolver: DomainResolver;
  dnsTimeoutMs: number;
  fetchTimeoutMs: number;
  dial?: Dial;
  ca?: readonly string[];
}

export async function checkSetup(domain: string, options: SetupOptions): Promise<{ report: SetupReport; findings: DomainFinding[] }> {
  const [srv, autoconfig] = await Promise.all([
    Promise.all(SRV_SERVICES.map((s) => srvOf(`${s.service}.${domain}`, options))),
    Promise.all(autoconfigUrls(domain, `user@${domain}`).map((u) => fetchOk(u.url, options))),
  ]);
  const report: SetupReport = { srv, autoconfig };
  const findings: DomainFinding[] = [];
  if (!autoconfig.some((a) => a.ok) && !srv.some((s) => s.targets.length)) {
    findings.push({ code: 'autoconfig-missing', level: 'info', message: `${domain} publishes neither autoconfig files nor SRV records: mail clients have to guess its servers (imap.${domain}, smtp.${domain} …) or ask the user.` });
  }
  return { report, findings };
}

async function srvOf(name: string, options: SetupOptions): Promise<SetupReport['srv'][number]> {
  try {
    const records = await withDeadline(`The SRV lookup of ${name}`, () => options.resolver.resolveSrv(name), options.dnsTimeoutMs);
    return { name, targets: usableSrvTargets(name, records).map((t) => `${t.host}:${t.port}`) };
  } catch (err) {
    if (isNoData(err)) return { name, targets: [] };
    return { name, targets: [], error: err instanceof Error && !('code' in err) ? err.message : describeDnsError(name, 'SRV', err) };
  }
}

async function fetchOk(url: string, options: SetupOptions): Promise<SetupReport['autoconfig'][number]> {
  try {
    const res = await boundedRequest(new URL(url), {
      timeoutMs: options.fetchTimeoutMs,
      maxBytes: DOMAIN_LIMITS.maxPolicyBytes,
      ...(options.dial ? { dial: options.dial } : {}),
      ...(options.ca?.length ? { ca: options.ca } : {}),
    });
    const xml = res.status === 200 && /<clientConfig\b/.test(res.body.toString('utf8'));
    return { url, ok: xml, status: res.status, ...(res.status === 200 && !xml ? { error: 'the answer is not a config-v1.1 file' } : {}) };
  } catch (err) {
    return { url, ok: false, error: err instanceof HttpFailure ? err.kind : String(err) };
  }
}
