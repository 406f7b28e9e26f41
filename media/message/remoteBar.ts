// The remote-content bar's words (pure, unit-tested).
import * as l10n from '@vscode/l10n';
import type { MessageViewModel } from '../../src/shared/messageView';

/**
 * "N remote resources blocked"; "At least N …" when a blocked stylesheet could import more
 * stylesheets, images and fonts that nobody can see before it loads.
 */
export function remoteBlockedLabel(m: Pick<MessageViewModel, 'remoteBlocked' | 'remoteAtLeast'>): string {
  if (m.remoteAtLeast) return l10n.t('At least {0} remote resources blocked', m.remoteBlocked);
  return m.remoteBlocked === 1 ? l10n.t('1 remote resource blocked') : l10n.t('{0} remote resources blocked', m.remoteBlocked);
}
