/** Markdown and JSON renderings of probe reports (the CLI, "Copy as Markdown/JSON"). */
import { CHECK_REPORT_SCHEMA_ID, CHECK_REPORT_SCHEMA_VERSION, ProbeReport, verdictOf } from '../../shared/probeReport';
import { starttlsMarkdown } from './starttlsRender';
import { tlsDeepMarkdown } from './tlsDeep/render';
import { renderBehaviour } from './behaviour/render';
import { formatTranscript } from './transcript';

export interface JsonOptions {
  /** Include the (masked) transcript of each endpoint. Default false. */
  transcript?: boolean;
}

/**
 * One JSON array, one object per endpoint: the `mailroom-check --json` shape, described by
 * docs/check-report.schema.json. Each object names that schema and its version first.
 */
export function reportsToJson(reports: readonly ProbeReport[], options: JsonOptions = {}): string {
  const shaped = reports.map((r) => {
    const { transcript, $schema: _s, schemaVersion: _v, ...rest } = r;
    return { $schema: CHECK_REPORT_SCHEMA_ID, schemaVersion: CHECK_REPORT_SCHEMA_VERSION, ...rest, ...(options.transcript && transcript ? { transcript } : {}) };
  });
  return JSON.stringify(shaped, null, 2);
}

export function renderMarkdown(reports: readonly ProbeReport[], options: { transcript?: boolean } = {}): string {
  return reports.map((r) => renderOne(r, options.transcript === true)).join('\n\n---\n\n') + '\n';
}

