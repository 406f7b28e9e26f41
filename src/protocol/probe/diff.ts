/**
 * What changed between two check runs (`mailroom-check diff before.json after.json`, "Compare Two
 * Check Reports"). Endpoints are matched by URL. Capability sets, phases, warnings and TLS fields
 * are walked as the reports hold them, not from a fixed list, so new phases, warning codes and TLS
 * fields show up here without changes.
 */
import type { ProbeReport, ProbeVerdict, ProbeWarning } from '../../shared/probeReport';
import { verdictOf } from '../../shared/probeReport';

/** A timing is reported only when it changed this much: loopback jitter is not news. */
export const DIFF_LIMITS = { timingFactor: 2, timingMinDeltaMs: 500 } as const;

export type PhaseState = 'ok' | 'failed' | 'skipped' | 'absent';
type Scalar = string | number | boolean | null;

export interface FieldChange {
  /** Dotted path inside the report, e.g. `tls.version`, `tls.certificate.sha256`. */
  field: string;
  before?: Scalar;
  after?: Scalar;
}

export interface EndpointDiff {
  url: string;
  /** added/removed: the endpoint is in one run only. */
  status: 'changed' | 'unchanged' | 'added' | 'removed';
  verdict: { before?: ProbeVerdict; after?: ProbeVerdict };
  failedPhase: { before?: string; after?: string };
  phases: Array<{ name: string; before: PhaseState; after: PhaseState; detail?: string }>;
  /** Per capability list (beforeTls, afterTls, afterLogin, …): what appeared and what went. */
  capabilities: Array<{ phase: string; added: string[]; removed: string[] }>;
  warnings: { new: ProbeWarning[]; gone: ProbeWarning[] };
  /** TLS protocol, cipher, verification and certificate fields that differ. */
  tls: FieldChange[];
  /** Greeting, authentication and POP3 policy fields that differ. */
  other: FieldChange[];
  /** Timings that changed by at least DIFF_LIMITS. */
  timings: Array<{ what: string; beforeMs: number; afterMs: number }>;
  /** error: a check that passed now fails; warning: a warning appeared (or an error). */
  worse?: 'error' | 'warning';
}

export interface ReportDiff {
  kind: 'mailroom-check-diff';
  version: 1;
  endpoints: EndpointDiff[];
  /** Something got worse: `errors` counts endpoints with a new failure, `warnings` those with a new warning or failure. */
  worse: { errors: number; warnings: number };
}

export function diffReports(before: readonly ProbeReport[], after: readonly ProbeReport[]): ReportDiff {
  const beforeByUrl = new Map(before.map((r) => [r.url, r]));
  const afterByUrl = new Map(after.map((r) => [r.url, r]));
  const urls = [...new Set([...before.map((r) => r.url), ...after.map((r) => r.url)])];
  const endpoints = urls.map((url) => diffEndpoint(url, beforeByUrl.get(url), afterByUrl.get(url)));
  return {
    kind: 'mailroom-check-diff',
    version: 1,
    endpoints,
    worse: { errors: endpoints.filter((e) => e.worse === 'error').length, warnings: endpoints.filter((e) => e.worse !== undefined).length },
  };
}

/** True when the diff should fail a CI step run with `--fail-on level`. */
export function diffFails(diff: ReportDiff, level: 'warning' | 'error'): boolean {
  return level === 'error' ? diff.worse.errors > 0 : diff.worse.warnings > 0;
}

function diffEndpoint(url: string, b: ProbeReport | undefined, a: ProbeReport | undefined): EndpointDiff {
  const d: EndpointDiff = {
    url,
    status: !b ? 'added' : !a ? 'removed' : 'unchanged',
    verdict: { ...(b ? { before: verdictOf(b) } : {}), ...(a ? { after: verdictOf(a) } : {}) },
    failedPhase: { ...(b?.failedPhase ? { before: b.failedPhase } : {}), ...(a?.failedPhase ? { after: a.failedPhase } : {}) },
    phases: diffPhases(b, a),
    capabilities: diffCapabilities(b, a),
    warnings: diffWarnings(b?.warnings ?? [], a?.warnings ?? []),
    tls: diffFields(flatten(b?.tls, 'tls'), flatten(a?.tls, 'tls')),
    other: diffFields(
      { ...flatten(stableGreeting(b), 'greeting'), ...flatten(b?.auth, 'auth'), ...flatten(b?.pop3, 'pop3') },
      { ...flatten(stableGreeting(a), 'greeting'), ...flatten(a?.auth, 'auth'), ...flatten(a?.pop3, 'pop3') },
    ),
    timings: diffTimings(b, a),
  };
  if (b && a) {
    // What a failed run never reached is not a change of the server: the failed phase says it.
    const missing = (v: Scalar | undefined): boolean => v === undefined || v === '';
    const unreached = (f: FieldChange): boolean => (a.failedPhase !== undefined && missing(f.after)) || (b.failedPhase !== undefined && missing(f.before));
    d.tls = d.tls.filter((f) => !unreached(f));
    d.other = d.other.filter((f) => !unreached(f));
  }
  if (!a) return d; // an endpoint no longer checked is not a failure of the server
  if (a.failedPhase && !b?.failedPhase) d.worse = 'error';
  else if (d.warnings.new.length) d.worse = 'warning';
  if (d.status === 'unchanged') {
    const changed = d.phases.length || d.capabilities.length || d.warnings.new.length || d.warnings.gone.length || d.tls.length || d.other.length || d.timings.length || d.failedPhase.before !== d.failedPhase.after;
    if (changed) d.status = 'changed';
  }
  return d;
}

