/** The "STARTTLS checks" part of the Markdown report, with the evidence of a vulnerable verdict. */
import type { ProbeReport } from '../../shared/probeReport';
import { starttlsRows } from '../../shared/probeStartTls';
import { formatTranscript } from './transcript';

export function starttlsMarkdown(r: ProbeReport): string[] {
  const rows = starttlsRows(r);
  if (!rows.length) return [];
  const out = ['### STARTTLS checks', ''];
  for (const [label, value] of rows) out.push(`- ${label}: ${value}`);
  const evidence = [...(r.starttls?.commandInjection?.verdict === 'vulnerable' ? r.starttls.commandInjection.evidence : [])];
  if (evidence.length) {
    const text = formatTranscript(evidence);
    const fence = text.includes('```') ? '~~~~' : '```';
    out.push('', 'Injection evidence:', '', fence, text, fence);
  }
  out.push('');
  return out;
}
