// The remote-content notice of one message, as the message view and the conversation view draw it:
// how many remote resources the CSP blocked, "Load Remote Content", and "Always Load from <sender>".
import * as l10n from '@vscode/l10n';
import type { MessageViewModel } from '../../src/shared/messageView';
import { displayText } from '../../src/shared/displayText';
import { button, el } from '../shared/dom';
import { remoteBlockedLabel } from './remoteBar';

export interface RemoteRowActions {
  load(): void;
  /** "Always Load from <sender>"; the button is left out when the message has no sender address. */
  always(): void;
  /**
   * Says which message the buttons act on when a page shows several (the conversation view): added
   * to each button's accessible name after its visible words.
   */
  which?: string;
}

/** The notice, or undefined when nothing is blocked (no remote resources, or already loaded). */
export function remoteRow(m: Pick<MessageViewModel, 'remoteBlocked' | 'remoteAtLeast' | 'remoteAllowed' | 'fromAddress'>, actions: RemoteRowActions): HTMLElement | undefined {
  if (m.remoteBlocked <= 0 || m.remoteAllowed) return undefined;
  const row = el('div', { className: 'bar remote', role: 'status' });
  row.append(el('span', {}, remoteBlockedLabel(m)));
  const which = (label: string): string | undefined => (actions.which ? `${label} (${actions.which})` : undefined);
  const load = l10n.t('Load Remote Content');
  row.append(button(load, actions.load, false, which(load)));
  // fromAddress is the address as sent (the allow list needs it exact): shown through displayText like every header text.
  if (m.fromAddress) {
    const always = l10n.t('Always Load from {0}', displayText(m.fromAddress));
    row.append(button(always, actions.always, true, which(always)));
  }
  return row;
}
