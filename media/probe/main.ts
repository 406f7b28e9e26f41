// Server check webview: draws the reports the host sends with DOM APIs and textContent only,
// so nothing a server sent (banners, capability names) is ever parsed as HTML.
import { DomainSummaryView, FromProbeWebview, parseToProbeWebview, PhaseRecord, ProbeReport, ProbeViewModel, verdictOf } from '../../src/shared/probeReport';
import { starttlsRows } from '../../src/shared/probeStartTls';
import { el } from '../shared/dom';
import { tlsDeepView } from './tlsDeep';
import { behaviourView } from './behaviourView';

interface VsCodeApi {
  postMessage(message: FromProbeWebview): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseToProbeWebview(event.data);
  if (message) render(message.view);
});
vscode.postMessage({ type: 'ready' });

const PHASE_LABEL: Record<PhaseRecord['name'], string> = {
  dns: 'DNS',
  connect: 'Connect',
  greeting: 'Greeting',
  capabilities: 'Capabilities',
  starttls: 'STARTTLS',
  tls: 'TLS handshake',
  capabilitiesAfterTls: 'Capabilities after TLS',
  login: 'Login',
  capabilitiesAfterLogin: 'Capabilities after login',
  logout: 'Logout',
};

function render(view: ProbeViewModel): void {
  const header = el('header', { className: 'top' });
  header.append(el('h1', {}, view.title));
  const actions = el('div', { className: 'actions' });
  for (const [label, format] of [
    ['Copy as Markdown', 'markdown'],
    ['Copy as JSON', 'json'],
  ] as const) {
    const button = el('button', { type: 'button', disabled: view.reports.length === 0 && !view.domain }, label);
    button.addEventListener('click', () => vscode.postMessage({ type: 'copy', format }));
    actions.append(button);
  }
  header.append(actions);
  const parts: HTMLElement[] = [header];
  if (view.source) parts.push(el('p', { className: 'source' }, view.source));
  if (view.pending > 0) parts.push(el('p', { className: 'status' }, `Checking ${view.pending} more endpoint${view.pending === 1 ? '' : 's'}…`));
  if (view.domain) parts.push(domainView(view.domain));
  if (view.reports.length > 1) parts.push(summary(view.reports));
  for (const report of view.reports) parts.push(reportView(report));
  root.replaceChildren(...parts);
  if (view.pending === 0) vscode.postMessage({ type: 'rendered', endpoints: view.reports.length, textLength: root.textContent?.length ?? 0 });
}

/** A mail domain's findings (warnings, then notes, each with its fix) and its sections, as text. */
function domainView(d: DomainSummaryView): HTMLElement {
  const section = el('section', { className: 'domain' });
  section.append(el('h2', {}, `Mail domain ${d.domain}`), heading('Findings'));
  if (!d.findings.length) section.append(el('p', { className: 'status' }, 'None: everything checked is in place.'));
  const list = el('ul', { className: 'findings' });
  for (const f of d.findings) {
    const item = el('li', { className: f.level === 'warning' ? 'warning' : 'note' });
    item.append(el('code', {}, f.code), text(` ${f.message}`), el('div', { className: 'status' }, `Fix: ${f.fix}`));
    list.append(item);
  }
  if (d.findings.length) section.append(list);
  for (const s of d.sections) {
    section.append(heading(s.title));
    const lines = el('ul', { className: 'lines' });
    for (const line of s.lines) lines.append(el('li', { className: /^\s+- /.test(line) ? 'sub' : '' }, line.replace(/^\s*- /, '')));
    section.append(lines);
  }
  return section;
}

function summary(reports: ProbeReport[]): HTMLElement {
  const table = el('table', { className: 'summary' });
  table.append(row('th', ['Endpoint', 'Result', 'TLS', 'Time']));
  for (const r of reports) {
    const tr = el('tr');
    const link = el('a', { href: `#${anchor(r)}` }, r.url);
    tr.append(cell('td', link), cell('td', badge(r)), cell('td', text(r.tls.ok ? `${r.tls.version ?? ''} ${r.tls.mode}` : r.tls.mode)), cell('td', text(`${r.totalMs} ms`)));
    table.append(tr);
  }
  return table;
}

