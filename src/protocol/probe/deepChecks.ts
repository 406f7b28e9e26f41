/**
 * The deep STARTTLS checks (`ProbeOptions.deep`): command injection and plaintext login, each on
 * its own connection, both at once and alongside the main check, so the check as a whole takes
 * about as long as its slowest connection.
 */
import type { ProbeProtocol, StartTlsFindings, TranscriptLine } from '../../shared/probeReport';
import type { ConnectOptions, TlsUpgradeOptions } from './connection';
import type { ConnectionGate } from './connectionGate';
import type { Dialogue } from './dialogue';
import { checkPlaintextAuth } from './plaintextAuth';
import { checkCommandInjection } from './starttlsInjection';
import { mergeTranscripts, Transcript } from './transcript';

export interface DeepCheckInput {
  protocol: ProbeProtocol;
  endpoint: ConnectOptions;
  tls: TlsUpgradeOptions;
  timeoutMs: number;
  /** The main transcript: each side connection writes to a labelled fork of it. */
  transcript: Transcript;
  dialogue: () => Dialogue;
  gate?: ConnectionGate;
}

/** Never rejects: each check turns its own failures into an `inconclusive` verdict. */
export async function runDeepStartTlsChecks(input: DeepCheckInput): Promise<{ findings: StartTlsFindings; lines: TranscriptLine[] }> {
  const side = (label: string) => ({ protocol: input.protocol, endpoint: input.endpoint, tls: input.tls, timeoutMs: input.timeoutMs, transcript: input.transcript.fork(label), dialogue: input.dialogue(), gate: input.gate });
  const injectionCtx = side('injection');
  const plaintextCtx = side('plaintext-login');
  const [commandInjection, plaintextAuth] = await Promise.all([checkCommandInjection(injectionCtx), checkPlaintextAuth(plaintextCtx)]);
  return { findings: { commandInjection, plaintextAuth }, lines: mergeTranscripts(injectionCtx.transcript.lines, plaintextCtx.transcript.lines) };
}
