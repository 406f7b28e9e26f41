// The invitation card: drawn from the host's InvitationView with DOM APIs and textContent only.
// The buttons belong to this page (never to the sanitized mail in the frame) and send one typed
// message; the host validates it and sends the REPLY.
import type { FromWebview } from '../../src/shared/messageView';
import { formatInvitationTimes, FormattedTimes } from '../../src/shared/invitationTime';
import { InvitationAnswer, InvitationView, MAX_INVITATION_COMMENT } from '../../src/shared/invitationView';
import { el } from '../shared/dom';
import * as l10n from '@vscode/l10n';
import { locale } from '../shared/l10n';

const BUTTONS: ReadonlyArray<[InvitationAnswer, string]> = [
  ['ACCEPTED', 'Accept'],
  ['TENTATIVE', 'Tentative'],
  ['DECLINED', 'Decline'],
];
const ANSWERED: Record<InvitationAnswer, string> = { ACCEPTED: 'accepted', TENTATIVE: 'tentatively accepted', DECLINED: 'declined' };

export function invitationView(v: InvitationView, post: (message: FromWebview) => void): HTMLElement {
  const card = el('section', { className: `invitation ${v.kind}`, ariaLabel: 'Invitation' });
  card.append(el('h2', { className: 'invitation-heading' }, v.heading));
  if (v.kind === 'invalid') {
    card.setAttribute('role', 'status');
    card.append(el('p', {}, v.problem ?? 'This invitation cannot be shown.'));
    return card;
  }
  card.append(el('p', { className: 'invitation-title' }, v.title));
  const fields = el('dl', { className: 'fields' });
  const times = when(v);
  const rows: Array<[string, string | undefined]> = [
    ['When', times.when],
    ['Organiser’s time', times.whenOrganizer],
    ['Repeats', v.recurrence],
    ['Where', v.location],
    ['Organiser', v.organizer],
  ];
  for (const [name, value] of rows) if (value) fields.append(el('dt', {}, name), el('dd', {}, value));
  if (v.attendees.length) {
    const list = el('ul', { className: 'attendees' });
    for (const a of v.attendees) {
      const item = el('li', { className: `partstat-${a.partstat.toLowerCase()}` });
      item.append(el('span', { className: 'name' }, a.label), el('span', { className: 'answer' }, ` — ${a.answer}${a.optional ? ' (optional)' : ''}${a.you ? ' (you)' : ''}`));
      list.append(item);
    }
    if (v.attendeesOmitted) list.append(el('li', { className: 'more' }, `and ${v.attendeesOmitted} more`));
    const dd = el('dd', {});
    dd.append(list);
    fields.append(el('dt', {}, 'Attendees'), dd);
  }
  if (v.comment) fields.append(el('dt', {}, 'Comment'), el('dd', {}, v.comment));
  card.append(fields);
  if (v.answered) {
    const when = new Date(v.answered.at).toLocaleString(locale);
    card.append(el('p', { className: 'invitation-answered', role: 'status' }, `You ${ANSWERED[v.answered.answer]} ${v.answered.outdated ? `an earlier version (sequence ${v.answered.sequence})` : 'this invitation'} on ${when}.`));
  }
  if (v.canAnswer) card.append(answerForm(post, v.answered !== undefined && !v.answered.outdated));
  else if (v.cannotAnswer) card.append(el('p', { className: 'status' }, v.cannotAnswer));
  return card;
}

/**
 * The event's time in this page's zone, which is the user's (in a remote window the extension host
 * is elsewhere), in VS Code's display language; and the organiser's, when it reads differently.
 */
function when(v: InvitationView): FormattedTimes {
  if (!v.time) return { when: l10n.t('(no time given)') };
  return formatInvitationTimes(v.time, { zone: Intl.DateTimeFormat().resolvedOptions().timeZone, locale, allDay: l10n.t('all day') });
}

function answerForm(post: (message: FromWebview) => void, again: boolean): HTMLElement {
  const form = el('div', { className: 'invitation-answer' });
  const label = el('label', { htmlFor: 'invitation-comment' }, again ? 'Change your answer, with a comment (optional)' : 'Comment (optional)');
  const comment = el('textarea', { id: 'invitation-comment', rows: 2, maxLength: MAX_INVITATION_COMMENT });
  const buttons = el('div', { className: 'invitation-buttons' });
  for (const [answer, text] of BUTTONS) {
    const button = el('button', { className: answer === 'ACCEPTED' ? '' : 'secondary' }, text);
    button.addEventListener('click', () => {
      for (const b of buttons.querySelectorAll('button')) b.disabled = true;
      post({ type: 'invitation', answer, comment: comment.value.slice(0, MAX_INVITATION_COMMENT) });
      // The host redraws the card once the answer was sent; if it was not, the buttons come back.
      setTimeout(() => {
        for (const b of buttons.querySelectorAll('button')) b.disabled = false;
      }, 15_000);
    });
    buttons.append(button);
  }
  form.append(label, comment, buttons);
  return form;
}
