import type { ServerProtocol, ServerSecurity } from './types';

export interface Guess {
  role: 'incoming' | 'outgoing';
  protocol: ServerProtocol;
  host: string;
  port: number;
  security: ServerSecurity;
  /** Order among the guesses (Thunderbird's: TLS before STARTTLS, IMAP before POP3). */
  rank: number;
}

/**
 * Thunderbird's last resort: well-known host names under the domain on the standard ports, TLS
 * first. Every guess is only a candidate until the prober has seen a server answer there.
 */
export function guessServers(domain: string): Guess[] {
  const d = domain.toLowerCase();
  const list: Array<Omit<Guess, 'rank'>> = [];
  const add = (role: Guess['role'], protocol: ServerProtocol, prefixes: string[], endpoints: Array<[number, ServerSecurity]>): void => {
    for (const [port, security] of endpoints) for (const p of prefixes) list.push({ role, protocol, host: `${p}.${d}`, port, security });
  };
  add('incoming', 'imap', ['imap', 'mail'], [[993, 'tls'], [143, 'starttls']]);
  add('incoming', 'pop3', ['pop', 'pop3', 'mail'], [[995, 'tls'], [110, 'starttls']]);
  add('outgoing', 'smtp', ['smtp', 'mail'], [[465, 'tls'], [587, 'starttls']]);
  return list.map((g, rank) => ({ ...g, rank }));
}
