/**
 * The "STARTTLS checks" rows of a report (label, value), for the Markdown report and the report
 * webview alike. Pure: no vscode, no DOM, no Node.
 */
import type { CommandInjectionVerdict, PlaintextAuthVerdict, ProbeReport } from './probeReport';

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
