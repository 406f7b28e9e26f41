/** DMARC (RFC 7489): the `_dmarc.<domain>` record's policy, reporting addresses and alignment. */
import { DomainResolver, txtRecords } from './resolver';
import { parseTags, uriList } from './tags';
import type { DmarcPolicy, DmarcReport, DomainFinding } from './types';

const POLICIES = new Set(['none', 'quarantine', 'reject']);

export class DmarcSyntaxError extends Error {}

export function isDmarcRecord(text: string): boolean {
  return /^v\s*=\s*DMARC1\s*(?:;|$)/i.test(text);
}

/** Parses one DMARC record; throws DmarcSyntaxError saying what is wrong. */
export function parseDmarc(record: string): DmarcPolicy {
  if (!isDmarcRecord(record)) throw new DmarcSyntaxError('it does not start with "v=DMARC1"');
  let tags: Array<[string, string]>;
  try {
    tags = parseTags(record);
  } catch (err) {
    throw new DmarcSyntaxError((err as Error).message);
  }
  const map = Object.fromEntries(tags) as Record<string, string>;
  const p = map.p?.toLowerCase();
  if (p === undefined) throw new DmarcSyntaxError('it has no policy (p=none, quarantine or reject)');
  if (!POLICIES.has(p)) throw new DmarcSyntaxError(`p=${p.slice(0, 30)} is not none, quarantine or reject`);
  const sp = map.sp?.toLowerCase();
  if (sp !== undefined && !POLICIES.has(sp)) throw new DmarcSyntaxError(`sp=${sp.slice(0, 30)} is not none, quarantine or reject`);
  let pct: number | undefined;
  if (map.pct !== undefined) {
    pct = /^\d{1,3}$/.test(map.pct) ? Number(map.pct) : NaN;
    if (!(pct >= 0 && pct <= 100)) throw new DmarcSyntaxError(`pct=${map.pct.slice(0, 30)} is not a percentage from 0 to 100`);
  }
  const alignment = (tag: 'adkim' | 'aspf'): 'r' | 's' => {
    const v = (map[tag] ?? 'r').toLowerCase();
    if (v !== 'r' && v !== 's') throw new DmarcSyntaxError(`${tag}=${v.slice(0, 30)} is not r (relaxed) or s (strict)`);
    return v;
  };
  return { p, ...(sp ? { sp } : {}), ...(pct !== undefined ? { pct } : {}), rua: uriList(map.rua), ruf: uriList(map.ruf), adkim: alignment('adkim'), aspf: alignment('aspf'), tags: map };
}

export async function checkDmarc(domain: string, resolver: DomainResolver, timeoutMs: number): Promise<{ report: DmarcReport; findings: DomainFinding[] }> {
  const name = `_dmarc.${domain}`;
  const findings: DomainFinding[] = [];
  const warn = (code: DomainFinding['code'], message: string): void => void findings.push({ code, level: 'warning', message });
  const lookup = { name, ...(await txtRecords(resolver, name, timeoutMs)) };
  const report: DmarcReport = { lookup };
  const records = lookup.records.filter(isDmarcRecord);
  if (!records.length) {
    warn('dmarc-missing', lookup.error
      ? `DMARC could not be read: ${lookup.error}.`
      : `${domain} publishes no DMARC record at ${name}: receivers get no policy for mail that fails SPF and DKIM, and the owner gets no reports of forgeries.`);
    return { report, findings };
  }
  if (records.length > 1) {
    warn('dmarc-multiple', `${name} has ${records.length} DMARC records; RFC 7489 6.6.3 says to ignore them all then. Keep one.`);
    return { report, findings };
  }
  report.record = records[0];
  try {
    report.policy = parseDmarc(records[0]);
  } catch (err) {
    warn('dmarc-invalid', `The DMARC record at ${name} is invalid: ${(err as Error).message}.`);
    return { report, findings };
  }
  const { p, pct } = report.policy;
  if (p === 'none') warn('dmarc-policy-none', `The DMARC policy of ${domain} is p=none: failing mail is only reported, never quarantined or rejected.`);
  if (pct !== undefined && pct < 100 && p !== 'none') warn('dmarc-partial', `The DMARC policy applies to ${pct}% of failing mail (pct=${pct}); the rest is delivered as if there were no policy.`);
  return { report, findings };
}
