import * as fs from 'node:fs';
import { lazyNode } from '../util/lazyNode';
import * as vscode from 'vscode';

export interface WebviewPage {
  webview: vscode.Webview;
  extensionUri: vscode.Uri;
  /** Bundle under dist/webviews/, e.g. 'message.js'. */
  script: string;
  /** Stylesheet path segments under media/, e.g. ['message', 'message.css']. */
  style: string[];
  title: string;
  /** Text shown until the script has drawn. */
  placeholder: string;
  /** Sources images may come from; 'none' when the page shows none. */
  imgSrc: 'webview' | 'none';
  /** Replaces the default policy (the message panel's, see message/csp.ts); gets the page's nonce. */
  csp?: (nonce: string) => string;
  /**
   * Puts the script (with the page's nonce) and the stylesheet into the page itself instead of
   * linking them, so the page draws without fetching two resources first: the message panel, which
   * opens often. The policy must already allow inline styles; scripts still need the nonce.
   */
  inline?: boolean;
  /**
   * State the page draws at once, without asking the host first: JSON in a non-executed
   * `<script type="application/json" id="initial-state">` (every `<` escaped, so no text in it
   * can close the element), validated by the page like any message from the host.
   */
  initialState?: unknown;
}

/**
 * The HTML shell of a Mailroom webview: a strict CSP (`default-src 'none'`, scripts only with a
 * fresh nonce, no forms, frames or base URI), one stylesheet and one script from the extension.
 * The page's lang is VS Code's display language, and <body data-l10n> carries VS Code's string
 * bundle for it (vscode.l10n.bundle; absent in English), which media/shared/l10n.ts reads.
 */
export function webviewHtml(page: WebviewPage): string {
  const { webview } = page;
  const nonce = lazyNode.crypto().randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(page.extensionUri, 'dist', 'webviews', page.script));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(page.extensionUri, 'media', ...page.style));
  const csp = page.csp?.(nonce) ?? [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${page.imgSrc === 'webview' ? webview.cspSource : "'none'"}`,
    `font-src ${webview.cspSource}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
  ].join('; ');
  const inlineScript = page.inline ? inlineText(vscode.Uri.joinPath(page.extensionUri, 'dist', 'webviews', page.script).fsPath, 'script') : undefined;
  const inlineStyle = page.inline ? inlineText(vscode.Uri.joinPath(page.extensionUri, 'media', ...page.style).fsPath, 'style') : undefined;
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp.replace(/"/g, '&quot;')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${inlineStyle !== undefined ? `<style>${inlineStyle}</style>` : `<link rel="stylesheet" href="${style.toString()}">`}
<title>${page.title}</title>
</head>
<body${l10nAttribute()}>
<main id="root" aria-live="polite"><p class="status">${page.placeholder}</p></main>
${page.initialState !== undefined ? `<script type="application/json" id="initial-state">${JSON.stringify(page.initialState).replace(/</g, '\\u003c')}</script>\n` : ''}${inlineScript !== undefined ? `<script nonce="${nonce}">${inlineScript}</script>` : `<script nonce="${nonce}" src="${script.toString()}"></script>`}
</body>
</html>`;
}

function l10nAttribute(): string {
  const bundle = vscode.l10n.bundle;
  return bundle ? ` data-l10n="${escapeAttribute(JSON.stringify(bundle))}"` : '';
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Files already read for inlining (the extension's own, unchanged while it runs). */
const inlined = new Map<string, string | undefined>();

/**
 * A script or stylesheet of the extension as text to put inside its element; undefined (so the
 * page links it instead) when it cannot be read or contains its own closing tag.
 */
function inlineText(file: string, tag: 'script' | 'style'): string | undefined {
  if (!inlined.has(file)) {
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8').replace(/\n\/[/*]# sourceMappingURL=[^\n]*\s*$/, '\n');
    } catch {
      text = undefined;
    }
    inlined.set(file, text !== undefined && !text.toLowerCase().includes(`</${tag}`) ? text : undefined);
  }
  return inlined.get(file);
}
