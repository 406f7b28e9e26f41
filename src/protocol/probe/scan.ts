import type { ProbeReport, ProbeScheme } from '../../shared/probeReport';
import { probeEndpoint, ProbeOptions } from './probe';
import { makeTarget, SCAN_SCHEMES, SCHEMES } from './target';

export interface ScanOptions extends ProbeOptions {
  /**
   * Which endpoints to check and on which port. Default: all seven on their usual ports
   * (143, 993, 110, 995, 25, 465, 587). Listing some checks only those.
   */
  ports?: Partial<Record<ProbeScheme, number>>;
  /** Called as each endpoint's report is ready, in completion order. */
  onReport?: (report: ProbeReport) => void;
}

/** The endpoints a scan of `host` checks, in report order. */
export function scanTargets(host: string, ports?: ScanOptions['ports']) {
  const schemes = ports ? SCAN_SCHEMES.filter((s) => ports[s] !== undefined) : SCAN_SCHEMES;
  return schemes.map((s) => makeTarget(s, host, ports?.[s] ?? SCHEMES[s].port));
}

/**
 * Checks the usual mail ports of one host concurrently: the scan takes about as long as the
 * slowest endpoint, not their sum. Reports come back in the order of `SCAN_SCHEMES`.
 */
export async function scanHost(host: string, options: ScanOptions = {}): Promise<ProbeReport[]> {
  const { ports, onReport, ...probeOptions } = options;
  return Promise.all(
    scanTargets(host, ports).map(async (target) => {
      const report = await probeEndpoint(target, probeOptions);
      onReport?.(report);
      return report;
    }),
  );
}
