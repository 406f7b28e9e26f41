/**
 * The few HTTP requests OAuth needs (token, device authorization, discovery), with the bounds a
 * client talking to a possibly hostile endpoint wants: https only (plain http only on loopback, for
 * local servers and tests, as RFC 8252 allows for redirects), no redirects followed, a time limit,
 * and a size limit on the answer (src/protocol/http/boundedRequest.ts).
 */
import { MailError } from '../errors';
import { boundedRequest, type BoundedResponse, HttpFailure } from '../http/boundedRequest';

/** A token or discovery answer is a few KB; 256 KB leaves room for large discovery documents. */
export const MAX_OAUTH_RESPONSE_BYTES = 256 * 1024;
export const OAUTH_REQUEST_TIMEOUT_MS = 20_000;

export interface OAuthHttpResponse {
  status: number;
  json: Record<string, unknown> | undefined;
  text: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Throws InvalidAccount unless the URL is https, or http on a loopback host. */
export function requireSecureUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MailError('InvalidAccount', `The ${what} "${raw}" is not a valid URL.`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw new MailError('InvalidAccount', `The ${what} must use https (${url.origin} does not), so that nobody on the way can read or change it.`);
}

export async function postForm(url: string, form: Record<string, string>, what: string, timeoutMs = OAUTH_REQUEST_TIMEOUT_MS): Promise<OAuthHttpResponse> {
  return request(url, what, timeoutMs, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
}

export async function getJson(url: string, what: string, timeoutMs = OAUTH_REQUEST_TIMEOUT_MS): Promise<OAuthHttpResponse> {
  return request(url, what, timeoutMs, { method: 'GET', headers: { accept: 'application/json' } });
}

async function request(raw: string, what: string, timeoutMs: number, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<OAuthHttpResponse> {
  const url = requireSecureUrl(raw, what);
  let res: BoundedResponse;
  try {
    res = await boundedRequest(url, { ...init, timeoutMs, maxBytes: MAX_OAUTH_RESPONSE_BYTES });
  } catch (err) {
    if (!(err instanceof HttpFailure)) throw err;
    if (err.kind === 'too-large') {
      throw new MailError('LimitExceeded', `The ${what} at ${url.host} sent more than ${MAX_OAUTH_RESPONSE_BYTES / 1024} KB; that is not a sign-in answer.`);
    }
    if (err.kind === 'timeout' || err.kind === 'aborted') {
      throw new MailError('Timeout', `The ${what} at ${url.host} did not answer within ${Math.round(timeoutMs / 1000)} seconds.`);
    }
    const cause = err.cause;
    throw new MailError('ConnectionRefused', `Could not reach the ${what} at ${url.host}. Check the network connection.`, {
      detail: cause instanceof Error ? cause.message : String(cause ?? ''),
      cause,
    });
  }
  if (res.status >= 300 && res.status < 400) {
    throw new MailError('ProtocolError', `The ${what} at ${url.host} answered with a redirect, which Mailroom does not follow for sign-in requests.`, {
      detail: `${res.status} ${res.location ?? ''}`,
    });
  }
  const text = res.body.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}
