import type { ProtocolLog } from '../log';

interface ImapflowEntry {
  src?: string;
  msg?: string;
  err?: { message?: string; code?: string };
  [key: string]: unknown;
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * Adapts imapflow's pino-style logger calls to a ProtocolLog. Client lines (`src: 'c'`) and
 * server lines (`src: 's'`) become `C: …` / `S: …`; imapflow masks LOGIN arguments itself and
 * ProtocolLog implementations mask again (see redactSecrets).
 */
export function imapflowLogger(log: ProtocolLog): Record<Level | 'fatal', (entry: unknown) => void> {
  const write = (level: Level) => (entry: unknown): void => {
    const text = format(entry);
    if (text) log[level](text);
  };
  return {
    // Raw socket frames arrive at trace level only with logRaw, which Mailroom never sets.
    trace: () => undefined,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    fatal: write('error'),
  };
}

function format(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return '';
  const e = entry as ImapflowEntry;
  const msg = typeof e.msg === 'string' ? e.msg : '';
  if (e.src === 'c') return `C: ${msg}`;
  if (e.src === 's') return `S: ${msg}`;
  const err = e.err?.message ? ` (${e.err.code ? `${e.err.code}: ` : ''}${e.err.message})` : '';
  return `${msg}${err}`;
}
