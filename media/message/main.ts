// Message webview: the shell draws what the host sends with DOM APIs and textContent only. HTML mail
// (already sanitized on the host) goes into an iframe with sandbox="allow-same-origin" and no
// allow-scripts, written into its about:blank document (mailFrame.ts): it inherits this page's CSP,
// and no script in it can run.
import { AttachmentView, FromWebview, MessageAction, MessageViewModel, parseToWebview, ToWebview } from '../../src/shared/messageView';
import { invitationView } from './invitation';
import { remoteRow } from './remoteRow';
import { catchLinks } from './frameLinks';
import { fitToContent, mailFrameElement, writeMailFrame } from './mailFrame';
import { appendQuotedText } from './linkedText';
import { quoteBlocks } from './textBlocks';
import { button, el } from '../shared/dom';
import * as l10n from '@vscode/l10n';
import { locale } from '../shared/l10n';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;
let frameObserver: ResizeObserver | undefined;

/** The initial state drawn (as JSON), until the host's first message: that one repeats it, and is not drawn twice. */
let drawnInitial: string | undefined;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseToWebview(event.data);
  const repeat = drawnInitial !== undefined && JSON.stringify(event.data) === drawnInitial;
  drawnInitial = undefined;
  if (message && !repeat) render(message);
});
// A message opened before comes with the page (no round trip); validated like any posted one. Drawn
// once this whole script has run (its later constants exist then), before any posted message.
queueMicrotask(() => {
  const initial = initialState();
  if (!initial) return;
  render(initial);
  drawnInitial = JSON.stringify(initial);
});
vscode.postMessage({ type: 'ready' });

