// Header inspector webview: summary badges, the Received chain with hop delays and the
// Authentication-Results table. DOM APIs and textContent only: header values are hostile text.
import { AuthRow, formatDelay, FromHeadersWebview, HeadersViewModel, HopRow, parseToHeadersWebview } from '../../src/shared/headersView';
import { el } from '../shared/dom';
import * as l10n from '@vscode/l10n';
import { locale } from '../shared/l10n';

interface VsCodeApi {
  postMessage(message: FromHeadersWebview): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseToHeadersWebview(event.data);
  if (!message) return;
  root.replaceChildren(...view(message.model));
  vscode.postMessage({ type: 'rendered', hops: message.model.hops.length, auth: message.model.auth.length });
});
vscode.postMessage({ type: 'ready' });

function view(m: HeadersViewModel): HTMLElement[] {
  const head = el('header', {});
  head.append(el('h1', {}, m.subject || l10n.t('(no subject)')));
  const meta = [m.from, m.date ? new Date(m.date).toLocaleString(locale) : ''].filter(Boolean).join(' · ');
  if (meta) head.append(el('p', { className: 'muted' }, meta));
  const summary = el('p', { className: 'summary' });
  summary.setAttribute('aria-label', l10n.t('Authentication summary'));
  for (const [name, result] of [['SPF', m.summary.spf], ['DKIM', m.summary.dkim], ['DMARC', m.summary.dmarc]] as const) {
    summary.append(el('span', { className: `badge ${badgeClass(result)}`, title: `${name}: ${result}` }, `${name} ${result}`));
  }
  if (m.totalDelaySeconds !== undefined) summary.append(el('span', { className: 'muted' }, l10n.t('Delivered in {0} over {1} hops', formatDelay(m.totalDelaySeconds), m.hops.length)));
  head.append(summary);

  const hops = region('hops-title', l10n.t('Received chain (oldest first)'));
  hops.append(m.hops.length ? table('hops', 'hops-title', [l10n.t('Hop'), l10n.t('Delay'), l10n.t('From'), l10n.t('By'), l10n.t('With'), l10n.t('Time')], m.hops.map(hopCells)) : el('p', { className: 'muted' }, l10n.t('No Received fields.')));

  const auth = region('auth-title', 'Authentication-Results');
  auth.append(m.auth.length ? table('auth', 'auth-title', [l10n.t('Checked by'), l10n.t('Method'), l10n.t('Result'), l10n.t('Reason / details')], m.auth.map(authCells)) : el('p', { className: 'muted' }, l10n.t('No Authentication-Results fields.')));
  return [pageNav([['hops-title', l10n.t('Received chain')], ['auth-title', 'Authentication-Results']]), head, hops, auth];
}

/**
 * A labelled region (a landmark a screen reader lists) titled by its h2. It scrolls sideways when a
 * table is wider than the panel, so it takes focus (tabindex 0) for the arrow keys to scroll it.
 */
function region(titleId: string, title: string): HTMLElement {
  const section = el('section', { tabIndex: 0 });
  section.setAttribute('aria-labelledby', titleId);
  section.append(el('h2', { id: titleId, tabIndex: -1 }, title));
  return section;
}

/** In-page links to each region: the nav landmark, and a keyboard path past long tables. */
function pageNav(targets: Array<[string, string]>): HTMLElement {
  const nav = el('nav', {});
  nav.setAttribute('aria-label', l10n.t('Sections'));
  for (const [id, label] of targets) {
    const link = el('a', { href: `#${id}` }, label);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      document.getElementById(id)?.focus();
    });
    nav.append(link);
  }
  return nav;
}

function hopCells(h: HopRow): Array<string | HTMLElement> {
  const delay = el('span', { className: h.delaySeconds !== undefined && h.delaySeconds > 300 ? 'slow' : '' }, formatDelay(h.delaySeconds));
  // The delay comes second: it is what one looks for, and it stays visible in a narrow panel.
  return [String(h.hop), delay, h.from, h.by, h.with, h.date ? new Date(h.date).toLocaleString(locale) : ''];
}

function authCells(a: AuthRow): Array<string | HTMLElement> {
  return [a.authservId, a.method, el('span', { className: `badge ${badgeClass(a.result)}` }, a.result), [a.reason, a.details].filter(Boolean).join(' — ')];
}

function badgeClass(result: string): string {
  if (result === 'pass') return 'pass';
  if (result === 'none' || result === 'neutral') return 'neutral';
  if (result === 'softfail' || result === 'temperror') return 'warn';
  return 'fail';
}

function table(className: string, labelledBy: string, headings: string[], rows: Array<Array<string | HTMLElement>>): HTMLElement {
  const table = el('table', { className });
  table.setAttribute('aria-labelledby', labelledBy);
  const head = el('tr', {});
  for (const h of headings) head.append(el('th', { scope: 'col' }, h));
  table.append(el('thead', {}), el('tbody', {}));
  table.tHead?.append(head);
  for (const cells of rows) {
    const tr = el('tr', {});
    for (const cell of cells) {
      const td = el('td', {});
      if (typeof cell === 'string') td.textContent = cell;
      else td.append(cell);
      tr.append(td);
    }
    table.tBodies[0].append(tr);
  }
  return table;
}

