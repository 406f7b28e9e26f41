/**
 * The TLS deep check of one endpoint: each TLS version offered alone, the suites each accepted
 * version takes, the chain as served, OCSP stapling and ALPN. It opens many connections (each one
 * only as far as the handshake), within the limits in ./limits.ts.
 *
 * Suites are found by elimination: offer every candidate, note the one the server picks, offer the
 * rest again, until the server refuses. That costs (accepted suites + 1) connections per version
 * instead of one per candidate (~45), and the order found is the server's preference when it
 * enforces one.
 */
import { X509Certificate } from 'node:crypto';
import type { CipherScan, TlsDeepReport, TlsVersionName, TlsVersionResult } from '../../../shared/tlsDeepReport';
import type { ProbeTarget } from '../target';
import type { Dialogue } from '../dialogue';
import { analyzeChain, linkedChain, trustedRoots } from './chain';
import { candidatesFor, cipherCandidates, cipherResult, SECLEVEL0 } from './ciphers';
import { handshake, HandshakeEndpoint, HandshakeOffer, HandshakeOutcome } from './handshake';
import { TLS_DEEP_LIMITS } from './limits';

export const TLS_VERSIONS: readonly TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const VERSION_LABEL: Record<TlsVersionName, string> = { TLSv1: 'TLS 1.0', 'TLSv1.1': 'TLS 1.1', 'TLSv1.2': 'TLS 1.2', 'TLSv1.3': 'TLS 1.3' };

export interface TlsDeepOptions {
  target: ProbeTarget;
  address: string;
  localAddress?: string;
  dialogue: () => Dialogue;
  alpn: string[];
  ca?: string[];
  timeoutMs?: number;
  maxConnections?: number;
  timeBudgetMs?: number;
  parallel?: number;
  now?: number;
}

/** Runs handshakes at most `parallel` at once, refusing new ones past the cap or the budget. */
class Budget {
  connections = 0;
  stopped: string | undefined;
  private running = 0;
  private queue: Array<() => void> = [];
  constructor(private readonly max: number, private readonly deadline: number, private readonly parallel: number) {}

