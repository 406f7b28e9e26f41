/**
 * The individual lookups of one discovery, each a task that ends in candidates (already checked
 * with the prober when verification is on). The orchestrator runs them all at once; the bench
 * runs them one at a time to measure the slowest.
 */
import { MailError } from '../errors';
import { baseDomain, isWithinDomain, ParsedAddress } from './address';
import { autoconfigUrls, AutoconfigUrl } from './autoconfigUrls';
import { parseConfig, ConfigServer } from './configParser';
import type { Dial } from './dial';
import { guessServers } from './guesses';
import { fetchDocument } from './httpFetch';
import { endpointKey } from './rank';
import { DnsResolver, SRV_SERVICES, usableSrvTargets, withDnsDeadline } from './srv';
import type { CandidateSource, LookupRecord, ServerCandidate, ServerProtocol, ServerSecurity, Verification } from './types';
import { verifyEndpoint } from './verify';

export interface LookupContext {
  parts: ParsedAddress;
  resolver: DnsResolver;
  dial: Dial;
  ca?: string[];
  allowPlainHttp: boolean;
  verify: boolean;
  fetchTimeoutMs?: number;
  dnsTimeoutMs?: number;
  probeTimeoutMs?: number;
  maxConfigBytes?: number;
  /** Milliseconds since the discovery started. */
  clock: () => number;
  record: (r: LookupRecord) => void;
  /** One probe per endpoint however many sources name it. */
  verifications: Map<string, Promise<Verification>>;
  /** The MX host's domain, once the MX lookup answered. */
  mxDomain?: string;
}

export interface LookupTask {
  kind: LookupRecord['kind'];
  target: string;
  run(): Promise<ServerCandidate[]>;
}

interface Endpoint {
  role: 'incoming' | 'outgoing';
  protocol: ServerProtocol;
  host: string;
  port: number;
  security: ServerSecurity;
}

/** Runs `fn`, records it as one lookup line (answer or error), rethrows nothing. */
async function timed<T>(ctx: LookupContext, kind: LookupRecord['kind'], target: string, fn: () => Promise<T>, describe: (v: T) => string): Promise<T | undefined> {
  const startedMs = ctx.clock();
  try {
    const value = await fn();
    ctx.record({ kind, target, ok: true, answer: describe(value), startedMs, ms: ctx.clock() - startedMs });
    return value;
  } catch (err) {
    const e = MailError.from(err);
    ctx.record({ kind, target, ok: false, error: { code: e.code, message: e.message }, startedMs, ms: ctx.clock() - startedMs });
    return undefined;
  }
}

async function verified(ctx: LookupContext, endpoint: Endpoint): Promise<Verification | undefined> {
  if (!ctx.verify) return undefined;
  const key = endpointKey(endpoint);
  let pending = ctx.verifications.get(key);
  if (!pending) {
    const url = `${endpoint.protocol}/${endpoint.security}://${endpoint.host}:${endpoint.port}`;
    const startedMs = ctx.clock();
    pending = verifyEndpoint(endpoint, { dial: ctx.dial, ca: ctx.ca, timeoutMs: ctx.probeTimeoutMs }).then((v) => {
      ctx.record({
        kind: 'verify',
        target: url,
        ok: v.reachable,
        ...(v.reachable ? { answer: v.certificateTrusted ? 'answered, TLS verified' : `answered; ${v.problem ?? ''}` } : { error: { code: v.errorCode ?? 'Unknown', message: v.problem ?? 'failed' } }),
        startedMs,
        ms: ctx.clock() - startedMs,
      });
      return v;
    });
    ctx.verifications.set(key, pending);
  }
  return pending;
}

function candidate(ctx: LookupContext, endpoint: Endpoint, source: CandidateSource, extra: { username?: string; authentication?: string[]; plainHttp?: boolean; redirectedFrom?: string } = {}): ServerCandidate {
  const authentication = extra.authentication ?? ['password-cleartext'];
  return {
    ...endpoint,
    username: extra.username ?? ctx.parts.address,
    authentication,
    source,
    alsoFrom: [],
    flags: {
      passwordGoesToOtherDomain: !isWithinDomain(endpoint.host, ctx.parts.domain),
      fetchedOverPlainHttp: extra.plainHttp === true,
      ...(extra.redirectedFrom ? { redirectedFrom: extra.redirectedFrom } : {}),
      oauth2: authentication.includes('OAuth2'),
      unencrypted: endpoint.security === 'none',
    },
  };
}

async function withVerification(ctx: LookupContext, list: ServerCandidate[]): Promise<ServerCandidate[]> {
  return Promise.all(
    list.map(async (c) => {
      const v = await verified(ctx, c);
      return v ? { ...c, verification: v } : c;
    }),
  );
}

