/**
 * The TLS deep check of one endpoint: each TLS version offered alone, the suites each accepted
 * version takes, the chain as served, OCSP stapling and ALPN. It opens many connections (each one
 * only as far as the handshake), within the limits in ./limits.ts.
 *
 * Suites are found one at a time: each candidate is offered alone. Elimination (offer all, drop
 * the one chosen, repeat) would take fewer connections, but one suite a server picks and then
 * cannot complete ends it early: Dovecot without DH parameters resets the connection when a
 * client prefers a DHE suite, which hid every static-RSA suite after it in the first version of
 * this check. The version probes offer OpenSSL's ALL list in its usual order (ECDHE first), as a
 * real client would.
 */
import { X509Certificate } from 'node:crypto';
import type { CipherScan, TlsDeepReport, TlsVersionName, TlsVersionResult } from '../../../shared/tlsDeepReport';
import type { ProbeTarget } from '../target';
import type { ConnectionGate } from '../connectionGate';
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
  /** The host's connection cap, shared with the other endpoints and connections of the check. */
  gate?: ConnectionGate;
}

/** Runs handshakes at most `parallel` at once, refusing new ones past the cap or the budget. */
class Budget {
  connections = 0;
  stopped: string | undefined;
  private running = 0;
  private queue: Array<() => void> = [];
  constructor(private readonly max: number, private readonly deadline: number, private readonly parallel: number, private readonly gate?: ConnectionGate) {}

  async run(endpoint: HandshakeEndpoint, offer: HandshakeOffer): Promise<HandshakeOutcome | undefined> {
    if (this.running >= this.parallel) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running++;
    const release = await this.gate?.acquire();
    try {
      if (this.connections >= this.max) this.stopped ??= `the cap of ${this.max} connections was reached`;
      else if (Date.now() >= this.deadline) this.stopped ??= 'the time budget ran out';
      if (this.stopped) return undefined;
      this.connections++;
      const timeoutMs = Math.max(1, Math.min(endpoint.timeoutMs, this.deadline - Date.now()));
      return await handshake({ ...endpoint, timeoutMs }, offer);
    } finally {
      release?.();
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
  const budget = new Budget(limits.maxConnections, started + limits.timeBudgetMs, limits.parallel, options.gate);
  const endpoint: HandshakeEndpoint = {
    target: options.target,
    address: options.address,
    localAddress: options.localAddress,
    dialogue: options.dialogue,
    timeoutMs: Math.min(options.timeoutMs ?? TLS_DEEP_LIMITS.handshakeTimeoutMs, TLS_DEEP_LIMITS.handshakeTimeoutMs),
  };
  const candidates = cipherCandidates();
  const report: TlsDeepReport = { client: { node: process.version, openssl: process.versions.openssl }, ms: 0, connections: 0, limits, versions: [], ciphers: [], notOfferable: candidates.notOfferable };

  // 1. Each version alone, all at once (bounded by the budget's parallelism).
  report.versions = await Promise.all(
    TLS_VERSIONS.map(async (version): Promise<TlsVersionResult> => {
      const outcome = await budget.run(endpoint, { minVersion: version, maxVersion: version, ...(version === 'TLSv1.3' ? {} : { ciphers: `ALL:${SECLEVEL0}` }) });
      if (!outcome) return { version, result: 'error', note: `not asked: ${budget.stopped ?? 'budget'}` };
      return versionResult(version, outcome);
    }),
  );

  // 2. Suites of each accepted version, one suite per handshake.
  report.ciphers = await Promise.all(report.versions.filter((v) => v.result === 'accepted').map((v) => enumerateSuites(v.version, budget, endpoint)));

  // 3. The chain as served (TLS 1.2 shows it in the clear), OCSP and ALPN in one more handshake.
  const accepted = report.versions.filter((v) => v.result === 'accepted').map((v) => v.version);
  const chainVersion = accepted.includes('TLSv1.2') ? 'TLSv1.2' : accepted[accepted.length - 1];
  if (chainVersion) {
    const offer: HandshakeOffer = {
      minVersion: chainVersion,
      maxVersion: chainVersion,
      ciphers: chainVersion === 'TLSv1.3' ? undefined : `ALL:${SECLEVEL0}`,
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

async function enumerateSuites(version: TlsVersionName, budget: Budget, endpoint: HandshakeEndpoint): Promise<CipherScan> {
  const names = candidatesFor(version);
  const outcomes = await Promise.all(
    names.map((name) => budget.run(endpoint, { minVersion: version, maxVersion: version, ciphers: version === 'TLSv1.3' ? name : legacyCiphers([name]) })),
  );
  const accepted = outcomes.flatMap((o) => (o?.kind === 'accepted' ? [cipherResult(o.cipher, version)] : []));
  // Weak first, then by name, so the report reads the same on every run.
  accepted.sort((a, b) => Number(b.weak.length > 0) - Number(a.weak.length > 0) || a.name.localeCompare(b.name));
  return { version, accepted, complete: outcomes.every((o) => o !== undefined && o.kind !== 'error') };
}
