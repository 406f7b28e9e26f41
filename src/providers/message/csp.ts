// Content Security Policies of the message panel, as pure functions (unit-tested). The sanitized
// message is shown in a sandboxed about:blank iframe the page writes it into, which inherits the
// shell's policy: so the shell's policy is what blocks remote content, and the same rules are
// repeated in the frame's own <meta>.

/** Sources remote content may come from once the user chose "Load Remote Content". */
const REMOTE = 'http: https:';

export interface ShellCspOptions {
  /** webview.cspSource: the extension's own files. */
  cspSource: string;
  nonce: string;
  remoteAllowed: boolean;
}

/** The panel shell: only our nonce'd script; message styles and data:/cid images inline; no forms, frames, base. */
export function messageShellCsp(o: ShellCspOptions): string {
  const remote = o.remoteAllowed ? ` ${REMOTE}` : '';
  return [
    "default-src 'none'",
    `script-src 'nonce-${o.nonce}'`,
    `style-src ${o.cspSource} 'unsafe-inline'${remote}`,
    `img-src ${o.cspSource} data:${remote}`,
    `font-src ${o.cspSource}${remote}`,
    `media-src${remote || " 'none'"}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The frame document's own policy (defence in depth): never any script. */
export function messageFrameCsp(remoteAllowed: boolean): string {
  const remote = remoteAllowed ? ` ${REMOTE}` : '';
  return [
    "default-src 'none'",
    "script-src 'none'",
    `style-src 'unsafe-inline'${remote}`,
    `img-src data:${remote}`,
    `font-src${remote || " 'none'"}`,
    `media-src${remote || " 'none'"}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * The mail frame's document around already-sanitized message HTML: its CSP first, then the "paper"
 * (HTML mail is drawn on white in every theme, as its sender designed it). The root and body keep
 * their content's height: `height:100%` there would tie the page to the frame, which the view sizes
 * to the page.
 */
export function frameDocument(sanitizedHtml: string, remoteAllowed: boolean): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${escapeAttribute(messageFrameCsp(remoteAllowed))}"><meta name="referrer" content="no-referrer"><style>html{background:#fff;color:#000;color-scheme:light}body{margin:0;padding:12px 16px;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;overflow-wrap:anywhere}img{max-width:100%;height:auto}html:root,html:root>body{height:auto!important;min-height:0!important;max-height:none!important}</style></head><body>${sanitizedHtml}</body></html>`;
}

export function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
