import * as crypto from 'node:crypto';

/** A token naming one run, in folder names and Message-IDs: sortable time plus randomness. */
export function runToken(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}-${crypto.randomBytes(4).toString('hex')}`;
}

export type TestMessageKind = 'eight-bit' | 'large' | 'plain' | 'idle' | 'pop3';

/**
 * A message of the check's own, CRLF throughout. `eight-bit` carries UTF-8 and bytes that are not
 * UTF-8 at all (both legal in an IMAP literal); `large` is over 4 KB, so a LITERAL- server would
 * need a synchronizing literal and a LITERAL+ one takes it non-synchronizing.
 */
export function testMessage(token: string, kind: TestMessageKind): Buffer {
  const header = [
    'From: Mailroom check <check@mailroom.invalid>',
    'To: Mailroom check <check@mailroom.invalid>',
    `Subject: Mailroom behaviour check (${kind})`,
    `Message-ID: <${token}-${kind}@mailroom.invalid>`,
    'Date: Mon, 1 Jan 2024 00:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${kind === 'plain' || kind === 'idle' ? '7bit' : '8bit'}`,
  ].join('\r\n');
  const parts: Buffer[] = [Buffer.from(`${header}\r\n\r\nWritten by mailroom-check --behaviour; it removes this message itself.\r\n`)];
  if (kind === 'eight-bit' || kind === 'large' || kind === 'pop3') {
    parts.push(Buffer.from('Grüße, naïve café — 日本語 ✓\r\n', 'utf8'));
    const raw = Buffer.alloc(32);
    for (let i = 0; i < raw.length; i++) raw[i] = 0xe0 + (i % 32);
    parts.push(raw, Buffer.from('\r\n'));
    parts.push(Buffer.from('.a line that POP3 dot-stuffs\r\n'));
  }
  if (kind === 'large') {
    for (let i = 0; i < 80; i++) parts.push(Buffer.from(`line ${String(i).padStart(3, '0')} ${'0123456789abcdef'.repeat(4)} ü\r\n`, 'utf8'));
  }
  return Buffer.concat(parts);
}
