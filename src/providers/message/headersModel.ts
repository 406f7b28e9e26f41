// ParsedMessage headers → the header inspector's model (pure, unit-tested). Every text taken from
// the headers goes through displayText: a bidi override is shown, not obeyed.
import type { ParsedMessage } from '../../protocol/mime/types';
import { displayText } from '../../shared/displayText';
import type { AuthRow, AuthSummary, HeadersViewModel, HopRow } from '../../shared/headersView';
import { formatAddresses } from './viewModel';
import { loadEngine } from '../../loadEngine';

/** A message with more Received fields than this is looping or hostile; the table shows the first ones. */
export const MAX_HOPS = 100;
export const MAX_AUTH_ROWS = 100;

export function buildHeadersModel(parsed: Pick<ParsedMessage, 'headers' | 'subject' | 'from' | 'date'>): HeadersViewModel {
  const hops: HopRow[] = loadEngine().parseReceivedChain(parsed.headers)
    .slice(0, MAX_HOPS)
    .map((h, i) => {
      const row: HopRow = { hop: i + 1, from: displayText(h.from ?? ''), by: displayText(h.by ?? ''), with: displayText(h.with ?? ''), date: h.date ?? '' };
      if (h.delaySeconds !== undefined) row.delaySeconds = h.delaySeconds;
      return row;
    });
  const auth: AuthRow[] = loadEngine().parseAuthenticationResults(parsed.headers)
    .slice(0, MAX_AUTH_ROWS)
    .map((r) => ({
      authservId: displayText(r.authservId),
      method: displayText(r.method),
      result: displayText(r.result),
      reason: displayText(r.reason ?? r.comment ?? ''),
      details: displayText(
        Object.entries(r.properties)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      ),
    }));
  const model: HeadersViewModel = { subject: displayText(parsed.subject), from: formatAddresses(parsed.from), date: parsed.date ?? '', summary: summarize(auth), hops, auth };
  const dated = hops.filter((h) => h.date);
  if (dated.length >= 2) {
    model.totalDelaySeconds = (Date.parse(dated[dated.length - 1].date) - Date.parse(dated[0].date)) / 1000;
  }
  return model;
}

/** The first result per mechanism (the receiving server's own field comes first in the header). */
export function summarize(rows: AuthRow[]): AuthSummary {
  const first = (method: string): string => rows.find((r) => r.method === method)?.result ?? 'none';
  return { spf: first('spf'), dkim: first('dkim'), dmarc: first('dmarc') };
}