function initialState(): ToWebview | undefined {
  const text = document.getElementById('initial-state')?.textContent;
  if (!text) return undefined;
  try {
    return parseToWebview(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function render(message: ToWebview): void {
  frameObserver?.disconnect();
  frameObserver = undefined;
  switch (message.type) {
    case 'loading':
      root.replaceChildren(el('p', { className: 'status' }, l10n.t('Loading “{0}”…', message.subject || l10n.t('(no subject)'))));
      break;
    case 'error':
      root.replaceChildren(errorView(message.message, message.canRetry));
      break;
    case 'show':
      show(message.message);
      break;
  }
}

function show(m: MessageViewModel): void {
  const parts: HTMLElement[] = [headerView(m)];
  if (m.invitation) parts.push(invitationView(m.invitation, (message) => vscode.postMessage(message)));
  const bar = barView(m);
  if (bar) parts.push(bar);
  if (m.attachments.length) parts.push(attachmentsView(m.attachments));
  if (m.frame === undefined) {
    root.replaceChildren(...parts, ...textView(m));
    reportText(m);
    return;
  }
  const frame = mailFrameElement(l10n.t('Message body'));
  root.replaceChildren(...parts, frame);
  // Written once attached (a detached frame has no document), and before the view is laid out.
  const written = writeMailFrame(frame, m.frame, { onFirstScreen: (doc) => onFirstScreen(frame, doc, m) });
  if (!written) {
    frame.replaceWith(...textView(m));
    reportText(m);
  }
}

/** The plain-text body (and the notes around it) for a message without HTML. */
function textView(m: MessageViewModel): HTMLElement[] {
  const parts: HTMLElement[] = [];
  if (m.htmlSkipped) parts.push(el('p', { className: 'status' }, l10n.t('This message’s HTML is too large to display; its text is shown instead.')));
  // A labelled region (landmark) that takes focus, so the keyboard can reach and scroll the text.
  const body = el('div', { className: 'body text', tabIndex: 0, role: 'region', ariaLabel: l10n.t('Message body') });
  if (m.text) appendQuotedText(body, quoteBlocks(m.text), openTextLink);
  else body.textContent = l10n.t('(this message has no text)');
  parts.push(body);
  if (m.textTruncated) parts.push(el('p', { className: 'status' }, l10n.t('The text was cut here because it is very long. View Source shows all of it.')));
  return parts;
}

function reportText(m: MessageViewModel): void {
  vscode.postMessage({ type: 'rendered', subject: m.subject, textLength: m.text.length, mode: 'text' });
}

/**
 * The first screen of the mail is in the frame: links are caught from now on, the frame takes the
 * height of its content (again as the rest and the images arrive), and the view reports what it drew.
 */
function onFirstScreen(frame: HTMLIFrameElement, doc: Document, m: MessageViewModel): void {
  catchLinks(doc, (link) => vscode.postMessage({ type: 'openLink', ...link }));
  frameObserver = fitToContent(frame, doc);
  const textLength = doc.body?.textContent?.length ?? 0;
  vscode.postMessage({ type: 'rendered', subject: m.subject, textLength, mode: 'html' });
}

function headerView(m: MessageViewModel): HTMLElement {
  const header = el('header', { className: 'headers', role: 'region', ariaLabel: l10n.t('Message headers') });
  header.append(el('h1', { className: 'subject' }, m.subject || l10n.t('(no subject)')));
  const table = el('dl', { className: 'fields' });
  for (const [name, value] of [
    [l10n.t('From'), m.from],
    [l10n.t('To'), m.to],
    [l10n.t('Cc'), m.cc],
    [l10n.t('Date'), m.date ? new Date(m.date).toLocaleString(locale) : ''],
  ] as const) {
    if (!value) continue;
    table.append(el('dt', {}, name), el('dd', {}, value));
  }
  header.append(table, el('p', { className: 'location' }, `${m.accountLabel} · ${m.folder}`));
  if (m.headers.length) {
    const all = el('details', { className: 'all-headers' });
    all.append(el('summary', {}, l10n.t('Show All Headers')));
    const list = el('dl', { className: 'fields raw' });
    for (const h of m.headers) list.append(el('dt', {}, h.name), el('dd', {}, h.value));
    all.append(list);
    header.append(all);
  }
  return header;
}

function barView(m: MessageViewModel): HTMLElement | undefined {
  const rows: HTMLElement[] = [];
  const remote = remoteRow(m, { load: () => vscode.postMessage({ type: 'action', action: 'loadRemoteContent' }), always: () => vscode.postMessage({ type: 'action', action: 'alwaysLoadFromSender' }) });
  if (remote) rows.push(remote);
  if (m.hasPatch) {
    const row = el('div', { className: 'bar patch' });
    row.append(el('span', {}, l10n.t('This message contains a patch.')), actionButton(l10n.t('Open Patch'), 'openPatch'), actionButton(l10n.t('Apply with git am'), 'applyPatch', true));
    rows.push(row);
  }
  if (!rows.length) return undefined;
  // The message's actions: a nav landmark a screen reader lists, every action a button in tab order.
  const box = el('nav', { className: 'bars', ariaLabel: l10n.t('Message actions') });
  box.append(...rows);
  return box;
}

function attachmentsView(attachments: AttachmentView[]): HTMLElement {
  const region = el('section', { className: 'attachments-region', ariaLabel: l10n.t('Attachments') });
  const list = el('ul', { className: 'attachments', ariaLabel: l10n.t('Attachments') });
  for (const a of attachments) {
    const item = el('li', {});
    item.append(el('span', { className: 'name' }, a.filename), el('span', { className: 'meta' }, ` ${a.contentType}, ${formatSize(a.size)}`));
    // The visible words are short; the accessible name says which attachment each button acts on.
    const save = el('button', { className: 'secondary', ariaLabel: l10n.t('Save {0} as…', a.filename) }, l10n.t('Save As…'));
    save.addEventListener('click', () => vscode.postMessage({ type: 'attachment', action: 'save', index: a.index }));
    const open = el('button', { className: 'secondary', ariaLabel: l10n.t('Open {0}', a.filename) }, l10n.t('Open'));
    open.addEventListener('click', () => vscode.postMessage({ type: 'attachment', action: 'open', index: a.index }));
    item.append(save, open);
    list.append(item);
  }
  region.append(list);
  return region;
}

function openTextLink(href: string, text: string): void {
  vscode.postMessage({ type: 'openLink', href, text });
}

function actionButton(label: string, action: MessageAction, secondary = false): HTMLButtonElement {
  return button(label, () => vscode.postMessage({ type: 'action', action }), secondary);
}

function errorView(text: string, canRetry: boolean): HTMLElement {
  const box = el('div', { className: 'error', role: 'alert' }, text);
  if (canRetry) {
    box.append(el('br'), button(l10n.t('Try Again'), () => vscode.postMessage({ type: 'retry' })));
  }
  return box;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
