import { parseEmailAddress } from './address';
import { Dial, memoDial, systemDial } from './dial';
import { LookupContext, lookupTasks, LookupTask } from './lookups';
import { pickBest, rankCandidates } from './rank';
import { DnsResolver, systemResolver } from './srv';
import type { DiscoveryResult, LookupRecord, ServerCandidate } from './types';

export interface DiscoverOptions {
  /** MX and SRV lookups; default node:dns/promises. */
  resolver?: DnsResolver;
  /** Host name and port -> where to connect, for the autoconfig fetches and the probes; default the system resolver. */
  dial?: Dial;
  /** Extra trusted CA certificates (PEM), for https and for the probes' certificate check. */
  ca?: string[];
  /** Also read autoconfig over plain http: only when the user agreed (anyone on the path can rewrite it). */
  allowPlainHttp?: boolean;
  /** Check every candidate with the prober (default true). Without it guesses are skipped. */
  verify?: boolean;
  fetchTimeoutMs?: number;
  dnsTimeoutMs?: number;
  probeTimeoutMs?: number;
  maxConfigBytes?: number;
  /** Each lookup as it finishes (progress display). */
  onLookup?: (record: LookupRecord) => void;
}

/** Prepared lookups for one address, for callers that time them one by one (the bench). */
export function prepareDiscovery(address: string, options: DiscoverOptions = {}): { ctx: LookupContext; tasks: LookupTask[]; lookups: LookupRecord[] } {
  const parts = parseEmailAddress(address);
  const t0 = performance.now();
  const lookups: LookupRecord[] = [];
  const ctx: LookupContext = {
    parts,
    resolver: options.resolver ?? systemResolver,
    dial: memoDial(options.dial ?? systemDial),
    ...(options.ca ? { ca: options.ca } : {}),
    allowPlainHttp: options.allowPlainHttp === true,
    verify: options.verify !== false,
    fetchTimeoutMs: options.fetchTimeoutMs,
    dnsTimeoutMs: options.dnsTimeoutMs,
    probeTimeoutMs: options.probeTimeoutMs,
    maxConfigBytes: options.maxConfigBytes,
    clock: () => Math.round(performance.now() - t0),
    record: (r) => {
      lookups.push(r);
      options.onLookup?.(r);
    },
    verifications: new Map(),
  };
  return { ctx, tasks: lookupTasks(ctx), lookups };
}

/**
 * Finds the servers for an email address the way Thunderbird does: autoconfig from the domain,
 * its well-known path, the same for the MX host's domain, RFC 6186 SRV records, then guessed
 * host names, all at once, each checked with the prober. Never sends a password and never saves
 * anything: the result says, per candidate, where it came from, whether a server answered there,
 * and what the user must confirm. Throws only when the address itself cannot be looked up
 * (InvalidAccount); every lookup failure is a line in `lookups`.
 */
export async function discoverServers(address: string, options: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const t0 = performance.now();
  const { ctx, tasks, lookups } = prepareDiscovery(address, options);
  const found = (await Promise.all(tasks.map((t) => t.run()))).flat();
  return buildResult(ctx, found, lookups, performance.now() - t0);
}

export function buildResult(ctx: LookupContext, found: ServerCandidate[], lookups: LookupRecord[], totalMs: number): DiscoveryResult {
  const incoming = rankCandidates(found.filter((c) => c.role === 'incoming'));
  const outgoing = rankCandidates(found.filter((c) => c.role === 'outgoing'));
  const best = { incoming: pickBest(incoming), outgoing: pickBest(outgoing) };
  const confirmations = [best.incoming, best.outgoing].flatMap((c) => (c ? confirmationsFor(c, ctx.parts.domain) : []));
  const result: DiscoveryResult = {
    address: ctx.parts.address,
    domain: ctx.parts.domain,
    ...(ctx.mxDomain ? { mxDomain: ctx.mxDomain } : {}),
    lookups: [...lookups].sort((a, b) => a.startedMs - b.startedMs),
    incoming,
    outgoing,
    best,
    confirmations,
    totalMs: Math.round(totalMs),
  };
  if (!best.incoming) {
    result.problem = incoming.length
      ? `The settings found for ${ctx.parts.domain} point to servers that did not answer (${incoming[0].verification?.problem ?? 'no answer'}). Check the network, or enter the server settings by hand.`
      : `No mail server settings were found for ${ctx.parts.domain}: no autoconfig file, no SRV records, and no server at the usual host names. Enter the server settings by hand (your provider's help pages list them).`;
  }
  return result;
}

/** What the user must agree to before these settings are saved, one sentence each. */
export function confirmationsFor(c: ServerCandidate, domain: string): string[] {
  const what = `${c.role === 'incoming' ? 'Incoming' : 'Outgoing'} server ${c.host}:${c.port}`;
  const out: string[] = [];
  if (c.flags.passwordGoesToOtherDomain) out.push(`${what} is not part of ${domain}: your password would go to ${c.host}, named by ${c.source.where}. Continue only if you trust that provider with it.`);
  if (c.flags.fetchedOverPlainHttp) out.push(`${what} comes from ${c.source.where}, read without encryption: anyone on the network path could have changed it. Compare it with your provider's documentation.`);
  if (c.flags.redirectedFrom) out.push(`${what} comes from ${c.source.where}, which ${c.flags.redirectedFrom} redirected to.`);
  if (c.flags.unencrypted) out.push(`${what} does not use encryption: your password and mail would cross the network readable.`);
  if (c.verification?.reachable && !c.verification.certificateTrusted && !c.flags.unencrypted) {
    out.push(`${what}: ${c.verification.problem ?? 'the certificate does not verify'}. Trust it only if you recognise its fingerprint ${c.verification.certificateSha256 ?? ''}.`.replace(/ \.$/, '.'));
  }
  return out;
}
