/**
 * SPF (RFC 7208): the domain's record parsed into mechanisms and modifiers, and the DNS-querying
 * terms counted over the whole include/redirect tree against the limits of 4.6.4 (10 lookups, 2
 * void lookups). Macros (`%{i}`) depend on the sending IP, so terms with them are counted but not
 * followed. Every walk is bounded: a loop, an over-long chain or a huge record cannot run on.
 */
import { DomainResolver, isNoData, txtRecords, withDeadline } from './resolver';
import { DOMAIN_LIMITS } from './limits';
import type { DomainFinding, SpfReport, SpfTerm } from './types';

const MECHANISMS = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
/** Terms that cost a DNS query (RFC 7208 4.6.4). */
const QUERYING = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);

export class SpfSyntaxError extends Error {}

export function isSpfRecord(text: string): boolean {
  return /^v=spf1(?: |$)/i.test(text);
}

/** Parses one `v=spf1 ...` record; throws SpfSyntaxError naming the bad term. */
export function parseSpf(record: string): SpfTerm[] {
  if (!isSpfRecord(record)) throw new SpfSyntaxError('it does not start with "v=spf1"');
  if (record.length > DOMAIN_LIMITS.maxRecordChars) throw new SpfSyntaxError(`it is ${record.length} characters long, more than the ${DOMAIN_LIMITS.maxRecordChars} a real record needs`);
  const words = record.slice(6).split(' ').filter((w) => w !== '');
  if (words.length > DOMAIN_LIMITS.maxSpfTerms) throw new SpfSyntaxError(`it has ${words.length} terms, more than ${DOMAIN_LIMITS.maxSpfTerms}`);
  const terms: SpfTerm[] = [];
  for (const word of words) {
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(word);
    if (modifier) {
      terms.push({ name: modifier[1].toLowerCase(), value: modifier[2], modifier: true });
      continue;
    }
    const m = /^([+\-~?]?)([a-z][a-z0-9_.-]*)(?:([:/])(.*))?$/i.exec(word);
    const name = m?.[2].toLowerCase();
    if (!m || !name || !MECHANISMS.has(name)) throw new SpfSyntaxError(`"${word.slice(0, 60)}" is not an SPF mechanism or modifier`);
    const value = m[3] === ':' ? m[4] : m[3] === '/' ? `/${m[4]}` : undefined;
    if ((name === 'include' || name === 'exists') && !value) throw new SpfSyntaxError(`"${name}" needs a domain (${name}:example.com)`);
    if (name === 'all' && value !== undefined) throw new SpfSyntaxError(`"${word.slice(0, 60)}": all takes no argument`);
    terms.push({ qualifier: (m[1] || '+') as SpfTerm['qualifier'], name, ...(value !== undefined ? { value } : {}), modifier: false });
  }
  const redirects = terms.filter((t) => t.modifier && t.name === 'redirect').length;
  const exps = terms.filter((t) => t.modifier && t.name === 'exp').length;
  if (redirects > 1 || exps > 1) throw new SpfSyntaxError('redirect= and exp= may each appear only once');
  return terms;
}

/** The SPF records among a name's TXT records. */
export function spfRecords(txt: readonly string[]): string[] {
  return txt.filter(isSpfRecord);
}

/** The domain a term queries: its domain-spec without a CIDR suffix, or the current domain. */
function termDomain(term: SpfTerm, current: string): string {
  const v = term.value;
  if (!v || v.startsWith('/')) return current;
  return v.replace(/\/\d+(?:\/\/\d+)?$/, '').replace(/\.$/, '').toLowerCase();
}

interface Walk {
  resolver: DomainResolver;
  timeoutMs: number;
  report: SpfReport;
  add: (f: Omit<DomainFinding, 'level'> & { level?: DomainFinding['level'] }) => void;
  /** DNS queries actually sent, bounded by DOMAIN_LIMITS.maxSpfQueries. */
  queries: number;
}

