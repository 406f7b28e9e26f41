// The behaviour checks of one report (mailroom-check --behaviour, "Check Server Behaviour…"): one
// row per check; a failed row opens the transcript lines that decided it. Text only.
import type { BehaviourReport } from '../../src/shared/probeReport';
import { el } from '../shared/dom';
import * as l10n from '@vscode/l10n';
import '../shared/l10n';

const LABEL = { pass: 'pass', fail: 'FAIL', skipped: 'skipped' } as const;

export function behaviourView(b: BehaviourReport): HTMLElement {
  const box = el('div', { className: 'behaviour' });
  const count = (o: keyof typeof LABEL): number => b.checks.filter((c) => c.outcome === o).length;
  box.append(el('p', { className: 'status' }, l10n.t('{0} passed, {1} failed, {2} skipped in {3} ms (budget {4} ms)', count('pass'), count('fail'), count('skipped'), b.totalMs, b.budgetMs)));
  if (b.error) box.append(el('div', { className: 'error', role: 'alert' }, l10n.t('Stopped: {0}', b.error.message)));
  const table = el('table', { className: 'behaviour-checks' });
  const head = el('tr');
  for (const h of [l10n.t('Check'), l10n.t('Result'), l10n.t('Detail'), l10n.t('Time')]) head.append(el('th', {}, h));
  table.append(head);
  for (const c of b.checks) {
    const tr = el('tr');
    const name = el('td');
    name.append(el('code', {}, c.id), document.createTextNode(` ${c.title}`));
    const detail = el('td', {}, c.detail);
    if (c.outcome === 'fail' && c.evidence.length) {
      const more = el('details');
      more.append(el('summary', {}, l10n.t('Transcript lines that decided it')), el('pre', {}, c.evidence.map((l) => `${String(l.t).padStart(6)} ms ${l.dir} ${l.text}`).join('\n')));
      detail.append(more);
    }
    tr.append(name, el('td', { className: `badge ${c.outcome === 'fail' ? 'failed' : c.outcome === 'pass' ? 'ok' : 'warnings'}` }, LABEL[c.outcome]), detail, el('td', {}, `${c.ms} ms`));
    table.append(tr);
  }
  box.append(table);
  if (b.scratch) box.append(el('p', {}, `Scratch folders ${b.scratch.folders.join(', ')}: ${b.scratch.removed ? 'removed' : 'NOT removed — delete them by hand'}${b.scratch.detail ? ` (${b.scratch.detail})` : ''}`));
  if (b.ownMessage) box.append(el('p', {}, `The check's own message (${b.ownMessage.where}): ${b.ownMessage.removed ? 'removed' : 'NOT removed — delete it by hand'}`));
  return box;
}
