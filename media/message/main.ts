// Message webview: renders what the host sends with DOM APIs and textContent only, so nothing
// in a message is ever parsed as HTML here.
import { MessageViewModel, parseToWebview, ToWebview, FromWebview } from '../../src/shared/messageView';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseToWebview(event.data);
  if (message) render(message);
});
vscode.postMessage({ type: 'ready' });

function render(message: ToWebview): void {
  switch (message.type) {
    case 'loading':
      root.replaceChildren(el('p', { className: 'status' }, `Loading “${message.subject || '(no subject)'}”…`));
      break;
    case 'error':
      root.replaceChildren(errorView(message.message, message.canRetry));
      break;
    case 'show':
      root.replaceChildren(...messageView(message.message));
      vscode.postMessage({ type: 'rendered', subject: message.message.subject, textLength: message.message.text.length });
      break;
  }
}

function messageView(m: MessageViewModel): HTMLElement[] {
  const header = el('header', { className: 'headers' });
  header.append(el('h1', { className: 'subject' }, m.subject || '(no subject)'));
  const table = el('dl', { className: 'fields' });
  for (const [name, value] of [
    ['From', m.from],
    ['To', m.to],
    ['Cc', m.cc],
    ['Date', m.date ? new Date(m.date).toLocaleString() : ''],
  ] as const) {
    if (!value) continue;
    table.append(el('dt', {}, name), el('dd', {}, value));
  }
  header.append(table, el('p', { className: 'location' }, `${m.accountLabel} · ${m.folder}`));

  const parts: HTMLElement[] = [header];
  if (m.attachments.length) {
    const list = el('ul', { className: 'attachments', ariaLabel: 'Attachments' });
    for (const a of m.attachments) list.append(el('li', {}, `${a.filename} — ${a.contentType}, ${formatSize(a.size)}`));
    parts.push(list);
  }
  const body = el('pre', { className: 'body' }, m.text || '(this message has no text)');
  parts.push(body);
  if (m.textTruncated) parts.push(el('p', { className: 'status' }, 'The text was cut here because it is very long.'));
  return parts;
}

function errorView(text: string, canRetry: boolean): HTMLElement {
  const box = el('div', { className: 'error', role: 'alert' }, text);
  if (canRetry) {
    const button = el('button', {}, 'Try Again');
    button.addEventListener('click', () => vscode.postMessage({ type: 'retry' }));
    box.append(el('br'), button);
  }
  return box;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
