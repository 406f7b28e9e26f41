/** The human text of a check diff (`mailroom-check diff`, the editor's comparison document). */
import type { EndpointDiff, FieldChange, ReportDiff } from './diff';
import { visibleLine } from './visible';

export function renderDiff(diff: ReportDiff, names: { before: string; after: string }): string {
  const out: string[] = [`Comparing ${visibleLine(names.before)} (before) with ${visibleLine(names.after)} (after)`, ''];
  for (const e of diff.endpoints) out.push(...endpointLines(e), '');
  const changed = diff.endpoints.filter((e) => e.status !== 'unchanged').length;
  const summary = [`${diff.endpoints.length} endpoint(s), ${changed} changed`];
  if (diff.worse.errors) summary.push(`${diff.worse.errors} with a new failure`);
  const newWarnings = diff.endpoints.filter((e) => e.worse === 'warning').length;
  if (newWarnings) summary.push(`${newWarnings} with new warnings`);
  if (!diff.worse.warnings) summary.push('nothing got worse');
  out.push(`${summary.join('; ')}.`);
  return `${out.join('\n')}\n`;
}

function endpointLines(e: EndpointDiff): string[] {
  const v = (x?: string): string => x ?? '—';
  const head = `${visibleLine(e.url)}: ${e.status}`;
  if (e.status === 'added') return [`${head} (only in the after run: ${v(e.verdict.after)}${e.failedPhase.after ? ` at ${e.failedPhase.after}` : ''})`, ...warningLines(e)];
  if (e.status === 'removed') return [`${head} (only in the before run)`];
  if (e.status === 'unchanged') return [`${head} (${v(e.verdict.after)})`];
  const lines = [`${head} (${v(e.verdict.before)} → ${v(e.verdict.after)})${e.worse ? `  WORSE: ${e.worse === 'error' ? 'a check that passed now fails' : 'new warning(s)'}` : ''}`];
  if (e.failedPhase.before !== e.failedPhase.after) lines.push(`  failed phase: ${v(e.failedPhase.before)} → ${v(e.failedPhase.after)}`);
  const notReached = e.phases.filter((p) => p.after === 'absent').map((p) => p.name);
  const nowReached = e.phases.filter((p) => p.before === 'absent').map((p) => p.name);
  for (const p of e.phases) {
    if (p.before !== 'absent' && p.after !== 'absent') lines.push(`  phase ${p.name}: ${p.before} → ${p.after}${p.detail ? ` (${visibleLine(p.detail)})` : ''}`);
  }
  if (notReached.length) lines.push(`  phases no longer reached: ${notReached.join(', ')}`);
  if (nowReached.length) lines.push(`  phases now reached: ${nowReached.join(', ')}`);
  lines.push(...warningLines(e));
  for (const c of e.capabilities) {
    // POP3 and SMTP list capabilities with arguments ("SASL PLAIN LOGIN"): quote those.
    const item = (x: string): string => (/\s/.test(x) ? `"${visibleLine(x)}"` : visibleLine(x));
    const parts = [...c.added.map((x) => `+${item(x)}`), ...c.removed.map((x) => `-${item(x)}`)];
    lines.push(`  capabilities ${c.phase}: ${parts.join(' ')}`);
  }
  for (const f of e.tls) lines.push(`  ${fieldLine(f)}`);
  for (const f of e.other) lines.push(`  ${fieldLine(f)}`);
  for (const t of e.timings) lines.push(`  time ${t.what}: ${t.beforeMs} ms → ${t.afterMs} ms`);
  return lines;
}

function warningLines(e: EndpointDiff): string[] {
  return [
    ...e.warnings.new.map((w) => `  new warning ${visibleLine(w.code)}: ${visibleLine(w.message)}`),
    // A run that failed at connect has no warnings because it checked nothing, not because they were fixed.
    ...e.warnings.gone.map((w) => (e.worse === 'error' ? `  warning ${visibleLine(w.code)} not checked (the run failed)` : `  gone warning ${visibleLine(w.code)}`)),
  ];
}

function fieldLine(f: FieldChange): string {
  const show = (x: FieldChange['before']): string => (x === undefined ? '(absent)' : x === '' ? '(none)' : visibleLine(String(x)));
  return `${f.field}: ${show(f.before)} → ${show(f.after)}`;
}
