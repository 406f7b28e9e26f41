/** SMTP TLS Reporting (RFC 8460): the `_smtp._tls.<domain>` record and where reports go. */
import { DomainResolver, txtRecords } from './resolver';
import { parseTags, uriList } from './tags';
import type { DomainFinding, TlsRptReport } from './types';

export function isTlsRptRecord(text: string): boolean {
  return /^v\s*=\s*TLSRPTv1\s*(?:;|$)/i.test(text);
}

/** The rua addresses of a TLS-RPT record; throws when the record cannot be used. */
export function parseTlsRpt(record: string): string[] {
  const tags = Object.fromEntries(parseTags(record)) as Record<string, string>;
  const rua = uriList(tags.rua);
  if (!rua.length) throw new Error('it names no report address (rua=mailto:… or https://…)');
  const bad = rua.find((u) => !/^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/i.test(u));
  if (bad) throw new Error(`"${bad.slice(0, 60)}" is neither a mailto: nor an https: address`);
  return rua;
}

export async function checkTlsRpt(domain: string, resolver: DomainResolver, timeoutMs: number): Promise<{ report: TlsRptReport; findings: DomainFinding[] }> {
  const name = `_smtp._tls.${domain}`;
  const lookup = { name, ...(await txtRecords(resolver, name, timeoutMs)) };
  const report: TlsRptReport = { lookup, rua: [] };
  const records = lookup.records.filter(isTlsRptRecord);
  if (!records.length) {
    return { report, findings: [{ code: 'tls-rpt-missing', level: 'info', message: lookup.error ? `TLS-RPT could not be read: ${lookup.error}.` : `${domain} publishes no TLS-RPT record at ${name}: nobody hears when senders fail to reach its servers over TLS.` }] };
  }
  if (records.length > 1) {
    return { report, findings: [{ code: 'tls-rpt-invalid', level: 'warning', message: `${name} has ${records.length} TLS-RPT records; RFC 8460 3 says senders then use none. Keep one.` }] };
  }
  report.record = records[0];
  try {
    report.rua = parseTlsRpt(records[0]);
  } catch (err) {
    return { report, findings: [{ code: 'tls-rpt-invalid', level: 'warning', message: `The TLS-RPT record at ${name} is invalid: ${(err as Error).message}.` }] };
  }
  return { report, findings: [] };
}
