/** The TLS deep check, as the probe calls it after its own phases (`ProbeOptions.tlsDeep`). */
import type { ProbeReport, ProbeWarning, TlsDeepWarningCode, WarningCode } from '../../../shared/probeReport';
import type { TlsDeepReport } from '../../../shared/tlsDeepReport';
import type { Dialogue } from '../dialogue';
import type { ProbeTarget } from '../target';
import type { ConnectionGate } from '../connectionGate';
import { deepCheckTls, TlsDeepOptions } from './deepCheck';
import { explainTlsWarnings } from './explanations';
import { tlsDeepWarnings } from './warnings';

export { deepCheckTls, TLS_VERSIONS } from './deepCheck';
export type { TlsDeepOptions } from './deepCheck';
export { tlsDeepWarnings } from './warnings';
export { TLS_WARNING_TABLE, explainTlsWarnings } from './explanations';
export { analyzeChain, describeCertificate, trustedRoots } from './chain';
export { TLS_DEEP_LIMITS } from './limits';
export { tlsDeepMarkdown } from './render';

export type TlsDeepLimits = Partial<Pick<TlsDeepOptions, 'maxConnections' | 'timeBudgetMs' | 'parallel'>>;

/** Why the deep check cannot run on what the probe found, or undefined when it can. */
function skipReason(report: ProbeReport): string | undefined {
  if (!report.connect.ok) return 'the endpoint could not be reached';
  if (report.tls.mode === 'none' && report.tls.starttlsOffered === false) return `the server does not offer ${report.protocol === 'pop3' ? 'STLS' : 'STARTTLS'}`;
  if (report.greeting.preauth && report.tls.mode !== 'implicit') return 'the server greeted with PREAUTH, so STARTTLS cannot be used';
  if (report.tls.mode === 'none' && report.tls.starttlsOffered === undefined && !report.tls.error) return 'the probe did not reach the TLS upgrade';
  return undefined;
}

export async function runTlsDeep(
  report: ProbeReport,
  target: ProbeTarget,
  dialogue: () => Dialogue,
  options: { ca?: string[]; localAddress?: string; timeoutMs?: number; limits?: TlsDeepLimits; gate?: ConnectionGate },
): Promise<TlsDeepReport> {
  const skipped = skipReason(report);
  if (skipped) return { ms: 0, connections: 0, limits: { maxConnections: 0, timeBudgetMs: 0, parallel: 0 }, versions: [], ciphers: [], notOfferable: [], skipped };
  const probe = dialogue();
  return deepCheckTls({
    target,
    address: report.connect.address ?? target.host,
    localAddress: options.localAddress,
    dialogue,
    alpn: [probe.alpn],
    ca: options.ca,
    timeoutMs: options.timeoutMs,
    gate: options.gate,
    ...options.limits,
  });
}

/**
 * Deep-check codes that name a finding the basic check also reports about the leaf certificate.
 * The basic code stays (a script keyed on it must not see it renamed because --tls was added);
 * the deep one is dropped when both are about the same certificate of the same endpoint.
 */
const SAME_CERTIFICATE_FINDING: Partial<Record<TlsDeepWarningCode, WarningCode>> = {
  'tls-cert-expiring': 'certificate-expiring',
  'tls-name-mismatch': 'certificate-wrong-host',
};

/** The deep warnings less those the basic check already gave for the same certificate. */
export function withoutDuplicateCertificateFindings(report: ProbeReport, deepWarnings: readonly ProbeWarning[]): ProbeWarning[] {
  const basicLeaf = report.tls.certificate?.sha256;
  const deepLeaf = report.tlsDeep?.chain?.certificates[0]?.sha256;
  if (!basicLeaf || basicLeaf !== deepLeaf) return [...deepWarnings];
  const basic = new Set(report.warnings.map((w) => w.code));
  return deepWarnings.filter((w) => {
    const same = SAME_CERTIFICATE_FINDING[w.code as TlsDeepWarningCode];
    return !same || !basic.has(same);
  });
}

/** The deep check's warnings (each certificate finding once), and their explanations stored on the deep report. */
export function applyTlsDeepWarnings(report: ProbeReport): void {
  const deep = report.tlsDeep;
  if (!deep || deep.skipped) return;
  const warnings = withoutDuplicateCertificateFindings(report, tlsDeepWarnings(deep, report.host));
  report.warnings.push(...warnings);
  deep.explanations = explainTlsWarnings(warnings.map((w) => w.code as TlsDeepWarningCode));
}
