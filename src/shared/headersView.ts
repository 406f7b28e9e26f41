/**
 * The typed protocol between the host and the header inspector webview (mailroom.headers).
 * Types and pure validators only (no vscode, no DOM).
 */

export interface HopRow {
  /** 1 = the oldest hop (closest to the sender). */
  hop: number;
  from: string;
  by: string;
  with: string;
  /** ISO 8601, '' when the hop's date is missing or unusable. */
  date: string;
  /** Seconds since the previous hop; undefined for the first hop or when a date is missing. */
  delaySeconds?: number;
}

export interface AuthRow {
  authservId: string;
  method: string;
  result: string;
  reason: string;
  /** `header.from=example.com smtp.mailfrom=…`, from the result's properties. */
  details: string;
}

/** The summary badge per mechanism: the first result found for it, or 'none'. */
export interface AuthSummary {
  spf: string;
  dkim: string;
  dmarc: string;
}

export interface HeadersViewModel {
  subject: string;
  from: string;
  date: string;
  summary: AuthSummary;
  hops: HopRow[];
  auth: AuthRow[];
  /** Total delay from the first to the last hop, in seconds, when both have dates. */
  totalDelaySeconds?: number;
}

export type ToHeadersWebview = { type: 'show'; model: HeadersViewModel };
export type FromHeadersWebview = { type: 'ready' } | { type: 'rendered'; hops: number; auth: number };

export function parseFromHeadersWebview(value: unknown): FromHeadersWebview | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type === 'ready') return { type: 'ready' };
  if (v.type === 'rendered' && Number.isSafeInteger(v.hops) && Number.isSafeInteger(v.auth)) return { type: 'rendered', hops: v.hops as number, auth: v.auth as number };
  return undefined;
}

export function parseToHeadersWebview(value: unknown): ToHeadersWebview | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type !== 'show' || typeof v.model !== 'object' || v.model === null) return undefined;
  const m = v.model as Record<string, unknown>;
  if (!Array.isArray(m.hops) || !Array.isArray(m.auth) || typeof m.summary !== 'object' || m.summary === null) return undefined;
  return { type: 'show', model: m as unknown as HeadersViewModel };
}

/** "2 s", "4 min 3 s", "1 h 2 min": short enough for a table cell. */
export function formatDelay(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const negative = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = h ? `${h} h ${m} min` : m ? `${m} min ${s} s` : `${s} s`;
  return negative ? `−${text}` : text;
}
