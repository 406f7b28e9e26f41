/**
 * DANE for SMTP (RFC 7672, RFC 6698): the TLSA records at `_25._tcp.<mx>` and whether one of them
 * matches the certificate chain the MX host served on port 25. Usage 3 (DANE-EE) is compared with
 * the leaf, usage 2 (DANE-TA) with the certificates above it; selector 0 is the whole certificate,
 * 1 its SubjectPublicKeyInfo; matching type 0 is the data itself, 1 SHA-256, 2 SHA-512.
 * Usages 0 and 1 (PKIX-TA/EE) are not for SMTP (RFC 7672 3.1.3) and never count as a match.
 *
 * Mailroom does not validate DNSSEC itself: the report says whether the resolver did (AD bit).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { DomainResolver, isNoData, withDeadline } from './resolver';
import type { DaneReport, DomainFinding, TlsaRecord } from './types';

/** The bytes a TLSA record with this selector and matching type holds for `der`. */
export function tlsaData(der: Buffer, selector: number, matchingType: number): string | undefined {
  let bytes: Buffer;
  if (selector === 0) bytes = der;
  else if (selector === 1) bytes = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  else return undefined;
  if (matchingType === 0) return bytes.toString('hex');
  if (matchingType === 1) return createHash('sha256').update(bytes).digest('hex');
  if (matchingType === 2) return createHash('sha512').update(bytes).digest('hex');
  return undefined;
}

/** The first record that matches `chain` (leaf first, DER), as "usage selector matching". */
export function matchTlsa(records: readonly TlsaRecord[], chain: readonly Buffer[]): string | undefined {
  for (const r of records) {
    const candidates = r.usage === 3 ? chain.slice(0, 1) : r.usage === 2 ? chain.slice(1) : [];
    for (const der of candidates) {
      let data: string | undefined;
      try {
        data = tlsaData(der, r.selector, r.matchingType);
      } catch {
        continue; // a certificate Node cannot parse matches nothing
      }
      if (data !== undefined && data === r.data.toLowerCase()) return `${r.usage} ${r.selector} ${r.matchingType}`;
    }
  }
  return undefined;
}

export function usableForSmtp(r: TlsaRecord): boolean {
  return (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && r.matchingType >= 0 && r.matchingType <= 2;
}

/**
 * Reads the TLSA records of one MX host and compares them with `chain` (undefined: the host
 * served no certificate on port 25).
 */
export async function checkDane(mxHost: string, chain: readonly Buffer[] | undefined, resolver: DomainResolver, timeoutMs: number): Promise<{ report: DaneReport; findings: DomainFinding[] }> {
  const name = `_25._tcp.${mxHost}`;
  const report: DaneReport = { name, records: [], authenticated: false };
  const findings: DomainFinding[] = [];
  try {
    const answer = await withDeadline(`The TLSA lookup of ${name}`, () => resolver.resolveTlsa(name), timeoutMs);
    report.records = answer.records;
    report.authenticated = answer.authenticated;
    if (answer.transport) report.transport = answer.transport;
  } catch (err) {
    if (!isNoData(err)) report.error = err instanceof Error ? err.message : String(err);
  }
  if (!report.records.length) {
    findings.push({ code: 'dane-missing', level: 'info', message: report.error ? `The TLSA records of ${mxHost} could not be read: ${report.error}.` : `${mxHost} publishes no TLSA records at ${name}, so senders cannot check its certificate with DANE.` });
    return { report, findings };
  }
  const usable = report.records.filter(usableForSmtp);
  if (!usable.length) {
    findings.push({ code: 'dane-unusable', level: 'warning', message: `The TLSA records at ${name} use only usages or types SMTP does not use (RFC 7672 3.1.3: usage 2 or 3, selector 0 or 1, matching 0 to 2); DANE senders treat the host as having no usable TLSA records.` });
    return { report, findings };
  }
  if (!report.authenticated) {
    findings.push({
      code: 'dane-unvalidated',
      level: 'warning',
      message: `The TLSA records at ${name} came without the resolver's AD bit: they were not validated with DNSSEC, so nothing here tells them from forged ones, and DANE senders (RFC 7672 2.2) use TLSA records only from a signed zone. Either the zone is not signed, or the resolver asked does not validate.`,
    });
  }
  if (!chain?.length) return { report, findings }; // no TLS on port 25: mx-no-starttls says so
  const matched = matchTlsa(usable, chain);
  report.matches = matched !== undefined;
  if (matched) report.matchedBy = matched;
  else findings.push({ code: 'dane-mismatch', level: 'warning', message: `None of the ${usable.length} TLSA record(s) at ${name} matches the certificate ${mxHost} serves on port 25: DANE senders will refuse to deliver there. Publish the new certificate's TLSA record before switching certificates.` });
  return { report, findings };
}
