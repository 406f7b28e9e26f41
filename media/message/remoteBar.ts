// The remote-content bar's words (pure, unit-tested).
import type { MessageViewModel } from '../../src/shared/messageView';

/**
 * "N remote resources blocked"; "At least N …" when a blocked stylesheet could import more
 * stylesheets, images and fonts that nobody can see before it loads.
 */
export function remoteBlockedLabel(m: Pick<MessageViewModel, 'remoteBlocked' | 'remoteAtLeast'>): string {
  const noun = m.remoteBlocked === 1 && !m.remoteAtLeast ? 'resource' : 'resources';
  return `${m.remoteAtLeast ? 'At least ' : ''}${m.remoteBlocked} remote ${noun} blocked`;
}
