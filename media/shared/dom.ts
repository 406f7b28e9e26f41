// DOM helpers every Mailroom webview uses. Text goes in through textContent only: nothing a
// message or a server sent is ever parsed as HTML.

/** An element with the given properties and, optionally, its text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A button that runs `onClick`; `secondary` draws it in the quieter style. `ariaLabel`, when a
 * page shows the same button for several items, says which one it acts on.
 */
export function button(label: string, onClick: () => void, secondary = false, ariaLabel?: string): HTMLButtonElement {
  const b = el('button', { type: 'button', className: secondary ? 'secondary' : '' }, label);
  if (ariaLabel) b.setAttribute('aria-label', ariaLabel);
  b.addEventListener('click', onClick);
  return b;
}
