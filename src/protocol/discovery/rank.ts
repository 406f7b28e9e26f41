import { SOURCE_ORDER, ServerCandidate, Verification } from './types';

const SECURITY_ORDER = { tls: 0, starttls: 1, none: 2 } as const;
const PROTOCOL_ORDER = { imap: 0, pop3: 1, smtp: 0 } as const;

/** 3 verified and trusted, 2 reachable with a certificate to confirm, 1 not checked, 0 checked and failed. */
export function verificationScore(v: Verification | undefined): number {
  if (!v) return 1;
  if (!v.reachable) return 0;
  return v.certificateTrusted ? 3 : 2;
}

/**
 * Anything read over plain http last (whoever sits on the path could have written it), then
 * source trust, then the provider's own order, then TLS before STARTTLS, IMAP before POP3.
 */
function compareOrigin(a: ServerCandidate, b: ServerCandidate): number {
  return (
    Number(a.flags.fetchedOverPlainHttp) - Number(b.flags.fetchedOverPlainHttp) ||
    SOURCE_ORDER.indexOf(a.source.kind) - SOURCE_ORDER.indexOf(b.source.kind) ||
    a.source.rank - b.source.rank ||
    SECURITY_ORDER[a.security] - SECURITY_ORDER[b.security] ||
    PROTOCOL_ORDER[a.protocol] - PROTOCOL_ORDER[b.protocol]
  );
}

/** Verified beats unverified beats failed; within a level, `compareOrigin`. */
export function compareCandidates(a: ServerCandidate, b: ServerCandidate): number {
  return verificationScore(b.verification) - verificationScore(a.verification) || compareOrigin(a, b);
}

export function endpointKey(c: Pick<ServerCandidate, 'role' | 'protocol' | 'host' | 'port' | 'security'>): string {
  return `${c.role}|${c.protocol}|${c.host.toLowerCase()}|${c.port}|${c.security}`;
}

/**
 * One entry per endpoint: when several sources name the same server, the most trusted source
 * keeps its login name and authentication, and the others are listed in `alsoFrom`. Flags that
 * warn add up (a server also named over plain http keeps that warning only if its best source
 * came that way: a https source for the same endpoint vouches for it).
 */
export function mergeCandidates(list: readonly ServerCandidate[]): ServerCandidate[] {
  const byKey = new Map<string, ServerCandidate>();
  for (const c of [...list].sort(compareOrigin)) {
    const key = endpointKey(c);
    const kept = byKey.get(key);
    if (!kept) byKey.set(key, { ...c, alsoFrom: [...c.alsoFrom] });
    else kept.alsoFrom.push(c.source);
  }
  return [...byKey.values()];
}

export function rankCandidates(list: readonly ServerCandidate[]): ServerCandidate[] {
  return mergeCandidates(list).sort(compareCandidates);
}

/** The winner of a ranked list: the first one a server answered at (or, unverified runs, the first). */
export function pickBest(ranked: readonly ServerCandidate[]): ServerCandidate | undefined {
  const first = ranked[0];
  if (!first) return undefined;
  return verificationScore(first.verification) === 0 ? undefined : first;
}
