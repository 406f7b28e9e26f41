import * as http from 'node:http';
import * as https from 'node:https';
import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { contextWithExtraCa } from '../tls/trustContext';
import { isWithinDomain } from './address';
import { Dial, systemDial } from './dial';
import { DISCOVERY_LIMITS } from './limits';

export interface FetchOptions {
  dial?: Dial;
  /** Extra trusted CA certificates (PEM) on top of Node's roots. */
  ca?: string[];
  timeoutMs?: number;
  maxBytes?: number;
}

export interface FetchedDocument {
  /** The URL the document was read from (after same-domain redirects). */
  url: string;
  /** The URL first asked for, when a redirect happened. */
  redirectedFrom?: string;
  body: string;
  plainHttp: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs a small document. Bounded: one deadline for the whole fetch including redirects, the
 * body read as a stream and cut off at `maxBytes`. Redirects are followed only within `domain`
 * and never from https down to http; anything else is a RedirectRefused error that names the
 * target, so the user can decide.
 */
export async function fetchDocument(url: string, domain: string, options: FetchOptions = {}): Promise<FetchedDocument> {
  const timeoutMs = options.timeoutMs ?? DISCOVERY_LIMITS.fetchTimeoutMs;
  const controller = new AbortController();
  // The deadline also covers the host name lookup, which the abort signal cannot stop.
  const deadline = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new MailError('Timeout', `${url} did not answer within ${timeoutMs} ms.`))));
  deadline.catch(() => undefined);
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      const answer = await Promise.race([getOnce(current, options, controller.signal, timeoutMs), deadline]);
      if (answer.kind === 'body') {
        return { url: current.href, ...(hop > 0 ? { redirectedFrom: url } : {}), body: answer.body, plainHttp: current.protocol === 'http:' };
      }
      if (hop >= DISCOVERY_LIMITS.maxRedirects) throw new MailError('RedirectRefused', `${url} redirected more than ${DISCOVERY_LIMITS.maxRedirects} times; the setup file was not read.`);
      let next: URL;
      try {
        next = new URL(answer.location, current);
      } catch {
        throw new MailError('ConfigInvalid', `${current.href} redirected to "${answer.location.slice(0, 100)}", which is not a URL.`);
      }
      if (current.protocol === 'https:' && next.protocol !== 'https:') {
        throw new MailError('RedirectRefused', `${current.href} redirected to ${next.href} without encryption; it was not followed, since anyone on the path could rewrite that file.`);
      }
      if (!isWithinDomain(next.hostname, domain)) {
        throw new MailError('RedirectRefused', `${current.href} redirected to ${next.href}, outside ${domain}; it was not followed. If you trust ${next.hostname}, enter its settings by hand.`);
      }
      current = next;
    }
  } finally {
    clearTimeout(timer);
  }
}

type Answer = { kind: 'body'; body: string } | { kind: 'redirect'; location: string };

async function getOnce(url: URL, options: FetchOptions, signal: AbortSignal, timeoutMs: number): Promise<Answer> {
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new MailError('ConfigInvalid', `${url.href} is neither https nor http.`);
  const nominalPort = url.port ? Number(url.port) : secure ? 443 : 80;
  const endpoint = { host: url.hostname, port: nominalPort };
  const maxBytes = options.maxBytes ?? DISCOVERY_LIMITS.maxConfigBytes;
  const where = await (options.dial ?? systemDial)(url.hostname, nominalPort).catch((err: unknown) => {
    throw toMailError(err, endpoint);
  });
  return new Promise<Answer>((resolve, reject) => {
    const request = (secure ? https : http).request({
      host: where.address,
      port: where.port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { host: url.host, accept: 'application/xml, text/xml;q=0.9, */*;q=0.1', 'user-agent': 'Mailroom' },
      signal,
      agent: false,
      ...(secure ? { servername: url.hostname, rejectUnauthorized: true, ...(options.ca?.length ? { secureContext: contextWithExtraCa(options.ca) } : {}) } : {}),
    });
    const fail = (err: unknown): void => {
      request.destroy();
      if (signal.aborted) reject(new MailError('Timeout', `${url.href} did not answer within ${timeoutMs} ms.`));
      else reject(toMailError(err, endpoint));
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status) && typeof response.headers.location === 'string') {
        response.resume();
        resolve({ kind: 'redirect', location: response.headers.location });
        return;
      }
      if (status !== 200) {
        response.resume();
        reject(new MailError('ProtocolError', `${url.href} answered HTTP ${status}${status === 404 ? ' (no setup file there)' : ''}.`));
        return;
      }
      const declared = Number(response.headers['content-length']);
      const tooBig = (): MailError => new MailError('LimitExceeded', `${url.href} sent more than ${maxBytes} bytes, far more than a mail setup file; it was not read.`);
      if (Number.isFinite(declared) && declared > maxBytes) {
        request.destroy();
        reject(tooBig());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          request.destroy();
          reject(tooBig());
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => resolve({ kind: 'body', body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.end();
  });
}
