// Server check webview: draws the reports the host sends with DOM APIs and textContent only,
// so nothing a server sent (banners, capability names) is ever parsed as HTML.
import { DomainSummaryView, FromProbeWebview, parseToProbeWebview, PhaseRecord, ProbeReport, ProbeViewModel, verdictOf } from '../../src/shared/probeReport';
import { starttlsRows } from '../../src/shared/probeStartTls';
import { el } from '../shared/dom';
import * as l10n from '@vscode/l10n';
import '../shared/l10n';
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
  connect: l10n.t('Connect'),
  greeting: l10n.t('Greeting'),
  capabilities: l10n.t('Capabilities'),
  starttls: 'STARTTLS',
  tls: l10n.t('TLS handshake'),
  capabilitiesAfterTls: l10n.t('Capabilities after TLS'),
  login: l10n.t('Login'),
  capabilitiesAfterLogin: l10n.t('Capabilities after login'),
  logout: l10n.t('Logout'),
};

function render(view: ProbeViewModel): void {
  const header = el('header', { className: 'top' });
  header.append(el('h1', {}, view.title));
  const actions = el('div', { className: 'actions' });
  for (const [label, format] of [
    [l10n.t('Copy as Markdown'), 'markdown'],
    [l10n.t('Copy as JSON'), 'json'],
  ] as const) {
    const button = el('button', { type: 'button', disabled: view.reports.length === 0 && !view.domain }, label);
    button.addEventListener('click', () => vscode.postMessage({ type: 'copy', format }));
    actions.append(button);
  }
  header.append(actions);
  const parts: HTMLElement[] = [header];
  if (view.source) parts.push(el('p', { className: 'source' }, view.source));
  if (view.pending > 0) parts.push(el('p', { className: 'status' }, view.pending === 1 ? l10n.t('Checking 1 more endpoint…') : l10n.t('Checking {0} more endpoints…', view.pending)));
  if (view.domain) parts.push(domainView(view.domain));
  if (view.reports.length > 1) parts.push(summary(view.reports));
  for (const report of view.reports) parts.push(reportView(report));
  root.replaceChildren(...parts);
  if (view.pending === 0) vscode.postMessage({ type: 'rendered', endpoints: view.reports.length, textLength: root.textContent?.length ?? 0 });
}

/** A mail domain's findings (warnings, then notes, each with its fix) and its sections, as text. */
function domainView(d: DomainSummaryView): HTMLElement {
  const section = el('section', { className: 'domain' });
  section.append(el('h2', { id: 'domain-title' }, l10n.t('Mail domain {0}', d.domain)), heading(l10n.t('Findings')));
  section.setAttribute('aria-labelledby', 'domain-title');
  if (!d.findings.length) section.append(el('p', { className: 'status' }, l10n.t('None: everything checked is in place.')));
  const list = el('ul', { className: 'findings' });
  for (const f of d.findings) {
    const item = el('li', { className: f.level === 'warning' ? 'warning' : 'note' });
    item.append(el('code', {}, f.code), text(` ${f.message}`), el('div', { className: 'status' }, l10n.t('Fix: {0}', f.fix)));
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
  table.append(row('th', [l10n.t('Endpoint'), l10n.t('Result'), 'TLS', l10n.t('Time')]));
  for (const r of reports) {
    const tr = el('tr');
    const link = el('a', { href: `#${anchor(r)}` }, r.url);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      const target = document.getElementById(anchor(r));
      target?.scrollIntoView();
      target?.focus();
    });
    tr.append(cell('td', link), cell('td', badge(r)), cell('td', text(r.tls.ok ? `${r.tls.version ?? ''} ${r.tls.mode}` : r.tls.mode)), cell('td', text(`${r.totalMs} ms`)));
    table.append(tr);
  }
  // The summary's links lead to each endpoint's section: the page's navigation landmark.
  const nav = el('nav', { className: 'summary-nav' });
  nav.setAttribute('aria-label', l10n.t('Endpoints'));
  nav.append(table);
  return nav;
}

function reportView(r: ProbeReport): HTMLElement {
  // A region landmark named by its h2; the summary's links move focus here (tabindex -1).
  const section = el('section', { className: 'report', id: anchor(r), tabIndex: -1 });
  const h2 = el('h2', { id: `${anchor(r)}-title` }, `${r.url} `);
  section.setAttribute('aria-labelledby', h2.id);
  h2.append(badge(r));
  section.append(h2, el('p', { className: 'status' }, l10n.t('{0} on {1} · {2} ms', r.protocol.toUpperCase(), `${r.host}:${r.port}`, r.totalMs)));
  if (r.error) section.append(el('div', { className: 'error', role: 'alert' }, l10n.t('Failed at {0}: {1}', PHASE_LABEL[r.failedPhase ?? 'connect'], r.error.message)));
  if (r.warnings.length) {
    const list = el('ul', { className: 'warnings' });
    for (const w of r.warnings) {
      const li = el('li');
      li.append(el('code', {}, w.code), text(` ${w.message}`));
      list.append(li);
    }
    section.append(heading(l10n.t('Warnings')), list);
  }
  // Asked for explicitly, so shown before the capability details.
  if (r.behaviour) section.append(heading(l10n.t('Behaviour checks')), behaviourView(r.behaviour));
  section.append(heading(l10n.t('Phases')), phases(r.phases));
  section.append(heading(l10n.t('Greeting')), fields([
    [l10n.t('Banner'), r.greeting.banner],
    [l10n.t('Implementation'), r.greeting.implementation],
    [l10n.t('APOP timestamp'), r.greeting.apopTimestamp],
    [l10n.t('Took'), r.greeting.ms === undefined ? undefined : `${r.greeting.ms} ms`],
  ]));
  section.append(heading(l10n.t('TLS')), tlsView(r));
  if (r.tlsDeep) section.append(tlsDeepView(r.tlsDeep));
  section.append(heading(l10n.t('Capabilities')), capabilities(r));
  section.append(heading(l10n.t('Authentication')), fields([
    [l10n.t('SASL mechanisms'), r.auth.mechanisms.join(' ') || '(none)'],
    [l10n.t('LOGINDISABLED'), r.protocol === 'imap' ? (r.auth.loginDisabled ? 'yes, before TLS' : 'no') : undefined],
    [l10n.t('APOP'), r.protocol === 'pop3' ? (r.auth.apop ? 'offered' : 'not offered') : undefined],
    [l10n.t('Plaintext login before TLS'), r.auth.plaintextBeforeTls ? 'offered' : 'not offered'],
    [l10n.t('Login'), r.auth.login.skipped ? `not tried: ${r.auth.login.skipped}` : !r.auth.login.attempted ? 'not reached' : r.auth.login.ok ? `ok (${r.auth.login.method ?? ''})` : `failed: ${r.auth.login.error?.message ?? ''}`],
    [l10n.t('EXPIRE'), r.pop3 ? r.pop3.expire ?? 'not listed' : undefined],
    [l10n.t('LOGIN-DELAY'), r.pop3 ? r.pop3.loginDelay ?? 'not listed' : undefined],
  ]));
  const starttls = starttlsRows(r);
  if (starttls.length) section.append(heading(l10n.t('STARTTLS checks')), fields(starttls));
  if (r.explanations.length) section.append(heading(l10n.t('What it means for Mailroom')), explanations(r));
  return section;
}