function reportView(r: ProbeReport): HTMLElement {
  const section = el('section', { className: 'report', id: anchor(r) });
  const h2 = el('h2', {}, `${r.url} `);
  h2.append(badge(r));
  section.append(h2, el('p', { className: 'status' }, `${r.protocol.toUpperCase()} on ${r.host}:${r.port} · ${r.totalMs} ms`));
  if (r.error) section.append(el('div', { className: 'error', role: 'alert' }, `Failed at ${PHASE_LABEL[r.failedPhase ?? 'connect']}: ${r.error.message}`));
  if (r.warnings.length) {
    const list = el('ul', { className: 'warnings' });
    for (const w of r.warnings) {
      const li = el('li');
      li.append(el('code', {}, w.code), text(` ${w.message}`));
      list.append(li);
    }
    section.append(heading('Warnings'), list);
  }
  // Asked for explicitly, so shown before the capability details.
  if (r.behaviour) section.append(heading('Behaviour checks'), behaviourView(r.behaviour));
  section.append(heading('Phases'), phases(r.phases));
  section.append(heading('Greeting'), fields([
    ['Banner', r.greeting.banner],
    ['Implementation', r.greeting.implementation],
    ['APOP timestamp', r.greeting.apopTimestamp],
    ['Took', r.greeting.ms === undefined ? undefined : `${r.greeting.ms} ms`],
  ]));
  section.append(heading('TLS'), tlsView(r));
  if (r.tlsDeep) section.append(tlsDeepView(r.tlsDeep));
  section.append(heading('Capabilities'), capabilities(r));
  section.append(heading('Authentication'), fields([
    ['SASL mechanisms', r.auth.mechanisms.join(' ') || '(none)'],
    ['LOGINDISABLED', r.protocol === 'imap' ? (r.auth.loginDisabled ? 'yes, before TLS' : 'no') : undefined],
    ['APOP', r.protocol === 'pop3' ? (r.auth.apop ? 'offered' : 'not offered') : undefined],
    ['Plaintext login before TLS', r.auth.plaintextBeforeTls ? 'offered' : 'not offered'],
    ['Login', r.auth.login.skipped ? `not tried: ${r.auth.login.skipped}` : !r.auth.login.attempted ? 'not reached' : r.auth.login.ok ? `ok (${r.auth.login.method ?? ''})` : `failed: ${r.auth.login.error?.message ?? ''}`],
    ['EXPIRE', r.pop3 ? r.pop3.expire ?? 'not listed' : undefined],
    ['LOGIN-DELAY', r.pop3 ? r.pop3.loginDelay ?? 'not listed' : undefined],
  ]));
  const starttls = starttlsRows(r);
  if (starttls.length) section.append(heading('STARTTLS checks'), fields(starttls));
  if (r.explanations.length) section.append(heading('What it means for Mailroom'), explanations(r));
  return section;
}

function tlsView(r: ProbeReport): HTMLElement {
  const t = r.tls;
  const box = el('div');
  box.append(fields([
    ['Mode', t.mode === 'implicit' ? 'implicit TLS' : t.mode === 'starttls' ? 'STARTTLS' : t.starttlsOffered === false ? 'none (STARTTLS not offered)' : 'none'],
    ['Upgrade answer', t.starttlsResponse],
    ['Version', t.version],
    ['Cipher', t.cipher],
    ['ALPN', t.ok ? t.alpn ?? 'none' : undefined],
    ['Verified', t.ok ? (t.authorized ? 'yes' : `no — ${t.authorizationError ?? ''}: ${t.authorizationReason ?? ''}`) : undefined],
    ['Pinned by the account', t.pinned ? 'yes' : undefined],
    ['Host name', t.hostnameMatch === undefined ? undefined : t.hostnameMatch ? `matches ${r.host}` : `does not match: ${t.hostnameError ?? ''}`],
    ['Error', t.error?.message],
  ]));
  for (const [i, c] of (t.chain ?? []).entries()) {
    const details = el('details', { className: 'cert', open: i === 0 });
    details.append(el('summary', {}, `${i === 0 ? 'Certificate' : `Issuer ${i}`}: ${c.subject}`));
    details.append(fields([
      ['Issuer', c.issuer],
      ['Names', c.san || '(none)'],
      ['Valid', `${c.validFrom.slice(0, 10)} to ${c.validTo.slice(0, 10)}`],
      ['Expiry', c.expired ? `expired ${Math.abs(c.daysToExpiry)} day(s) ago` : `${c.daysToExpiry} day(s) left`],
      ['Self-signed', c.selfSigned ? 'yes' : undefined],
      ['SHA-256', c.sha256],
    ]));
    box.append(details);
  }
  return box;
}

