/**
 * `--ports` for a host scan: `993,995,587`, `imaps:10993`, `imap:1143-1145`. A bare port must be
 * one of the usual mail ports (its protocol follows from it); any other port names its scheme.
 */
import { MailError } from '../errors';
import type { ProbeScheme } from '../../shared/probeReport';
import { PROBE_LIMITS } from './limits';
import { isProbeScheme, SCAN_SCHEMES, SCHEMES } from './target';

/** One endpoint of a scan: which dialogue to speak on which port. */
export interface ScanEndpoint {
  scheme: ProbeScheme;
  port: number;
}

const PORT_SCHEME: ReadonlyMap<number, ProbeScheme> = new Map(SCAN_SCHEMES.map((s) => [SCHEMES[s].port, s]));

/** Parses a port list; throws InvalidAccount naming the item that is wrong and how to write it. */
export function parsePortList(text: string): ScanEndpoint[] {
  const items = text.split(',').map((item) => item.trim());
  if (!text.trim() || items.some((item) => !item)) throw invalid(text, 'list ports separated by commas, e.g. 993,995,587');
  const out: ScanEndpoint[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const m = /^(?:([a-z0-9]+):)?(\d{1,5})(?:-(\d{1,5}))?$/i.exec(item);
    if (!m) throw invalid(item, 'write a port (993), a range (1000-1010), or either after a scheme (imaps:10993)');
    const scheme = m[1]?.toLowerCase();
    if (scheme !== undefined && !isProbeScheme(scheme)) throw invalid(item, `"${scheme}" is not one of ${Object.keys(SCHEMES).join(', ')}`);
    const low = Number(m[2]);
    const high = m[3] === undefined ? low : Number(m[3]);
    for (const port of [low, high]) if (port < 1 || port > 65535) throw invalid(item, 'ports are 1 to 65535');
    if (high < low) throw invalid(item, 'a range goes from the lower port to the higher one');
    // Counted before expanding, so 1-65535 is refused without building 65,535 entries.
    if (out.length + (high - low + 1) > PROBE_LIMITS.maxScanEndpoints) {
      throw invalid(text, `a scan checks at most ${PROBE_LIMITS.maxScanEndpoints} ports (it opens one connection to each); this is a mail check, not a port scanner`);
    }
    for (let port = low; port <= high; port++) {
      const s = scheme ?? PORT_SCHEME.get(port);
      if (!s) {
        const example = m[3] === undefined ? `${port}` : `${low}-${high}`;
        throw invalid(item, `${port} is not a usual mail port, so its protocol is unknown: name it, e.g. imaps:${example} (schemes: ${Object.keys(SCHEMES).join(', ')})`);
      }
      const key = `${s}:${port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ scheme: s, port });
    }
  }
  return out;
}

function invalid(item: string, why: string): MailError {
  return new MailError('InvalidAccount', `--ports "${item.slice(0, 100)}": ${why}.`);
}