function tlsView(r: ProbeReport): HTMLElement {
  const t = r.tls;
  const box = el('div');
  box.append(fields([
    [l10n.t('Mode'), t.mode === 'implicit' ? 'implicit TLS' : t.mode === 'starttls' ? 'STARTTLS' : t.starttlsOffered === false ? 'none (STARTTLS not offered)' : 'none'],
    [l10n.t('Upgrade answer'), t.starttlsResponse],
    [l10n.t('Version'), t.version],
    [l10n.t('Cipher'), t.cipher],
    [l10n.t('ALPN'), t.ok ? t.alpn ?? 'none' : undefined],
    [l10n.t('Verified'), t.ok ? (t.authorized ? 'yes' : `no — ${t.authorizationError ?? ''}: ${t.authorizationReason ?? ''}`) : undefined],
    [l10n.t('Pinned by the account'), t.pinned ? 'yes' : undefined],
    [l10n.t('Host name'), t.hostnameMatch === undefined ? undefined : t.hostnameMatch ? `matches ${r.host}` : `does not match: ${t.hostnameError ?? ''}`],
    [l10n.t('Error'), t.error?.message],
  ]));
  for (const [i, c] of (t.chain ?? []).entries()) {
    const details = el('details', { className: 'cert', open: i === 0 });
    details.append(el('summary', {}, `${i === 0 ? 'Certificate' : `Issuer ${i}`}: ${c.subject}`));
    details.append(fields([
      [l10n.t('Issuer'), c.issuer],
      [l10n.t('Names'), c.san || '(none)'],
      [l10n.t('Valid'), `${c.validFrom.slice(0, 10)} to ${c.validTo.slice(0, 10)}`],
      [l10n.t('Expiry'), c.expired ? `expired ${Math.abs(c.daysToExpiry)} day(s) ago` : `${c.daysToExpiry} day(s) left`],
      [l10n.t('Self-signed'), c.selfSigned ? 'yes' : undefined],
      [l10n.t('SHA-256'), c.sha256],
    ]));
    box.append(details);
  }
  return box;
}

function capabilities(r: ProbeReport): HTMLElement {
  const box = el('div', { className: 'caps' });
  for (const [label, caps] of [
    [l10n.t('Before TLS'), r.capabilities.beforeTls],
    [l10n.t('After TLS'), r.capabilities.afterTls],
    [l10n.t('After login'), r.capabilities.afterLogin],
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
  table.append(row('th', [l10n.t('Capability'), l10n.t('Offered'), l10n.t('Meaning for Mailroom')]));
  for (const e of r.explanations) {
    const tr = el('tr', { className: e.offered ? 'offered' : 'missing' });
    tr.append(cell('td', el('code', {}, e.capability)), cell('td', el('span', { className: `mark ${e.offered ? 'yes' : 'no'}` }, e.offered ? l10n.t('yes') : l10n.t('no'))), cell('td', text(e.meaning)));
    table.append(tr);
  }
  return table;
}

function phases(list: PhaseRecord[]): HTMLElement {
  const table = el('table', { className: 'phases' });
  table.append(row('th', [l10n.t('Phase'), l10n.t('Result'), l10n.t('Time')]));
  for (const p of list) {
    const result = p.skipped ? l10n.t('skipped: {0}', p.skipped) : p.ok ? l10n.t('ok') : l10n.t('failed: {0}', p.error?.message ?? '');
    const tr = el('tr', { className: p.skipped ? 'skipped' : p.ok ? 'ok' : 'failed' });
    tr.append(cell('td', text(PHASE_LABEL[p.name])), cell('td', text(result)), cell('td', text(`${p.ms} ms`)));
    table.append(tr);
  }
  return table;
}

function badge(r: ProbeReport): HTMLElement {
  const verdict = verdictOf(r);
  const label = verdict === 'ok' ? l10n.t('OK') : verdict === 'warnings' ? (r.warnings.length === 1 ? l10n.t('1 warning') : l10n.t('{0} warnings', r.warnings.length)) : r.failedPhase ? l10n.t('failed at {0}', PHASE_LABEL[r.failedPhase]) : l10n.t('failed behaviour checks');
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