function capabilities(r: ProbeReport): HTMLElement {
  const box = el('div', { className: 'caps' });
  for (const [label, caps] of [
    ['Before TLS', r.capabilities.beforeTls],
    ['After TLS', r.capabilities.afterTls],
    ['After login', r.capabilities.afterLogin],
  ] as const) {
    const line = el('div', { className: 'caprow' });
    line.append(el('span', { className: 'caplabel' }, label));
    if (caps === null) line.append(el('span', { className: 'status' }, '—'));
    else if (!caps.length) line.append(el('span', { className: 'status' }, '(none)'));
    else for (const c of caps) line.append(el('code', { className: 'chip' }, c));
    box.append(line);
  }
  return box;
}

function explanations(r: ProbeReport): HTMLElement {
  const table = el('table', { className: 'explain' });
  table.append(row('th', ['Capability', 'Offered', 'Meaning for Mailroom']));
  for (const e of r.explanations) {
    const tr = el('tr', { className: e.offered ? 'offered' : 'missing' });
    tr.append(cell('td', el('code', {}, e.capability)), cell('td', el('span', { className: `mark ${e.offered ? 'yes' : 'no'}` }, e.offered ? 'yes' : 'no')), cell('td', text(e.meaning)));
    table.append(tr);
  }
  return table;
}

function phases(list: PhaseRecord[]): HTMLElement {
  const table = el('table', { className: 'phases' });
  table.append(row('th', ['Phase', 'Result', 'Time']));
  for (const p of list) {
    const result = p.skipped ? `skipped: ${p.skipped}` : p.ok ? 'ok' : `failed: ${p.error?.message ?? ''}`;
    const tr = el('tr', { className: p.skipped ? 'skipped' : p.ok ? 'ok' : 'failed' });
    tr.append(cell('td', text(PHASE_LABEL[p.name])), cell('td', text(result)), cell('td', text(`${p.ms} ms`)));
    table.append(tr);
  }
  return table;
}

function badge(r: ProbeReport): HTMLElement {
  const verdict = verdictOf(r);
  const label = verdict === 'ok' ? 'OK' : verdict === 'warnings' ? `${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}` : r.failedPhase ? `failed at ${PHASE_LABEL[r.failedPhase]}` : 'failed behaviour checks';
  return el('span', { className: `badge ${verdict}` }, label);
}

function fields(entries: Array<[string, string | undefined]>): HTMLElement {
  const dl = el('dl', { className: 'fields' });
  for (const [name, value] of entries) {
    if (value === undefined || value === '') continue;
    dl.append(el('dt', {}, name), el('dd', {}, value));
  }
  return dl;
}

function heading(label: string): HTMLElement {
  return el('h3', {}, label);
}

function row(kind: 'th' | 'td', labels: string[]): HTMLTableRowElement {
  const tr = el('tr');
  for (const l of labels) tr.append(el(kind, {}, l));
  return tr;
}

function cell(kind: 'td', child: Node): HTMLTableCellElement {
  const td = el(kind);
  td.append(child);
  return td;
}

function text(value: string): Text {
  return document.createTextNode(value);
}

function anchor(r: ProbeReport): string {
  return `endpoint-${r.scheme}-${r.port}`;
}