  async run(endpoint: HandshakeEndpoint, offer: HandshakeOffer): Promise<HandshakeOutcome | undefined> {
    if (this.running >= this.parallel) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    try {
      if (this.connections >= this.max) this.stopped ??= `the cap of ${this.max} connections was reached`;
      else if (Date.now() >= this.deadline) this.stopped ??= 'the time budget ran out';
      if (this.stopped) return undefined;
      this.connections++;
      const timeoutMs = Math.max(1, Math.min(endpoint.timeoutMs, this.deadline - Date.now()));
      return await handshake({ ...endpoint, timeoutMs }, offer);
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

function legacyCiphers(names: readonly string[]): string {
  return `${names.join(':')}:${SECLEVEL0}`;
}

export async function deepCheckTls(options: TlsDeepOptions): Promise<TlsDeepReport> {
  const started = Date.now();
  const limits = {
    maxConnections: options.maxConnections ?? TLS_DEEP_LIMITS.maxConnections,
    timeBudgetMs: options.timeBudgetMs ?? TLS_DEEP_LIMITS.timeBudgetMs,
    parallel: options.parallel ?? TLS_DEEP_LIMITS.parallel,
  };
  const budget = new Budget(limits.maxConnections, started + limits.timeBudgetMs, limits.parallel);
  const endpoint: HandshakeEndpoint = {
    target: options.target,
    address: options.address,
    localAddress: options.localAddress,
    dialogue: options.dialogue,
    timeoutMs: Math.min(options.timeoutMs ?? TLS_DEEP_LIMITS.handshakeTimeoutMs, TLS_DEEP_LIMITS.handshakeTimeoutMs),
  };
  const candidates = cipherCandidates();
  const report: TlsDeepReport = { ms: 0, connections: 0, limits, versions: [], ciphers: [], notOfferable: candidates.notOfferable };

  // 1. Each version alone, all at once (bounded by the budget's parallelism).
  const first = new Map<TlsVersionName, HandshakeOutcome>();
  report.versions = await Promise.all(
    TLS_VERSIONS.map(async (version): Promise<TlsVersionResult> => {
      const names = candidatesFor(version, candidates);
      const outcome = await budget.run(endpoint, { minVersion: version, maxVersion: version, ciphers: version === 'TLSv1.3' ? names.join(':') : legacyCiphers(names) });
      if (!outcome) return { version, result: 'error', note: `not asked: ${budget.stopped ?? 'budget'}` };
      first.set(version, outcome);
      return versionResult(version, outcome);
    }),
  );

  // 2. Suites of each accepted version, by elimination (the first handshake counts as step one).
  report.ciphers = await Promise.all(
    report.versions.filter((v) => v.result === 'accepted').map((v) => enumerateSuites(v.version, first.get(v.version)!, budget, endpoint)),
  );

  // 3. The chain as served (TLS 1.2 shows it in the clear), OCSP and ALPN in one more handshake.
  const accepted = report.versions.filter((v) => v.result === 'accepted').map((v) => v.version);
  const chainVersion = accepted.includes('TLSv1.2') ? 'TLSv1.2' : accepted[accepted.length - 1];
  if (chainVersion) {
    const offer: HandshakeOffer = {
      minVersion: chainVersion,
      maxVersion: chainVersion,
      ciphers: chainVersion === 'TLSv1.3' ? undefined : legacyCiphers(candidatesFor(chainVersion, candidates)),
      requestOCSP: true,
      alpn: options.alpn,
      readServedChain: chainVersion !== 'TLSv1.3',
    };
    const outcome = await budget.run(endpoint, offer);
    if (outcome?.kind === 'accepted') {
      report.ocspStapled = outcome.ocsp !== undefined;
      report.alpn = { offered: options.alpn, chosen: outcome.alpn };
      const served = outcome.served?.map((der) => new X509Certificate(der));
      const certificates = served ?? (outcome.peer ? linkedChain(outcome.peer) : []);
      report.chain = analyzeChain({ certificates, source: served ? 'served' : 'issuer-links', host: options.target.host, trusted: trustedRoots(options.ca), now: options.now });
    }
  }
  if (budget.stopped) report.truncated = `${budget.stopped}; results after that point are missing`;
  report.connections = budget.connections;
  report.ms = Date.now() - started;
  return report;
}

function versionResult(version: TlsVersionName, outcome: HandshakeOutcome): TlsVersionResult {
  const label = VERSION_LABEL[version];
  switch (outcome.kind) {
    case 'accepted':
      return { version, result: 'accepted', cipher: outcome.cipher.standardName };
    case 'refused':
      return { version, result: 'refused', note: outcome.code };
    case 'client-cannot':
      return { version, result: 'not-tested', note: `not tested: this client cannot offer ${label} (${outcome.code})` };
    default:
      return { version, result: 'error', note: `${outcome.code}: ${outcome.message}` };
  }
}

async function enumerateSuites(version: TlsVersionName, first: HandshakeOutcome, budget: Budget, endpoint: HandshakeEndpoint): Promise<CipherScan> {
  const scan: CipherScan = { version, accepted: [], complete: false };
  const remaining = [...candidatesFor(version)];
  let outcome: HandshakeOutcome | undefined = first;
  for (let step = 0; step <= remaining.length + 1 && outcome; step++) {
    if (outcome.kind !== 'accepted') {
      // Refused (or nothing left this client can offer): every suite has been found.
      scan.complete = outcome.kind === 'refused' || outcome.kind === 'client-cannot';
      return scan;
    }
    scan.accepted.push(cipherResult(outcome.cipher, version));
    const at = remaining.indexOf(version === 'TLSv1.3' ? outcome.cipher.standardName : outcome.cipher.name);
    if (at < 0) return scan; // a suite that was not offered: stop rather than loop
    remaining.splice(at, 1);
    if (!remaining.length) {
      scan.complete = true;
      return scan;
    }
    outcome = await budget.run(endpoint, { minVersion: version, maxVersion: version, ciphers: version === 'TLSv1.3' ? remaining.join(':') : legacyCiphers(remaining) });
  }
  return scan;
}
