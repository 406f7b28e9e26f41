// Plain Node (unit-tested without VS Code): text goes through @vscode/l10n, configured with VS Code's bundle in activate().
import * as l10n from '@vscode/l10n';

/** What the row of an empty POP3 Inbox needs to know about the account's checks. */
export interface Pop3CheckStatus {
  checking: boolean;
  /** The last check that finished in this window. */
  last?: { at: Date; report?: { onServer: number }; error?: unknown };
}

/**
 * The row an Inbox with no cached messages shows; undefined when the last check failed (its error
 * row says why). Only before any check does it ask the user to run Check Mail.
 */
export function emptyPop3InboxMessage(status: Pop3CheckStatus): string | undefined {
  if (status.checking) return l10n.t('Checking the server for mail…');
  const last = status.last;
  if (!last) return l10n.t('No messages downloaded yet: Mailroom: Check Mail');
  if (last.error !== undefined || !last.report) return undefined;
  const checked = l10n.t('checked {0}', clock(last.at));
  if (last.report.onServer === 0) return l10n.t('No mail on the server · {0}', checked);
  return l10n.t('No messages here ({0} on the server were removed from this list) · {1}', last.report.onServer, checked);
}

/** HH:MM on a 24-hour clock, local time. */
function clock(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}