function renderOne(r: ProbeReport, withTranscript: boolean): string {
  const out: string[] = [];
  const verdict = verdictOf(r);
  const headline = verdict === 'failed' ? `FAILED at ${r.failedPhase ?? 'the behaviour checks'}` : verdict === 'warnings' ? `${r.warnings.length} warning(s)` : 'OK';
  out.push(`## ${r.url} — ${headline}`, '');
  out.push(`${r.protocol.toUpperCase()} on ${r.host}:${r.port}, checked ${r.startedAt} in ${r.totalMs} ms.`, '');
  if (r.error) out.push(`**Failed (${r.failedPhase}, ${r.error.code}):** ${r.error.message}`, '');

  out.push('| Phase | Result | Time |', '| --- | --- | ---: |');
  for (const p of r.phases) {
    const result = p.skipped ? `skipped: ${p.skipped}` : p.ok ? 'ok' : `failed: ${p.error?.code ?? ''} ${p.error?.message ?? ''}`.trim();
    out.push(`| ${p.name} | ${cell(result)} | ${p.ms} ms |`);
  }
  out.push('');

  if (r.warnings.length) {
    out.push('### Warnings', '');
    for (const w of r.warnings) out.push(`- \`${w.code}\` ${w.message}`);
    out.push('');
  }

  out.push('### Greeting', '');
  if (r.greeting.banner !== undefined) out.push(codeBlock(r.greeting.banner));
  if (r.greeting.implementation) out.push(`- Implementation: ${r.greeting.implementation}`);
  if (r.greeting.apopTimestamp) out.push(`- APOP timestamp: \`${r.greeting.apopTimestamp}\``);
  if (r.greeting.ms !== undefined) out.push(`- Took ${r.greeting.ms} ms`);
  if (!r.greeting.ok) out.push('- No greeting');
  out.push('');

  out.push('### TLS', '', ...tlsLines(r), '');
  if (r.tlsDeep) out.push(...tlsDeepMarkdown(r.tlsDeep), '');

  out.push('### Capabilities', '');
  for (const [label, caps] of [
    ['Before TLS', r.capabilities.beforeTls],
    ['After TLS', r.capabilities.afterTls],
    ['After login', r.capabilities.afterLogin],
  ] as const) {
    out.push(`- ${label}: ${caps === null ? '—' : caps.length ? caps.map((c) => `\`${c}\``).join(' ') : '(none)'}`);
  }
  out.push('');

  out.push('### Authentication', '');
  out.push(`- SASL mechanisms: ${r.auth.mechanisms.join(' ') || '(none)'}`);
  if (r.protocol === 'imap') out.push(`- LOGINDISABLED before TLS: ${r.auth.loginDisabled ? 'yes' : 'no'}`);
  if (r.protocol === 'pop3') out.push(`- APOP: ${r.auth.apop ? 'offered' : 'not offered'}`);
  out.push(`- Plaintext login offered before TLS: ${r.auth.plaintextBeforeTls ? 'yes' : 'no'}`);
  const login = r.auth.login;
  const loginText = login.skipped ? `not tried (${login.skipped})` : !login.attempted ? 'not reached' : login.ok ? `ok (${login.method ?? ''})` : `failed: ${login.error?.message ?? ''}`;
  out.push(`- Login: ${loginText}`);
  if (r.pop3) {
    out.push(`- EXPIRE: ${r.pop3.expire ?? 'not listed'}`);
    out.push(`- LOGIN-DELAY: ${r.pop3.loginDelay ?? 'not listed'}`);
  }
  out.push('');

  out.push(...starttlsMarkdown(r));

  if (r.explanations.length) {
    out.push('### What it means for Mailroom', '', '| Capability | Offered | Meaning |', '| --- | --- | --- |');
    for (const e of r.explanations) out.push(`| ${e.capability} | ${e.offered ? 'yes' : 'no'} | ${cell(e.meaning)} |`);
    out.push('');
  }
  if (r.behaviour) out.push(renderBehaviour(r.behaviour, { evidence: withTranscript }), '');
  if (withTranscript && r.transcript?.length) out.push('### Transcript (credentials masked)', '', codeBlock(formatTranscript(r.transcript)), '');
  return out.join('\n').trimEnd();
}

function tlsLines(r: ProbeReport): string[] {
  const t = r.tls;
  const lines: string[] = [];
  const mode = t.mode === 'implicit' ? 'implicit TLS' : t.mode === 'starttls' ? 'STARTTLS' : 'none';
  lines.push(`- Mode: ${mode}${t.starttlsOffered === false ? ` (${r.protocol === 'pop3' ? 'STLS' : 'STARTTLS'} not offered)` : ''}`);
  if (t.starttlsResponse) lines.push(`- Upgrade answer: \`${t.starttlsResponse}\``);
  if (t.error) lines.push(`- Failed: ${t.error.message}`);
  if (!t.ok) return lines;
  lines.push(`- Version: ${t.version ?? '?'}, cipher: ${t.cipher ?? '?'}, ALPN: ${t.alpn ?? 'none'}`);
  lines.push(`- Verified: ${t.authorized ? 'yes' : `no — ${t.authorizationError ?? '?'}: ${t.authorizationReason ?? ''}`}${t.pinned ? ' (pinned by the account)' : ''}`);
  lines.push(`- Host name: ${t.hostnameMatch === undefined ? '?' : t.hostnameMatch ? `matches ${r.host}` : `does not match (${t.hostnameError ?? ''})`}`);
  for (const [i, c] of (t.chain ?? []).entries()) {
    lines.push(`- ${i === 0 ? 'Certificate' : `Issuer ${i}`}: ${c.subject} — issued by ${c.issuer}`);
    lines.push(`  - Valid ${c.validFrom.slice(0, 10)} to ${c.validTo.slice(0, 10)} (${c.expired ? `expired ${Math.abs(c.daysToExpiry)} day(s) ago` : `${c.daysToExpiry} day(s) left`})${c.selfSigned ? ', self-signed' : ''}`);
    if (c.san) lines.push(`  - Names: ${c.san}`);
    lines.push(`  - SHA-256: ${c.sha256}`);
  }
  return lines;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function codeBlock(text: string): string {
  const fence = text.includes('```') ? '~~~~' : '```';
  return `${fence}\n${text}\n${fence}`;
}
