/**
 * One HTTP(S) request to a server Mailroom does not trust with more than a small answer: the sign-in
 * server's token and discovery documents, a domain's mail setup file. Bounded: one deadline that
 * also covers the name lookup, the body read as a stream and cut off at `maxBytes` (a declared
 * Content-Length over it is refused before reading). Redirects are returned, never followed: each
 * caller has its own rule for them. TLS is verified against Node's roots plus `ca`.
 *
 * Failures are `HttpFailure`s, which each caller words for its user (a sign-in server, a setup file).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { contextWithExtraCa } from '../tls/trustContext';
import { Dial, systemDial } from './dial';

export interface BoundedRequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  /** Where to connect for the URL's host (tests map names to loopback servers). */
  dial?: Dial;
  /** Extra trusted CA certificates (PEM) on top of Node's roots. */
  ca?: readonly string[];
  /** Ends the request early (a cancelled sign-in or discovery). */
  signal?: AbortSignal;
}

export interface BoundedResponse {
  status: number;
  /** The Location header of a 3xx answer. */
  location?: string;
  body: Buffer;
}

export type HttpFailureKind = 'timeout' | 'unreachable' | 'too-large' | 'aborted';

export class HttpFailure extends Error {
  constructor(readonly kind: HttpFailureKind, readonly url: URL, override readonly cause?: unknown) {
    super(`${kind}: ${url.href}`);
    this.name = 'HttpFailure';
  }
}

export async function boundedRequest(url: URL, options: BoundedRequestOptions): Promise<BoundedResponse> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new HttpFailure('unreachable', url);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onOuterAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  const failure = (cause?: unknown): HttpFailure => {
    if (cause instanceof HttpFailure) return cause;
    return new HttpFailure(timedOut ? 'timeout' : controller.signal.aborted ? 'aborted' : 'unreachable', url, cause);
  };
  // The deadline also covers the host name lookup, which the abort signal cannot stop.
  const deadline = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(failure()), { once: true }));
  deadline.catch(() => undefined);
  try {
    if (controller.signal.aborted) throw failure();
    const secure = url.protocol === 'https:';
    const port = url.port ? Number(url.port) : secure ? 443 : 80;
    const where = await Promise.race([(options.dial ?? systemDial)(bareHost(url), port), deadline]).catch((err: unknown) => {
      throw failure(err);
    });
    return await Promise.race([send(url, where, secure, options, controller.signal, failure), deadline]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function send(
  url: URL,
  where: { address: string; port: number },
  secure: boolean,
  options: BoundedRequestOptions,
  signal: AbortSignal,
  failure: (cause?: unknown) => HttpFailure,
): Promise<BoundedResponse> {
  return new Promise<BoundedResponse>((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
    const request = (secure ? https : http).request({
      host: where.address,
      port: where.port,
      path: `${url.pathname}${url.search}`,
      method: options.method ?? 'GET',
      headers: { host: url.host, 'user-agent': 'Mailroom', ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      signal,
      agent: false,
      ...(secure
        ? {
            // SNI and the name checked against the certificate; an IP address is checked as itself.
            ...(net.isIP(bareHost(url)) ? {} : { servername: bareHost(url) }),
            rejectUnauthorized: true,
            ...(options.ca?.length ? { secureContext: contextWithExtraCa([...options.ca]) } : {}),
          }
        : {}),
    });
    const fail = (err: unknown): void => {
      request.destroy();
      reject(failure(err));
    };
    request.on('error', fail);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const location = typeof response.headers.location === 'string' ? response.headers.location : undefined;
      if (status >= 300 && status < 400) {
        response.resume();
        resolve({ status, ...(location ? { location } : {}), body: Buffer.alloc(0) });
        return;
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        request.destroy();
        reject(new HttpFailure('too-large', url));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          request.destroy();
          reject(new HttpFailure('too-large', url));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
    });
    request.end(body);
  });
}

/** The URL's host name without the brackets of an IPv6 literal. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}
