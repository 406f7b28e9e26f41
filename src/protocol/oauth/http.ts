/**
 * The few HTTP requests OAuth needs (token, device authorization, discovery), with the bounds a
 * client talking to a possibly hostile endpoint wants: https only (plain http only on loopback, for
 * local servers and tests, as RFC 8252 allows for redirects), no redirects followed, a time limit,
 * and a size limit on the answer. Uses the runtime's fetch (Node 20+, the extension host).
 */
import { MailError } from '../errors';

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

async function request(raw: string, what: string, timeoutMs: number, init: RequestInit): Promise<OAuthHttpResponse> {
  const url = requireSecureUrl(raw, what);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, { ...init, redirect: 'manual', signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted) {
        throw new MailError('Timeout', `The ${what} at ${url.host} did not answer within ${Math.round(timeoutMs / 1000)} seconds.`);
      }
      throw new MailError('ConnectionRefused', `Could not reach the ${what} at ${url.host}. Check the network connection.`, {
        detail: err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err),
        cause: err,
      });
    }
    if (res.status >= 300 && res.status < 400) {
      throw new MailError('ProtocolError', `The ${what} at ${url.host} answered with a redirect, which Mailroom does not follow for sign-in requests.`, {
        detail: `${res.status} ${res.headers.get('location') ?? ''}`,
      });
    }
    const text = await readBounded(res, what, url.host);
    let json: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  } finally {
    clearTimeout(timer);
  }
}

async function readBounded(res: Response, what: string, host: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_OAUTH_RESPONSE_BYTES) {
    await res.body?.cancel();
    throw tooLarge(what, host);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_OAUTH_RESPONSE_BYTES) {
      await reader.cancel();
      throw tooLarge(what, host);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(what: string, host: string): MailError {
  return new MailError('LimitExceeded', `The ${what} at ${host} sent more than ${MAX_OAUTH_RESPONSE_BYTES / 1024} KB; that is not a sign-in answer.`);
}
