import { toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { boundedRequest, HttpFailure } from '../http/boundedRequest';
import type { Dial } from '../http/dial';
import { isWithinDomain } from './address';
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
 * GETs a small document through boundedRequest, with one deadline for the whole fetch including
 * redirects. Redirects are followed only within `domain` and never from https down to http;
 * anything else is a RedirectRefused error that names the target, so the user can decide.
 */
export async function fetchDocument(url: string, domain: string, options: FetchOptions = {}): Promise<FetchedDocument> {
  const timeoutMs = options.timeoutMs ?? DISCOVERY_LIMITS.fetchTimeoutMs;
  const started = Date.now();
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const remainingMs = timeoutMs - (Date.now() - started);
    if (remainingMs <= 0) throw timeout(url, timeoutMs);
    const answer = await getOnce(current, options, remainingMs, url, timeoutMs);
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
}

type Answer = { kind: 'body'; body: string } | { kind: 'redirect'; location: string };

async function getOnce(url: URL, options: FetchOptions, remainingMs: number, asked: string, timeoutMs: number): Promise<Answer> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MailError('ConfigInvalid', `${url.href} is neither https nor http.`);
  const maxBytes = options.maxBytes ?? DISCOVERY_LIMITS.maxConfigBytes;
  let response;
  try {
    response = await boundedRequest(url, {
      headers: { accept: 'application/xml, text/xml;q=0.9, */*;q=0.1' },
      timeoutMs: remainingMs,
      maxBytes,
      ...(options.dial ? { dial: options.dial } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    });
  } catch (err) {
    if (!(err instanceof HttpFailure)) throw err;
    if (err.kind === 'timeout' || err.kind === 'aborted') throw timeout(asked, timeoutMs);
    if (err.kind === 'too-large') throw new MailError('LimitExceeded', `${url.href} sent more than ${maxBytes} bytes, far more than a mail setup file; it was not read.`);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    throw toMailError(err.cause ?? err, { host: url.hostname, port });
  }
  if (REDIRECTS.has(response.status) && response.location !== undefined) return { kind: 'redirect', location: response.location };
  if (response.status !== 200) {
    throw new MailError('ProtocolError', `${url.href} answered HTTP ${response.status}${response.status === 404 ? ' (no setup file there)' : ''}.`);
  }
  return { kind: 'body', body: response.body.toString('utf8') };
}

function timeout(url: string, timeoutMs: number): MailError {
  return new MailError('Timeout', `${url} did not answer within ${timeoutMs} ms.`);
}
