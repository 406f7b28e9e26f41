import type { ProbeReport, ProbeScheme } from '../../shared/probeReport';
import { ConnectionGate } from './connectionGate';
import { PROBE_LIMITS } from './limits';
import { TLS_DEEP_LIMITS } from './tlsDeep/limits';
import type { ScanEndpoint } from './ports';
import { probeEndpoint, ProbeOptions } from './probe';
import { makeTarget, ProbeTarget, SCAN_SCHEMES, SCHEMES } from './target';

export interface ScanOptions extends ProbeOptions {
  /**
   * Which endpoints to check and on which port. Default: all seven on their usual ports
   * (143, 993, 110, 995, 25, 465, 587). Listing some checks only those.
   */
  ports?: Partial<Record<ProbeScheme, number>>;
  /** Exactly these endpoints, in this order (`--ports`, see parsePortList); overrides `ports`. */
  endpoints?: readonly ScanEndpoint[];
  /** Called as each endpoint's report is ready, in completion order. */
  onReport?: (report: ProbeReport) => void;
}

/** The endpoints a scan of `host` checks, in report order. */
export function scanTargets(host: string, ports?: ScanOptions['ports'], endpoints?: readonly ScanEndpoint[]): ProbeTarget[] {
  if (endpoints) return endpoints.map((e) => makeTarget(e.scheme, host, e.port));
  const schemes = ports ? SCAN_SCHEMES.filter((s) => ports[s] !== undefined) : SCAN_SCHEMES;
  return schemes.map((s) => makeTarget(s, host, ports?.[s] ?? SCHEMES[s].port));
}

/**
 * Checks the mail ports of one host concurrently (at most PROBE_LIMITS.scanConcurrency at a
 * time): the scan takes about as long as the slowest endpoint, not their sum. Reports come back
 * in target order.
 */
export async function scanHost(host: string, options: ScanOptions = {}): Promise<ProbeReport[]> {
  const { ports, endpoints, onReport, ...rest } = options;
  // With the TLS deep check, every connection to the host counts against one cap, not one per endpoint.
  const probeOptions: ProbeOptions = rest.tlsDeep && !rest.connectionGate ? { ...rest, connectionGate: new ConnectionGate(TLS_DEEP_LIMITS.connectionsPerHost) } : rest;
  const targets = scanTargets(host, ports, endpoints);
  const reports: ProbeReport[] = new Array<ProbeReport>(targets.length);
  const order = startOrder(targets);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const i = order[next++];
      const report = await probeEndpoint(targets[i], probeOptions);
      reports[i] = report;
      onReport?.(report);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_LIMITS.scanConcurrency, targets.length) }, worker));
  return reports;
}

/**
 * Which endpoints start first: SMTP ones, then the rest, each group in report order. SMTP servers
 * commonly hold the greeting back (Postfix postscreen's greet wait, sendmail's greet_pause,
 * early-talker checks: from 100 ms to several seconds) while IMAP and POP3 greet at once, so the
 * longest checks start first (the scan then ends soonest, above all when there are more endpoints
 * than run at once), and their connections are set up before the others' handshakes take the
 * event loop.
 */
export function startOrder(targets: readonly ProbeTarget[]): number[] {
  const indexes = targets.map((_, i) => i);
  return [...indexes.filter((i) => targets[i].protocol === 'smtp'), ...indexes.filter((i) => targets[i].protocol !== 'smtp')];
}
