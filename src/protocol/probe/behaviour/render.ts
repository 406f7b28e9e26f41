import type { BehaviourReport } from '../../../shared/probeReport';
import { formatTranscript } from '../transcript';

const MARK = { pass: 'pass', fail: '**FAIL**', skipped: 'skipped' } as const;

/**
 * The behaviour section of a Markdown report: one row per check, then the transcript lines that
 * decided each failed row (every row's with `evidence`).
 */
export function renderBehaviour(b: BehaviourReport, options: { evidence?: boolean } = {}): string {
  const out: string[] = ['### Behaviour checks', ''];
  const counts = (['pass', 'fail', 'skipped'] as const).map((o) => `${b.checks.filter((c) => c.outcome === o).length} ${o === 'fail' ? 'failed' : o === 'pass' ? 'passed' : o}`);
  out.push(`${counts.join(', ')} in ${b.totalMs} ms (budget ${b.budgetMs} ms).`, '');
  if (b.error) out.push(`**Stopped (${b.error.code}):** ${b.error.message}`, '');
  out.push('| Check | Result | Detail | Time |', '| --- | --- | --- | ---: |');
  for (const c of b.checks) out.push(`| \`${c.id}\` ${cell(c.title)} | ${MARK[c.outcome]} | ${cell(c.detail)} | ${c.ms} ms |`);
  out.push('');
  if (b.scratch) {
    const folders = b.scratch.folders.map((f) => `\`${f}\``).join(', ');
    out.push(`- Scratch folders ${folders}: ${b.scratch.removed ? 'removed' : '**NOT removed** — delete them by hand'}${b.scratch.detail ? ` (${b.scratch.detail})` : ''}`, '');
  }
  if (b.ownMessage) {
    out.push(`- The check's own message (${b.ownMessage.where}): ${b.ownMessage.removed ? 'removed' : '**NOT removed** — delete it by hand'}${b.ownMessage.detail ? ` (${b.ownMessage.detail})` : ''}`, '');
  }
  for (const c of b.checks) {
    if (!c.evidence.length || (c.outcome !== 'fail' && !options.evidence)) continue;
    out.push(`#### \`${c.id}\` — ${c.outcome}`, '', codeBlock(formatTranscript(c.evidence)), '');
  }
  return out.join('\n').trimEnd();
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function codeBlock(text: string): string {
  const fence = text.includes('```') ? '~~~~' : '```';
  return `${fence}\n${text}\n${fence}`;
}
