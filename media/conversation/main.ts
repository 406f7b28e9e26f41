// Conversation webview: every message of a thread, oldest first, drawn with DOM APIs and textContent
// only. HTML mail (sanitized on the host, in the host's frame document with its own CSP) goes into
// an iframe with sandbox="allow-same-origin" and no allow-scripts, as in the message view.
import { ConversationEntry, FromConversation, parseToConversation, ToConversation } from '../../src/shared/conversationView';
import type { MessageViewModel } from '../../src/shared/messageView';
import { catchLinks } from '../message/frameLinks';
import { appendQuotedText } from '../message/linkedText';
import { fitToContent, mailFrameElement, writeMailFrame } from '../message/mailFrame';
import { remoteRow } from '../message/remoteRow';
import { quoteBlocks } from '../message/textBlocks';
import { button, el } from '../shared/dom';
import * as l10n from '@vscode/l10n';
import { locale } from '../shared/l10n';

interface VsCodeApi {
  postMessage(message: FromConversation): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseToConversation(event.data);
  if (message) render(message);
});
vscode.postMessage({ type: 'ready' });

/** The list items drawn, by message index: a redrawn message replaces its own. */
const items = new Map<number, HTMLElement>();

function render(message: ToConversation): void {
  if (message.type === 'loading') {
    root.replaceChildren(el('p', { className: 'status' }, l10n.t('Loading {0} messages of “{1}”…', message.count, message.subject || l10n.t('(no subject)'))));
    return;
  }
  if (message.type === 'entry') {
    const old = items.get(message.entry.index);
    if (!old) return;
    const item = entryView(message.entry);
    items.set(message.entry.index, item);
    old.replaceWith(item);
  } else {
    items.clear();
    const list = el('ol', { className: 'conversation' });
    for (const entry of message.entries) {
      const item = entryView(entry);
      items.set(entry.index, item);
      list.append(item);
    }
    root.replaceChildren(el('h1', { className: 'subject' }, message.subject || l10n.t('(no subject)')), list);
  }
  vscode.postMessage({ type: 'rendered', count: items.size, expanded: expandedIndices().length });
}

/** The messages open now (not collapsed to their header line). */
function expandedIndices(): number[] {
  return [...items].filter(([, item]) => !item.classList.contains('collapsed')).map(([index]) => index);
}

function entryView(entry: ConversationEntry): HTMLElement {
  const item = el('li', { className: `entry${entry.collapsed ? ' collapsed' : ''}` });
  const m = entry.message;
  const head = el('button', { className: 'entry-head', type: 'button' });
  head.setAttribute('aria-expanded', String(!entry.collapsed));
  head.append(
    el('span', { className: 'from' }, m?.from || l10n.t('(unknown sender)')),
    el('span', { className: 'date' }, m?.date ? new Date(m.date).toLocaleString(locale) : ''),
  );
  if (entry.folder !== m?.folder || (m && /sent/i.test(entry.folder))) head.append(el('span', { className: 'folder' }, entry.folder));
  const preview = el('span', { className: 'preview' }, (m?.text ?? entry.error ?? '').replace(/\s+/g, ' ').slice(0, 140));
  head.append(preview);
  const body = el('div', { className: 'entry-body' });
  let drawn = false;
  const expand = (open: boolean): void => {
    item.classList.toggle('collapsed', !open);
    head.setAttribute('aria-expanded', String(open));
    if (open && !drawn) {
      drawn = true;
      drawBody(body, entry);
    }
  };
  head.addEventListener('click', () => {
    expand(item.classList.contains('collapsed'));
    vscode.postMessage({ type: 'expanded', expanded: expandedIndices() });
  });
  item.append(head, body);
  if (!entry.collapsed) {
    drawn = true;
    // After the item is in the document: a detached frame has no document to write the mail into.
    queueMicrotask(() => drawBody(body, entry));
  }
  return item;
}

function drawBody(body: HTMLElement, entry: ConversationEntry): void {
  const m = entry.message;
  if (!m) {
    body.append(el('p', { className: 'status error' }, entry.error ?? l10n.t('This message could not be shown.')));
    return;
  }
  body.append(fieldsView(m));
  const remote = remoteRow(m, {
    load: () => vscode.postMessage({ type: 'remote', index: entry.index, always: false, expanded: expandedIndices() }),
    always: () => vscode.postMessage({ type: 'remote', index: entry.index, always: true, expanded: expandedIndices() }),
    which: l10n.t('message from {0}', m.from || l10n.t('(unknown sender)')),
  });
  if (remote) body.append(remote);
  if (m.frame !== undefined) {
    const frame = mailFrameElement(l10n.t('Message from {0}', m.from));
    body.append(frame);
    const written = writeMailFrame(frame, m.frame, {
      onFirstScreen: (doc) => {
        catchLinks(doc, (link) => vscode.postMessage({ type: 'openLink', ...link }));
        fitToContent(frame, doc);
      },
    });
    if (!written) frame.replaceWith(textView(m));
  } else {
    body.append(textView(m));
  }
  const actions = el('div', { className: 'actions' });
  actions.append(button(l10n.t('Reply'), () => vscode.postMessage({ type: 'reply', index: entry.index, all: false })));
  actions.append(button(l10n.t('Reply All'), () => vscode.postMessage({ type: 'reply', index: entry.index, all: true }), true));
  actions.append(button(l10n.t('Open'), () => vscode.postMessage({ type: 'openMessage', index: entry.index }), true));
  body.append(actions);
}

function fieldsView(m: MessageViewModel): HTMLElement {
  const table = el('dl', { className: 'fields' });
  for (const [name, value] of [
    [l10n.t('To'), m.to],
    [l10n.t('Cc'), m.cc],
  ] as const) {
    if (value) table.append(el('dt', {}, name), el('dd', {}, value));
  }
  if (m.attachments.length) table.append(el('dt', {}, l10n.t('Attachments')), el('dd', {}, m.attachments.map((a) => a.filename).join(', ')));
  return table;
}

/** Plain text with quoted parts folded, as the message view draws it. */
function textView(m: MessageViewModel): HTMLElement {
  const text = el('div', { className: 'body text' });
  if (m.text) appendQuotedText(text, quoteBlocks(m.text), (href, linkText) => vscode.postMessage({ type: 'openLink', href, text: linkText }));
  else text.textContent = l10n.t('(this message has no text)');
  return text;
}