/** The greeting without what differs on every connection: POP3's APOP timestamp (RFC 1939 7). */
function stableGreeting(r: ProbeReport | undefined): Record<string, unknown> | undefined {
  if (!r) return undefined;
  const { apopTimestamp, ...rest } = r.greeting;
  const out: Record<string, unknown> = { ...rest };
  if (apopTimestamp && typeof rest.banner === 'string') out.banner = rest.banner.split(apopTimestamp).join('<APOP timestamp>');
  if (apopTimestamp) out.apop = 'offered';
  return out;
}

function phaseStates(r: ProbeReport | undefined): Map<string, { state: PhaseState; detail?: string }> {
  const out = new Map<string, { state: PhaseState; detail?: string }>();
  for (const p of r?.phases ?? []) {
    const state: PhaseState = p.skipped !== undefined ? 'skipped' : p.ok ? 'ok' : 'failed';
    out.set(p.name, { state, ...(p.skipped ? { detail: p.skipped } : p.error ? { detail: `${p.error.code}: ${p.error.message}` } : {}) });
  }
  return out;
}

function diffPhases(b: ProbeReport | undefined, a: ProbeReport | undefined): EndpointDiff['phases'] {
  if (!b || !a) return [];
  const before = phaseStates(b);
  const after = phaseStates(a);
  const names = [...new Set([...before.keys(), ...after.keys()])];
  const out: EndpointDiff['phases'] = [];
  for (const name of names) {
    const x = before.get(name) ?? { state: 'absent' as const };
    const y = after.get(name) ?? { state: 'absent' as const };
    if (x.state === y.state) continue;
    out.push({ name, before: x.state, after: y.state, ...(y.detail ? { detail: y.detail } : {}) });
  }
  return out;
}

function diffCapabilities(b: ProbeReport | undefined, a: ProbeReport | undefined): EndpointDiff['capabilities'] {
  if (!b || !a) return [];
  const phases = [...new Set([...Object.keys(b.capabilities ?? {}), ...Object.keys(a.capabilities ?? {})])];
  const out: EndpointDiff['capabilities'] = [];
  for (const phase of phases) {
    const lists = [b, a].map((r) => (r.capabilities as unknown as Record<string, string[] | null | undefined>)[phase]);
    // null: that run did not get there (or the list does not apply), which the phases say.
    // Absent: a list that run did not know yet (an older or newer Mailroom): compared as empty.
    if (lists.includes(null)) continue;
    const [x, y] = lists.map((l) => l ?? []);
    // Capability names are case-insensitive (RFC 9051 7.2.2, RFC 2449, RFC 5321).
    const xs = new Set(x.map((c) => c.toUpperCase()));
    const ys = new Set(y.map((c) => c.toUpperCase()));
    const added = y.filter((c) => !xs.has(c.toUpperCase()));
    const removed = x.filter((c) => !ys.has(c.toUpperCase()));
    if (added.length || removed.length) out.push({ phase, added, removed });
  }
  return out;
}

function diffWarnings(before: readonly ProbeWarning[], after: readonly ProbeWarning[]): EndpointDiff['warnings'] {
  const was = new Set(before.map((w) => w.code));
  const is = new Set(after.map((w) => w.code));
  return { new: after.filter((w) => !was.has(w.code)), gone: before.filter((w) => !is.has(w.code)) };
}

/** Keys that change on every run (durations, days left): timings are compared on their own. */
const VOLATILE = new Set(['ms', 'dnsMs', 'daysToExpiry']);
const MAX_DEPTH = 4;

/** Scalars of a report section by dotted path; lists of scalars as one comma-joined value. */
function flatten(value: unknown, prefix: string, depth = 0, out: Record<string, Scalar> = {}): Record<string, Scalar> {
  if (value === undefined) return out;
  if (value === null || typeof value !== 'object') {
    out[prefix] = value as Scalar;
    return out;
  }
  if (depth >= MAX_DEPTH) return out;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) out[prefix] = value.map(String).join(', ');
    // The chain's first entry is the leaf, already compared as tls.certificate.
    else value.forEach((v, i) => (prefix === 'tls.chain' && i === 0 ? undefined : flatten(v, `${prefix}.${i}`, depth + 1, out)));
    return out;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (VOLATILE.has(key)) continue;
    flatten(v, `${prefix}.${key}`, depth + 1, out);
  }
  return out;
}

function diffFields(before: Record<string, Scalar>, after: Record<string, Scalar>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    const x = before[field];
    const y = after[field];
    if (x === y) continue;
    out.push({ field, ...(x !== undefined ? { before: x } : {}), ...(y !== undefined ? { after: y } : {}) });
  }
  return out;
}

function diffTimings(b: ProbeReport | undefined, a: ProbeReport | undefined): EndpointDiff['timings'] {
  if (!b || !a) return [];
  const pairs: Array<[string, number | undefined, number | undefined]> = [['total', b.totalMs, a.totalMs]];
  const afterPhase = new Map(a.phases.map((p) => [p.name, p]));
  for (const p of b.phases) {
    const q = afterPhase.get(p.name);
    if (q && p.skipped === undefined && q.skipped === undefined) pairs.push([`phase ${p.name}`, p.ms, q.ms]);
  }
  const out: EndpointDiff['timings'] = [];
  for (const [what, x, y] of pairs) {
    if (x === undefined || y === undefined) continue;
    const big = Math.max(x, y);
    const small = Math.max(Math.min(x, y), 1);
    if (big - Math.min(x, y) >= DIFF_LIMITS.timingMinDeltaMs && big / small >= DIFF_LIMITS.timingFactor) out.push({ what, beforeMs: x, afterMs: y });
  }
  return out;
}
