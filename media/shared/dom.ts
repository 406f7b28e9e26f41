// DOM helpers every Mailroom webview uses. Text goes in through textContent only: nothing a
// message or a server sent is ever parsed as HTML.

/** An element with the given properties and, optionally, its text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  if (text !== undefined) node.textContent = text;
  return node;
}
