/**
 * The address handed to vscode.env.openExternal for a sign-in page, so that the page the browser
 * loads is the authorization server's own. Two things a web workbench does to opened links are
 * met here (measured with code-server 4.139.1):
 *
 * - A link to `127.0.0.1:PORT` or `localhost:PORT` is rewritten to the workbench's port proxy
 *   (`http://<workbench>/proxy/PORT/…`). An authorization server on loopback (a local Keycloak or
 *   Dex, the test server) then serves its pages under the wrong path: its cookies (scoped to its
 *   own paths) are not sent back and the sign-in ends with "interaction session id cookie not
 *   found". Written as the fully qualified `127.0.0.1.` the link is not rewritten, and the browser
 *   reads it as the same address (a trailing dot ends an IPv4 literal, WHATWG URL).
 * - The query is decoded and re-encoded with encodeURI on the way, so a value whose decoded form
 *   holds `+ & = # ? %` would reach the server changed: optional values such as login_hint are left
 *   out when they hold one.
 */

const IPV4_LOOPBACK = /^127(?:\.\d{1,3}){3}$/;

/** The link to open for `url`; only a web workbench rewrites loopback links. */
export function linkForOpenExternal(url: string, webWorkbench: boolean): string {
  if (!webWorkbench) return url;
  const parsed = new URL(url);
  if (!IPV4_LOOPBACK.test(parsed.hostname)) return url;
  const port = parsed.port ? `:${parsed.port}` : '';
  return `${parsed.protocol}//${parsed.hostname}.${port}${url.slice(parsed.origin.length)}`;
}

/** Whether a query value reaches the server unchanged through openExternal's decode and encodeURI. */
export function survivesOpenExternal(value: string): boolean {
  return !/[+&=#?%]/.test(value);
}