export async function checkSpf(domain: string, resolver: DomainResolver, timeoutMs: number): Promise<{ report: SpfReport; findings: DomainFinding[] }> {
  const findings: DomainFinding[] = [];
  const add: Walk['add'] = (f) => {
    if (!findings.some((x) => x.code === f.code)) findings.push({ level: 'warning', ...f });
  };
  const lookup = { name: domain, ...(await txtRecords(resolver, domain, timeoutMs)) };
  const report: SpfReport = { lookup, terms: [], dnsLookups: 0, voidLookups: 0, included: [] };
  const records = spfRecords(lookup.records);
  if (lookup.error) {
    add({ code: 'spf-missing', message: `SPF could not be read: ${lookup.error}.` });
    return { report, findings };
  }
  if (!records.length) {
    add({ code: 'spf-missing', message: `${domain} publishes no SPF record, so receivers cannot tell which servers may send its mail.` });
    return { report, findings };
  }
  if (records.length > 1) {
    add({ code: 'spf-multiple', message: `${domain} publishes ${records.length} SPF records; RFC 7208 4.5 makes that a permanent error, so receivers ignore all of them. Merge them into one.` });
  }
  report.record = records[0];
  try {
    report.terms = parseSpf(records[0]);
  } catch (err) {
    add({ code: 'spf-invalid', message: `The SPF record of ${domain} is invalid: ${(err as Error).message}. Receivers treat it as a permanent error.` });
    return { report, findings };
  }
  const walk: Walk = { resolver, timeoutMs, report, add, queries: 0 };
  report.all = await walkRecord(walk, domain, report.terms, [domain]);
  if (report.dnsLookups > DOMAIN_LIMITS.spfMaxLookups) {
    add({ code: 'spf-too-many-lookups', message: `Evaluating the SPF record of ${domain} takes ${report.dnsLookups} DNS lookups (include, a, mx, ptr, exists, redirect, counted through every include); RFC 7208 4.6.4 allows ${DOMAIN_LIMITS.spfMaxLookups}, beyond which receivers return a permanent error and the record protects nothing.` });
  }
  if (report.voidLookups > DOMAIN_LIMITS.spfMaxVoidLookups) {
    add({ code: 'spf-void-lookups', message: `${report.voidLookups} of the SPF record's lookups find nothing; RFC 7208 4.6.4 allows ${DOMAIN_LIMITS.spfMaxVoidLookups} such void lookups before a permanent error.` });
  }
  if (report.all === '+') add({ code: 'spf-plus-all', message: `The SPF record of ${domain} ends in "+all" (or "all"): every server on the Internet may send as ${domain}.` });
  if (report.all === '?') add({ code: 'spf-neutral-all', message: `The SPF record of ${domain} ends in "?all": it says nothing about servers it does not list, so forged mail is not marked. Use "~all" or "-all".` });
  return { report, findings };
}

/** Walks one record's terms; returns the `all` qualifier in effect for it (following redirect). */
async function walkRecord(walk: Walk, domain: string, terms: readonly SpfTerm[], chain: readonly string[]): Promise<SpfTerm['qualifier']> {
  let all: SpfTerm['qualifier'];
  for (const term of terms) {
    if (term.name === 'all' && !term.modifier) all = term.qualifier;
    if (!QUERYING.has(term.name) || (term.modifier && term.name !== 'redirect')) continue;
    if (term.name === 'redirect' && all !== undefined) continue; // RFC 7208 6.1: ignored when "all" is present
    walk.report.dnsLookups++;
    if (term.name === 'ptr') {
      walk.add({ code: 'spf-ptr', message: 'The SPF record uses "ptr", which RFC 7208 5.5 says not to use: it is slow, unreliable and puts load on the .arpa servers.' });
      continue;
    }
    const target = termDomain(term, domain);
    if (target.includes('%')) continue; // a macro: depends on the sender
    if (walk.report.dnsLookups > DOMAIN_LIMITS.spfMaxLookups + DOMAIN_LIMITS.spfCountBeyondLimit || walk.queries >= DOMAIN_LIMITS.maxSpfQueries) continue;
    if (term.name === 'include' || term.name === 'redirect') {
      const via = term.name;
      if (chain.includes(target)) {
        walk.add({ code: 'spf-loop', message: `The SPF record loops: ${[...chain, target].join(' → ')}. Receivers stop at the lookup limit with a permanent error.` });
        continue;
      }
      walk.queries++;
      const { records, error } = await txtRecords(walk.resolver, target, walk.timeoutMs);
      const found = spfRecords(records);
      if (error || found.length !== 1) {
        if (!error && !found.length) walk.report.voidLookups += records.length ? 0 : 1;
        const why = error ?? (found.length ? `${target} has ${found.length} SPF records` : `${target} has no SPF record`);
        walk.report.included.push({ domain: target, via, error: why });
        walk.add({ code: 'spf-include-missing', message: `The SPF ${via} of ${target} cannot be evaluated (${why}); RFC 7208 5.2 makes that a permanent error for the whole record.` });
        continue;
      }
      walk.report.included.push({ domain: target, via, record: found[0] });
      let nested: SpfTerm[];
      try {
        nested = parseSpf(found[0]);
      } catch (err) {
        walk.add({ code: 'spf-invalid', message: `The SPF record of ${target} (reached by ${via}) is invalid: ${(err as Error).message}.` });
        continue;
      }
      const nestedAll = await walkRecord(walk, target, nested, [...chain, target]);
      if (via === 'redirect') all = nestedAll;
      else if (nestedAll === '+') walk.add({ code: 'spf-plus-all', message: `The SPF record of ${target}, which ${domain} includes, ends in "+all": the include matches every server on the Internet.` });
      continue;
    }
    walk.queries++;
    if (await isVoid(walk, term.name, target)) walk.report.voidLookups++;
  }
  return all;
}

async function isVoid(walk: Walk, mechanism: string, target: string): Promise<boolean> {
  const empty = async (query: () => Promise<unknown[]>): Promise<boolean> => {
    try {
      return (await withDeadline(`The lookup of ${target}`, query, walk.timeoutMs)).length === 0;
    } catch (err) {
      return isNoData(err);
    }
  };
  if (mechanism === 'mx') return empty(() => walk.resolver.resolveMx(target));
  if (mechanism === 'exists') return empty(() => walk.resolver.resolve4(target));
  // a: either family is enough.
  return (await empty(() => walk.resolver.resolve4(target))) && (await empty(() => walk.resolver.resolve6(target)));
}
