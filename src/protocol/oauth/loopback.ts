/**
 * The loopback redirect of an installed app (RFC 8252 7.3): a one-shot HTTP listener on
 * 127.0.0.1 with a port the OS picks, which receives the browser's redirect with the authorization
 * code. It answers exactly one request to its path, checks `state` (a redirect with another state
 * is a forged or stale one: refused), and closes after that request or the timeout.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MailError } from '../errors';

export interface LoopbackRedirect {
  /** http://127.0.0.1:PORT/callback — what goes into the authorization request. */
  redirectUri: string;
  /** The code from the redirect; rejects on error, wrong state, timeout or cancel. */
  code: Promise<string>;
  close(): void;
}

export interface LoopbackOptions {
  state: string;
  timeoutMs: number;
  /** The page the browser shows after the redirect (plain words; no script). */
  successPage?: string;
}

const PATH = '/callback';

export async function startLoopbackRedirect(options: LoopbackOptions): Promise<LoopbackRedirect> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let settle: { resolve(code: string): void; reject(err: Error): void } | undefined;
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  void code.catch(() => undefined); // The caller awaits it; an early close must not be unhandled.
  let done = false;
  const finish = (result: { code: string } | { error: MailError }): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    server.close();
    server.closeIdleConnections();
    if ('code' in result) settle!.resolve(result.code);
    else settle!.reject(result.error);
  };
  const timer = setTimeout(() => finish({ error: new MailError('Timeout', `No answer came back from the browser within ${Math.round(options.timeoutMs / 60000)} minutes. Start the sign-in again.`) }), options.timeoutMs);

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (req.method !== 'GET' || url.pathname !== PATH || done) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const page = (status: number, text: string): void => {
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'",
        'cache-control': 'no-store',
        connection: 'close',
      }).end(`<!doctype html><meta charset="utf-8"><title>Mailroom</title><p>${escapeHtml(text)}</p>`);
    };
    const params = url.searchParams;
    if (params.get('state') !== options.state) {
      // Not the answer to this sign-in: forged (CSRF) or from a stale tab. End the flow and say so.
      page(400, 'This sign-in answer does not belong to the sign-in Mailroom started. Close this page and start again from VS Code.');
      finish({ error: new MailError('AuthFailed', 'The browser returned a sign-in answer that does not belong to this sign-in (its state did not match). Start the sign-in again.') });
      return;
    }
    const error = params.get('error');
    if (error) {
      const description = params.get('error_description') ?? '';
      page(200, 'Sign-in did not complete. You can close this page and return to VS Code.');
      const words = error === 'access_denied'
        ? 'Sign-in was declined, so Mailroom got no access. Sign in again and allow access to mail.'
        : `The sign-in server ended the sign-in with "${error}".`;
      finish({ error: new MailError('AuthFailed', words, { detail: `${error} ${description}`.trim() }) });
      return;
    }
    const received = params.get('code');
    if (!received) {
      page(400, 'This answer has no authorization code. Start the sign-in again from VS Code.');
      finish({ error: new MailError('ProtocolError', 'The sign-in server redirected back without an authorization code.') });
      return;
    }
    page(200, options.successPage ?? 'Signed in. You can close this page and return to VS Code.');
    finish({ code: received });
  });

  return {
    redirectUri: `http://127.0.0.1:${port}${PATH}`,
    code,
    close: () => finish({ error: new MailError('AuthFailed', 'Sign-in was cancelled.') }),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
