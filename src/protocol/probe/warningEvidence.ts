/**
 * Which transcript lines decided a warning: the lines of the phases whose answers it was computed
 * from, or the evidence a deep STARTTLS probe kept. JUnit gives each warning only these (a CI log
 * should show why, not the whole dialogue again per warning). Warnings of the TLS deep check come
 * from handshakes that keep no transcript; a code not listed here has no lines.
 */
import type { ProbePhaseName, ProbeReport, ProbeWarning, TranscriptLine, WarningCode } from '../../shared/probeReport';

type Source = { phases: readonly ProbePhaseName[] } | { probe: 'commandInjection' | 'plaintextAuth' };

const CAPABILITY_PHASES: readonly ProbePhaseName[] = ['capabilities', 'capabilitiesAfterTls', 'capabilitiesAfterLogin'];

const DECIDED_BY: Partial<Record<WarningCode, Source>> = {
  preauth: { phases: ['greeting'] },
  'greeting-slow': { phases: ['greeting'] },
  'plaintext-auth-unencrypted': { phases: ['capabilities'] },
  'no-starttls': { phases: ['capabilities'] },
  'capabilities-changed-after-tls': { phases: ['capabilities', 'capabilitiesAfterTls'] },
  'tls-outdated': { phases: ['tls'] },
  'certificate-expiring': { phases: ['tls'] },
  'certificate-expired': { phases: ['tls'] },
  'certificate-self-signed': { phases: ['tls'] },
  'certificate-wrong-host': { phases: ['tls'] },
  'certificate-untrusted': { phases: ['tls'] },
  'pop3-no-uidl': { phases: CAPABILITY_PHASES },
  'pop3-expire-conflict': { phases: CAPABILITY_PHASES },
  'starttls-response-injection': { phases: ['starttls', 'tls'] },
  'starttls-command-injection': { probe: 'commandInjection' },
  'plaintext-auth-accepted': { probe: 'plaintextAuth' },
};

/** Lines of the side connections (`[injection] …`), run alongside the phases and merged in by time. */
const SIDE_LINE = /^\[(?:injection|plaintext-login)\] /;

/** The lines that decided `warning`, in transcript order; [] when none were recorded. */
export function warningEvidence(report: ProbeReport, warning: ProbeWarning): TranscriptLine[] {
  const source = DECIDED_BY[warning.code];
  if (!source) return [];
  if ('probe' in source) return report.starttls?.[source.probe]?.evidence ?? [];
  const transcript = report.transcript;
  if (!transcript) return [];
  const out: TranscriptLine[] = [];
  for (const phase of report.phases) {
    if (!source.phases.includes(phase.name) || !phase.lines) continue;
    out.push(...transcript.slice(phase.lines[0], phase.lines[1]).filter((l) => !SIDE_LINE.test(l.text)));
  }
  return out;
}

/** The TLS deep check decided it (no transcript; the handshakes are in the report's tlsDeep). */
export function decidedByTlsDeep(warning: ProbeWarning): boolean {
  return warning.code.startsWith('tls-') && warning.code !== 'tls-outdated';
}
