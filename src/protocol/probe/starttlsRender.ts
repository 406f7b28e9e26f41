/** The "STARTTLS checks" part of a report, as Markdown lines and as label/value rows for the webview. */
import type { CommandInjectionVerdict, PlaintextAuthVerdict, ProbeReport } from '../../shared/probeReport';
import { formatTranscript } from './transcript';

const INJECTION_WORDS: Record<CommandInjectionVerdict, string> = {
  vulnerable: 'VULNERABLE',
  'not-vulnerable': 'not vulnerable',
  'not-applicable': 'not applicable',
  inconclusive: 'inconclusive',
};

const PLAINTEXT_WORDS: Record<PlaintextAuthVerdict, string> = {
  accepted: 'ACCEPTED (the server checked the password)',
  'logged-in': 'ACCEPTED (a made-up user was logged in)',
  refused: 'refused until TLS',
  'not-offered': 'not offered',
  'not-applicable': 'not applicable',
  inconclusive: 'inconclusive',
};

/** Label and value rows; empty on implicit-TLS ports and ports without STARTTLS findings. */
export function starttlsRows(r: ProbeReport): Array<[string, string]> {
  const s = r.starttls;
  if (!s && r.tls.mode !== 'starttls') return [];
  const rows: Array<[string, string]> = [];
  rows.push([
    'Response injection',
    s?.responseInjection ? `${s.responseInjection.bytes} bytes sent behind the upgrade answer, before the handshake: discarded` : r.tls.ok ? 'none seen' : 'not reached',
  ]);
  const inj = s?.commandInjection;
  rows.push(['STARTTLS command injection', inj ? `${INJECTION_WORDS[inj.verdict]} — ${inj.detail} (sent in one write: ${inj.sent.join(' \\r\\n ')}; ${inj.ms} ms)` : 'not checked (deep check)']);
  const plain = s?.plaintextAuth;
  rows.push(['Password before TLS', plain ? `${PLAINTEXT_WORDS[plain.verdict]} — ${plain.detail} (${plain.ms} ms)` : 'not checked (deep check)']);
  return rows;
}

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