async function autoconfigLookup(ctx: LookupContext, where: AutoconfigUrl): Promise<ServerCandidate[]> {
  const parsed = await timed(
    ctx,
    where.kind,
    where.url,
    async () => {
      const doc = await fetchDocument(where.url, where.domain, { dial: ctx.dial, ca: ctx.ca, timeoutMs: ctx.fetchTimeoutMs, maxBytes: ctx.maxConfigBytes });
      return { doc, config: parseConfig(doc.body, ctx.parts, doc.url) };
    },
    ({ doc, config }) =>
      `${config.incoming.length} incoming, ${config.outgoing.length} outgoing${doc.redirectedFrom ? `, read from ${doc.url}` : ''}${config.skipped.length ? `; left out: ${config.skipped.join('; ')}` : ''}`,
  );
  if (!parsed) return [];
  const { doc, config } = parsed;
  const toCandidate = (s: ConfigServer): ServerCandidate =>
    candidate(ctx, s, { kind: where.kind, where: doc.url, rank: s.rank }, { username: s.username, authentication: s.authentication, plainHttp: doc.plainHttp, redirectedFrom: doc.redirectedFrom });
  return withVerification(ctx, [...config.incoming, ...config.outgoing].map(toCandidate));
}

async function srvLookup(ctx: LookupContext, service: (typeof SRV_SERVICES)[number]): Promise<ServerCandidate[]> {
  const name = `${service.service}.${ctx.parts.domain}`;
  const targets = await timed(
    ctx,
    'srv',
    name,
    async () => usableSrvTargets(name, await withDnsDeadline(name, 'SRV', () => ctx.resolver.resolveSrv(name), ctx.dnsTimeoutMs)),
    (list) => list.map((t) => `${t.host}:${t.port} (priority ${t.priority}, weight ${t.weight})`).join(', '),
  );
  if (!targets) return [];
  return withVerification(
    ctx,
    targets.map((t, rank) => candidate(ctx, { role: service.role, protocol: service.protocol, host: t.host, port: t.port, security: service.security }, { kind: 'srv', where: name, rank })),
  );
}

async function mxLookup(ctx: LookupContext): Promise<ServerCandidate[]> {
  const domain = ctx.parts.domain;
  const mx = await timed(
    ctx,
    'mx',
    domain,
    async () => {
      const records = await withDnsDeadline(domain, 'MX', () => ctx.resolver.resolveMx(domain), ctx.dnsTimeoutMs);
      const best = [...records].filter((r) => typeof r.exchange === 'string' && r.exchange.replace(/\.$/, '') !== '').sort((a, b) => a.priority - b.priority)[0];
      if (!best) throw new MailError('HostNotFound', `DNS lists no mail exchanger for ${domain}.`);
      return best.exchange.toLowerCase().replace(/\.$/, '');
    },
    (host) => `${host} (domain ${baseDomain(host)})`,
  );
  if (!mx) return [];
  const mxDomain = baseDomain(mx);
  if (isWithinDomain(mxDomain, domain) || isWithinDomain(domain, mxDomain)) return [];
  ctx.mxDomain = mxDomain;
  const urls = autoconfigUrls(mxDomain, ctx.parts.address, { viaMx: true, allowPlainHttp: ctx.allowPlainHttp });
  return (await Promise.all(urls.map((u) => autoconfigLookup(ctx, u)))).flat();
}

async function guessLookup(ctx: LookupContext, guess: ReturnType<typeof guessServers>[number]): Promise<ServerCandidate[]> {
  const c = candidate(ctx, guess, { kind: 'guess', where: guess.host, rank: guess.rank });
  const v = await verified(ctx, c);
  // A guess is nothing until a server answered there.
  return v?.reachable ? [{ ...c, verification: v }] : [];
}

/** Every lookup for one address, in Thunderbird's order. Guesses need verification, so without it there are none. */
export function lookupTasks(ctx: LookupContext): LookupTask[] {
  const { domain, address } = ctx.parts;
  const tasks: LookupTask[] = autoconfigUrls(domain, address, { allowPlainHttp: ctx.allowPlainHttp }).map((u) => ({ kind: u.kind, target: u.url, run: () => autoconfigLookup(ctx, u) }));
  tasks.push({ kind: 'mx', target: domain, run: () => mxLookup(ctx) });
  for (const s of SRV_SERVICES) tasks.push({ kind: 'srv', target: `${s.service}.${domain}`, run: () => srvLookup(ctx, s) });
  if (ctx.verify) for (const g of guessServers(domain)) tasks.push({ kind: 'guess', target: `${g.protocol}/${g.security}://${g.host}:${g.port}`, run: () => guessLookup(ctx, g) });
  return tasks;
}
