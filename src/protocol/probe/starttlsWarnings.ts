/**
 * Warnings from the STARTTLS findings (response injection, command injection, plaintext login
 * accepted). Pure, like the rest of warnings.ts, which calls this.
 */
import type { ProbeReport, WarningCode } from '../../shared/probeReport';
import { quote } from './dialogue';

export function starttlsWarnings(report: ProbeReport, add: (code: WarningCode, message: string) => void): void {
  const found = report.starttls;
  if (!found) return;
  const upgrade = report.protocol === 'pop3' ? 'STLS' : 'STARTTLS';
  if (found.responseInjection) {
    add(
      'starttls-response-injection',
      `The server sent ${found.responseInjection.bytes} bytes in plain text behind its ${upgrade} answer, before the handshake ("${quote(found.responseInjection.text)}"). Anyone on the path can write such bytes; a client that reads them as TLS data can be fed fake capabilities or answers (STARTTLS response injection). The check discarded them.`,
    );
  }
  if (found.commandInjection?.verdict === 'vulnerable') {
    add(
      'starttls-command-injection',
      `${found.commandInjection.detail} This is the STARTTLS command injection flaw (CVE-2011-0411 class): the server must discard input buffered before the handshake.`,
    );
  }
  const plain = found.plaintextAuth;
  if (plain && (plain.verdict === 'accepted' || plain.verdict === 'logged-in')) {
    add(
      'plaintext-auth-accepted',
      `${plain.detail} So the server accepts passwords on the unencrypted link: a client that does not insist on ${upgrade}, or whose ${upgrade} is stripped, sends the real one in the clear.${plain.verdict === 'logged-in' ? ' It even logged a made-up user in.' : ''}`,
    );
  }
}
