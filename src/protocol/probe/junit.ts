/**
 * JUnit XML for CI (`mailroom-check --junit FILE`): one <testsuite> per endpoint, one <testcase>
 * per phase that ran (an <error> where the check failed, <skipped> where a phase did not run)
 * and one per warning (a <failure> whose type is the stable warning code, with only the transcript
 * lines that decided it). Phases and warnings
 * are read from the report, not from a fixed list, so new ones appear without changes here.
 *
 * Everything from the server is escaped, and characters XML 1.0 cannot carry at all (NUL, ESC,
 * other controls, lone surrogates) are written as visible escapes: the file always parses.
 */
import type { PhaseRecord, ProbeReport, ProbeWarning, TranscriptLine } from '../../shared/probeReport';
import { CHECK_REPORT_SCHEMA_VERSION } from '../../shared/probeReport';
import { formatTranscript } from './transcript';
import { visibleControls } from './visible';
import { decidedByTlsDeep, warningEvidence } from './warningEvidence';

/**
 * Transcript excerpt bounds per testcase: enough to see the exchange, not megabytes of garbage. A
 * warning carries only the lines that decided it (warningEvidence.ts), under tighter bounds.
 */
export const JUNIT_LIMITS = { excerptLines: 200, excerptChars: 16_000, warningLines: 40, warningChars: 4_000 } as const;

export function reportsToJunit(reports: readonly ProbeReport[]): string {
  const suites = reports.map(suiteOf);
  const total = addCounts(suites.map((s) => s.counts));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mailroom-check" ${countAttrs(total)} time="${seconds(reports.reduce((ms, r) => ms + r.totalMs, 0))}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
  ];
  return `${out.join('\n')}\n`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function suiteOf(r: ProbeReport): { xml: string; counts: Counts } {
  const classname = `mailroom-check.${r.url}`;
  const cases: string[] = [];
  const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const p of r.phases) {
    counts.tests++;
    const failed = !p.ok && p.name === r.failedPhase;
    if (failed) counts.errors++;
    if (p.skipped !== undefined) counts.skipped++;
    cases.push(phaseCase(r, classname, p, failed));
  }
  if (r.failedPhase && !r.phases.some((p) => p.name === r.failedPhase && !p.ok)) {
    // The probe failed outside a recorded phase: still one failing testcase, so CI sees it.
    counts.tests++;
    counts.errors++;
    cases.push(testcase(classname, `phase ${r.failedPhase}`, 0, [errorElement(r.error?.code ?? 'Failed', r.error?.message ?? 'the check failed'), systemOut(r.transcript)]));
  }
  for (const w of r.warnings) {
    counts.tests++;
    counts.failures++;
    cases.push(warningCase(r, classname, w));
  }
  const properties = [
    ['url', r.url],
    ['protocol', r.protocol],
    ['host', r.host],
    ['port', String(r.port)],
    ['tls', r.tls.ok ? `${r.tls.mode} ${r.tls.version ?? ''} ${r.tls.cipher ?? ''}`.trim() : r.tls.mode],
    ['schemaVersion', String(CHECK_REPORT_SCHEMA_VERSION)],
  ]
    .map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>`)
    .join('\n');
  const xml = [
    `  <testsuite name="${attr(r.url)}" ${countAttrs(counts)} time="${seconds(r.totalMs)}" timestamp="${attr(r.startedAt)}" hostname="${attr(r.host)}">`,
    '    <properties>',
    properties,
    '    </properties>',
    ...cases,
    '  </testsuite>',
  ].join('\n');
  return { xml, counts };
}

function phaseCase(r: ProbeReport, classname: string, p: PhaseRecord, failed: boolean): string {
  const body: string[] = [];
  if (failed) body.push(errorElement(p.error?.code ?? r.error?.code ?? 'Failed', p.error?.message ?? r.error?.message ?? `the ${p.name} phase failed`));
  else if (p.skipped !== undefined) body.push(`      <skipped message="${attr(p.skipped)}"/>`);
  const notes = !p.ok && !failed && p.error ? [`not counted as a failure (${p.name} is a courtesy): ${p.error.code} ${p.error.message}`] : [];
  body.push(systemOut(phaseLines(r, p), notes));
  return testcase(classname, `phase ${p.name}`, p.ms, body);
}

function warningCase(r: ProbeReport, classname: string, w: ProbeWarning): string {
  const failure = `      <failure type="${attr(w.code)}" message="${attr(w.message)}">${text(`${w.code}: ${w.message}`)}</failure>`;
  const notes = decidedByTlsDeep(w) ? ['decided by the TLS deep check\'s handshakes, which keep no transcript (their results: --json, tlsDeep)'] : [];
  return testcase(classname, `warning ${w.code}`, 0, [failure, systemOut(warningEvidence(r, w), notes, { lines: JUNIT_LIMITS.warningLines, chars: JUNIT_LIMITS.warningChars })]);
}

function testcase(classname: string, name: string, ms: number, body: string[]): string {
  const inner = body.filter(Boolean);
  const open = `    <testcase classname="${attr(classname)}" name="${attr(name)}" time="${seconds(ms)}"`;
  return inner.length ? `${open}>\n${inner.join('\n')}\n    </testcase>` : `${open}/>`;
}

function errorElement(code: string, message: string): string {
  return `      <error type="${attr(code)}" message="${attr(message)}">${text(`${code}: ${message}`)}</error>`;
}

/** The transcript lines written while the phase ran (phases recorded without them: none). */
function phaseLines(r: ProbeReport, p: PhaseRecord): TranscriptLine[] | undefined {
  if (!r.transcript || !p.lines) return undefined;
  return r.transcript.slice(p.lines[0], p.lines[1]);
}

function systemOut(lines: readonly TranscriptLine[] | undefined, notes: string[] = [], limit: { lines: number; chars: number } = { lines: JUNIT_LIMITS.excerptLines, chars: JUNIT_LIMITS.excerptChars }): string {
  const parts = [...notes];
  if (lines?.length) {
    const shown = lines.slice(0, limit.lines);
    let excerpt = formatTranscript(shown);
    if (excerpt.length > limit.chars) excerpt = `${excerpt.slice(0, limit.chars)}…`;
    if (lines.length > shown.length || excerpt.endsWith('…')) excerpt += `\n(${lines.length} lines in all; the whole transcript: --json --transcript)`;
    parts.push(excerpt);
  }
  return parts.length ? `      <system-out>${text(parts.join('\n'))}</system-out>` : '';
}

function countAttrs(c: Counts): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}"`;
}

function addCounts(all: readonly Counts[]): Counts {
  return all.reduce((a, c) => ({ tests: a.tests + c.tests, failures: a.failures + c.failures, errors: a.errors + c.errors, skipped: a.skipped + c.skipped }), { tests: 0, failures: 0, errors: 0, skipped: 0 });
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** Element text: &, < and > escaped, invisible characters made visible. */
function text(value: string): string {
  return visibleControls(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute value (always written in double quotes); line breaks kept as character references. */
function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
