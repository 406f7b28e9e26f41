// The TLS deep check in the server check webview: one collapsible section (details/summary, no
// script beyond building it), drawn with textContent only like the rest of the report.
import type { TlsDeepReport } from '../../src/shared/tlsDeepReport';
import { el } from '../shared/dom';
import * as l10n from '@vscode/l10n';
import '../shared/l10n';

const LABEL: Record<string, string> = { TLSv1: 'TLS 1.0', 'TLSv1.1': 'TLS 1.1', 'TLSv1.2': 'TLS 1.2', 'TLSv1.3': 'TLS 1.3' };

export function tlsDeepView(deep: TlsDeepReport): HTMLElement {
  const details = el('details', { className: 'tls-deep', open: true });
  if (deep.skipped) {
    details.append(el('summary', {}, l10n.t('TLS deep check: not run')), el('p', { className: 'status' }, deep.skipped));
    return details;
  }
  details.append(el('summary', {}, l10n.t('TLS deep check · {0} connections · {1} ms', deep.connections, deep.ms)));
  if (deep.truncated) details.append(el('div', { className: 'error' }, `Stopped early: ${deep.truncated}`));

  const table = el('table', { className: 'tls-versions' });
  table.append(tr('th', [text(l10n.t('Version')), text(l10n.t('Result')), text(l10n.t('Suites accepted'))]));
  for (const v of deep.versions) {
    const scan = deep.ciphers.find((c) => c.version === v.version);
    const suites = el('div');
    for (const c of scan?.accepted ?? []) {
      const chip = el('code', { className: c.weak.length ? 'chip weak' : 'chip', title: c.weak.join('; ') || c.openssl }, c.name);
      suites.append(chip, text(' '));
    }
    if (scan && !scan.complete) suites.append(el('span', { className: 'status' }, '(incomplete)'));
    const result = v.result === 'accepted' ? 'accepted' : v.result === 'refused' ? 'refused' : v.note ?? v.result;
    table.append(tr('td', [text(LABEL[v.version] ?? v.version), el('span', { className: `mark ${v.result}` }, result), suites]));
  }
  details.append(table);
  if (deep.notOfferable.length) details.append(el('p', { className: 'status' }, `Not tested (this client cannot offer them): ${deep.notOfferable.join(', ')}`));

  const chain = deep.chain;
  const facts: Array<[string, string | undefined]> = [];
  if (chain) {
    facts.push(
      [l10n.t('Chain'), chain.source === 'served' ? 'as served' : 'linked by issuer (TLS 1.3 hides the order served)'],
      [l10n.t('Complete'), chain.complete ? 'yes' : `no — ${chain.incompleteReason ?? ''}`],
      [l10n.t('Order'), chain.ordered === null ? 'not visible' : chain.ordered ? 'leaf first, each followed by its issuer' : `wrong — ${chain.orderProblem ?? ''}`],
      [l10n.t('Host name'), chain.nameMatches ? 'matches' : `does not match — ${chain.nameError ?? ''}`],
    );
    chain.certificates.forEach((c, i) => {
      const key = `${c.keyType}${c.keyBits ? ` ${c.keyBits}` : ''}${c.curve ? ` ${c.curve}` : ''}`;
      facts.push([`${i + 1}. ${c.subject}`, `${key}; until ${c.validTo.slice(0, 10)} (${c.expired ? 'expired' : `${c.daysLeft} day(s) left`})`]);
    });
  }
  if (deep.ocspStapled !== undefined) facts.push(['OCSP stapling', deep.ocspStapled ? 'stapled' : 'not stapled']);
  if (deep.alpn) facts.push(['ALPN', `offered ${deep.alpn.offered.join(', ')}; chose ${deep.alpn.chosen ?? 'none'}`]);
  const dl = el('dl', { className: 'fields' });
  for (const [name, value] of facts) if (value) dl.append(el('dt', {}, name), el('dd', {}, value));
  details.append(dl);

  if (deep.explanations?.length) {
    const explain = el('table', { className: 'explain' });
    explain.append(tr('th', [text(l10n.t('Warning')), text(l10n.t('Meaning')), text(l10n.t('Fix'))]));
    for (const e of deep.explanations) explain.append(tr('td', [el('code', {}, e.code), text(e.meaning), text(e.fix)]));
    details.append(explain);
  }
  return details;
}

function tr(kind: 'th' | 'td', children: Node[]): HTMLTableRowElement {
  const row = el('tr');
  for (const child of children) {
    const c = el(kind);
    c.append(child);
    row.append(c);
  }
  return row;
}

function text(value: string): Text {
  return document.createTextNode(value);
}
