/** A domain report as Markdown for people, or JSON for scripts. */
import type { DomainSummaryView, ProbeReport } from '../../../shared/probeReport';
import { DOMAIN_FINDING_FIXES } from './explanations';
import type { DomainReport, TxtLookup } from './types';

export function domainReportToJson(report: DomainReport): string {
  return JSON.stringify({ ...report, mx: report.mx.map((h) => ({ ...h, ports: h.ports.map(({ transcript: _t, ...rest }) => rest) })) }, null, 2);
}

function records(lookup: TxtLookup, chosen?: string): string {
  if (lookup.error) return `lookup failed: ${lookup.error}`;
  if (chosen) return `\`${chosen}\``;
  return lookup.records.length ? `no matching record (${lookup.records.length} other TXT)` : 'none';
}

function port(p: ProbeReport): string {
  if (!p.greeting.ok) return `${p.port}: no answer (${p.error?.code ?? 'failed'})`;
  const tls = p.tls.ok ? `${p.tls.mode === 'implicit' ? 'TLS' : 'STARTTLS'} ${p.tls.version ?? ''}${p.tls.authorized ? ', certificate verified' : `, certificate not verified (${p.tls.authorizationError ?? p.tls.hostnameError ?? 'unknown'})`}` : p.tls.mode === 'none' ? 'no STARTTLS' : `TLS failed (${p.tls.error?.code ?? ''})`;
  return `${p.port}: answers, ${tls}`;
}

export function renderDomainMarkdown(r: DomainReport): string {
  const out: string[] = [`# Mail domain ${r.domain}`, '', `Checked ${r.startedAt} in ${r.totalMs} ms.`, '', '## Findings', ''];
  const findings = domainFindingsView(r);
  if (!findings.length) out.push('None: everything checked is in place.');
  for (const f of findings) out.push(`- ${f.level === 'warning' ? 'WARNING' : 'note'} \`${f.code}\`: ${oneLine(f.message)}`, `  Fix: ${f.fix}`);
  for (const section of domainSections(r)) out.push('', `## ${section.title}`, '', ...section.lines);
  return `${out.join('\n')}\n`;
}

/** Warnings first, then notes, each with its fix. */
export function domainFindingsView(r: DomainReport): DomainSummaryView['findings'] {
  const sorted = [...r.findings.filter((f) => f.level === 'warning'), ...r.findings.filter((f) => f.level === 'info')];
  return sorted.map((f) => ({ ...f, fix: DOMAIN_FINDING_FIXES[f.code] }));
}

/** What the editor's report panel shows for a domain (the MX ports go in as endpoint reports). */
export function domainSummaryView(r: DomainReport): DomainSummaryView {
  return { domain: r.domain, findings: domainFindingsView(r), sections: domainSections(r) };
}

/** The report's sections as lines of Markdown list items, shared by the CLI and the panel. */
export function domainSections(r: DomainReport): DomainSummaryView['sections'] {
  const sections: DomainSummaryView['sections'] = [];
  let out: string[] = [];
  const section = (title: string): void => {
    out = [];
    sections.push({ title, lines: out });
  };
  section('MX hosts');
  if (r.mxError) out.push(`MX lookup failed: ${r.mxError}`);
  if (!r.mx.length) out.push('None.');
  for (const h of r.mx) {
    out.push(`- ${h.host} (priority ${h.priority}) ${h.addresses.join(', ') || 'no address'}`);
    for (const rev of h.reverse) out.push(`  - PTR ${rev.address}: ${rev.error ?? (rev.names.length ? `${rev.names.join(', ')}${rev.forwardConfirmed ? ' (resolves back)' : ' (does NOT resolve back)'}` : 'none')}`);
    for (const p of h.ports) out.push(`  - port ${port(p)}`);
    if (h.dane) {
      const d = h.dane;
      const state = d.error ? `lookup failed: ${d.error}` : !d.records.length ? 'no TLSA records' : `${d.records.length} TLSA record(s)${d.matches === undefined ? '' : d.matches ? `, matches the served certificate (${d.matchedBy})` : ', none matches the served certificate'}${d.authenticated ? ', DNSSEC-validated by the resolver' : ', not DNSSEC-validated by the resolver'}${d.transport === 'tcp' ? ' (read over TCP: the UDP answer was truncated)' : ''}`;
      out.push(`  - DANE ${d.name}: ${state}`);
    }
  }
  const s = r.spf;
  section('SPF');
  out.push(`- ${s.lookup.name}: ${records(s.lookup, s.record)}`);
  if (s.record) out.push(`- terms: ${s.terms.map((t) => (t.modifier ? `${t.name}=${t.value ?? ''}` : `${t.qualifier}${t.name}${t.value ? `:${t.value}` : ''}`)).join(' ')}`, `- DNS lookups: ${s.dnsLookups} of 10 allowed; void lookups: ${s.voidLookups} of 2`);
  for (const i of s.included) out.push(`  - ${i.via} ${i.domain}: ${i.error ?? `\`${i.record}\``}`);
  const d = r.dmarc;
  section('DMARC');
  out.push(`- ${d.lookup.name}: ${records(d.lookup, d.record)}`);
  if (d.policy) out.push(`- policy p=${d.policy.p}${d.policy.sp ? `, sp=${d.policy.sp}` : ''}, pct=${d.policy.pct ?? 100}, alignment DKIM ${d.policy.adkim === 's' ? 'strict' : 'relaxed'}, SPF ${d.policy.aspf === 's' ? 'strict' : 'relaxed'}`, `- aggregate reports (rua): ${d.policy.rua.join(', ') || 'none'}; failure reports (ruf): ${d.policy.ruf.join(', ') || 'none'}`);
  const m = r.mtaSts;
  section('MTA-STS');
  out.push(`- ${m.lookup.name}: ${records(m.lookup, m.id ? `id=${m.id}` : undefined)}`);
  if (m.id) out.push(`- policy ${m.policyUrl}: ${m.policyError ?? (m.policy ? `mode ${m.policy.mode}, max_age ${m.policy.maxAge}, mx ${m.policy.mx.join(', ')}` : '')}`);
  if (m.unmatchedMx.length) out.push(`- MX hosts the policy does not cover: ${m.unmatchedMx.join(', ')}`);
  const t = r.tlsRpt;
  section('TLS-RPT');
  out.push(`- ${t.lookup.name}: ${records(t.lookup, t.record)}`);
  if (t.rua.length) out.push(`- reports go to ${t.rua.join(', ')}`);
  section('Client setup');
  for (const srv of r.setup.srv) out.push(`- SRV ${srv.name}: ${srv.error ?? (srv.targets.join(', ') || 'none')}`);
  for (const a of r.setup.autoconfig) out.push(`- autoconfig ${a.url}: ${a.ok ? 'present' : a.error ?? (a.status ? `HTTP ${a.status}` : 'none')}`);
  return sections.map((sec) => ({ title: sec.title, lines: sec.lines.map((line) => line.replace(/^(\s*- )([\s\S]*)$/, (_m, lead: string, rest: string) => lead + oneLine(rest))) }));
}

/** Longest line shown; TXT records can be 64 KiB, the rest is in --json. */
const MAX_LINE_CHARS = 2000;

/**
 * Server text (records, names, policy lines) on one line: line breaks and control characters are
 * shown escaped, so a record cannot start lines of its own in the report or drive the terminal.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const escaped = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return escaped.length > MAX_LINE_CHARS ? `${escaped.slice(0, MAX_LINE_CHARS)}… (${escaped.length} characters)` : escaped;
}
