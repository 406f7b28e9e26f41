import type { AccountConfig } from '../account';
import { startTlsRefused } from '../connectionErrors';
import type { MailError } from '../errors';

type Logger = Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (entry: unknown) => void>;

/**
 * imapflow reports a STARTTLS answered NO or BAD exactly like a server without STARTTLS ("Server
 * does not support STARTTLS") and keeps the server's words only in a log entry. This watches its
 * log for that entry, so the error can say that the server refused STARTTLS, and in its words.
 */
export function watchStartTlsRefusal(logger: Logger): { logger: Logger; explain(mapped: MailError, account: AccountConfig): MailError } {
  let refusal: string | undefined;
  const warn = logger.warn;
  return {
    logger: {
      ...logger,
      warn: (entry: unknown) => {
        const err = typeof entry === 'object' && entry !== null ? (entry as { err?: { executedCommand?: unknown; responseStatus?: unknown; responseText?: unknown } }).err : undefined;
        if (typeof err?.executedCommand === 'string' && /^\S+ STARTTLS$/i.test(err.executedCommand)) {
          refusal = [err.responseStatus, err.responseText].filter((p) => typeof p === 'string' && p).join(' ') || 'no reason given';
        }
        warn(entry);
      },
    },
    explain: (mapped, account) => (refusal !== undefined && mapped.code === 'StartTlsUnavailable' && mapped.tlsReason === undefined ? startTlsRefused(account, refusal) : mapped),
  };
}
