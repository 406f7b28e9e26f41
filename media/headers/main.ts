// Header inspector webview: summary badges, the Received chain with hop delays and the
// Authentication-Results table. DOM APIs and textContent only: header values are hostile text.
import { AuthRow, formatDelay, FromHeadersWebview, HeadersViewModel, HopRow, parseToHeadersWebview } from '../../src/shared/headersView';
import { el } from '../shared/dom';

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
  head.append(el('h1', {}, m.subject || '(no subject)'));
  const meta = [m.from, m.date ? new Date(m.date).toLocaleString() : ''].filter(Boolean).join(' · ');
  if (meta) head.append(el('p', { className: 'muted' }, meta));
  const summary = el('p', { className: 'summary' });
  for (const [name, result] of [['SPF', m.summary.spf], ['DKIM', m.summary.dkim], ['DMARC', m.summary.dmarc]] as const) {
    summary.append(el('span', { className: `badge ${badgeClass(result)}`, title: `${name}: ${result}` }, `${name} ${result}`));
  }
  if (m.totalDelaySeconds !== undefined) summary.append(el('span', { className: 'muted' }, `Delivered in ${formatDelay(m.totalDelaySeconds)} over ${m.hops.length} hops`));
  head.append(summary);

  const hops = el('section', {});
  hops.append(el('h2', {}, 'Received chain (oldest first)'));
  hops.append(m.hops.length ? table('hops', ['Hop', 'Delay', 'From', 'By', 'With', 'Time'], m.hops.map(hopCells)) : el('p', { className: 'muted' }, 'No Received fields.'));

  const auth = el('section', {});
  auth.append(el('h2', {}, 'Authentication-Results'));
  auth.append(m.auth.length ? table('auth', ['Checked by', 'Method', 'Result', 'Reason / details'], m.auth.map(authCells)) : el('p', { className: 'muted' }, 'No Authentication-Results fields.'));
  return [head, hops, auth];
}

function hopCells(h: HopRow): Array<string | HTMLElement> {
  const delay = el('span', { className: h.delaySeconds !== undefined && h.delaySeconds > 300 ? 'slow' : '' }, formatDelay(h.delaySeconds));
  // The delay comes second: it is what one looks for, and it stays visible in a narrow panel.
  return [String(h.hop), delay, h.from, h.by, h.with, h.date ? new Date(h.date).toLocaleString() : ''];
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

function table(className: string, headings: string[], rows: Array<Array<string | HTMLElement>>): HTMLElement {
  const t = el('table', { className });
  const head = el('tr', {});
  for (const h of headings) head.append(el('th', {}, h));
  t.append(el('thead', {}), el('tbody', {}));
  t.tHead?.append(head);
  for (const cells of rows) {
    const tr = el('tr', {});
    for (const cell of cells) {
      const td = el('td', {});
      if (typeof cell === 'string') td.textContent = cell;
      else td.append(cell);
      tr.append(td);
    }
    t.tBodies[0].append(tr);
  }
  return t;
}

