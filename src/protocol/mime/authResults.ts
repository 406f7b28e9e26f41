/**
 * Authentication-Results (RFC 8601) for the header inspector: which server checked SPF, DKIM, DMARC
 * and what it found. Only the receiving side's own fields are meaningful; the inspector shows them
 * all with their authserv-id so the reader can tell them apart.
 */
import { splitAtSemicolons, Token, tokenize } from './tokens';
import type { HeaderLine } from './types';

export interface AuthenticationResult {
  /** The server that did the checks, e.g. `mx.google.com`; '' when the field omits it (Microsoft). */
  authservId: string;
  /** `spf`, `dkim`, `dmarc`, `arc`, … (lower case, version dropped). */
  method: string;
  /** `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`, `permerror`, `policy` (lower case). */
  result: string;
  reason?: string;
  /** The first comment after the result, e.g. Gmail's `google.com: domain of … designates …`. */
  comment?: string;
  /** `ptype.property` (and other `name=value`) pairs, e.g. `smtp.mailfrom`, `header.d`, `action`. */
  properties: Record<string, string>;
}

export function parseAuthenticationResults(headers: HeaderLine[]): AuthenticationResult[] {
  return headers.filter((h) => h.name.toLowerCase() === 'authentication-results').flatMap((h) => parseField(h.value));
}

function parseField(value: string): AuthenticationResult[] {
  const segments = splitAtSemicolons(tokenize(value));
  let authservId = '';
  // The first segment is `authserv-id [version]`, unless the server left it out and started with a result.
  if (segments.length && !isResultSegment(segments[0])) {
    authservId = segments.shift()?.find((t) => t.kind === 'word' || t.kind === 'quoted')?.text ?? '';
  }
  const results: AuthenticationResult[] = [];
  for (const segment of segments) {
    const parsed = parseResult(authservId, segment);
    if (parsed) results.push(parsed);
  }
  return results;
}

function isResultSegment(tokens: Token[]): boolean {
  const meaningful = tokens.filter((t) => t.kind !== 'comment');
  return meaningful.length >= 3 && meaningful[0].kind === 'word' && meaningful[1].kind === '=';
}

/** `method[/version]=result (comment) reason="…" ptype.prop=value …`; `none` and junk give undefined. */
function parseResult(authservId: string, tokens: Token[]): AuthenticationResult | undefined {
  const pairs: Array<[string, string]> = [];
  let comment: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'comment') {
      if (pairs.length && comment === undefined && t.text) comment = t.text;
      continue;
    }
    if (t.kind !== 'word') continue;
    // key = value, comments allowed around the `=`.
    let j = i + 1;
    while (j < tokens.length && tokens[j].kind === 'comment') j++;
    if (tokens[j]?.kind !== '=') continue;
    j++;
    while (j < tokens.length && tokens[j].kind === 'comment') j++;
    const v = tokens[j];
    if (v && (v.kind === 'word' || v.kind === 'quoted')) {
      pairs.push([t.text, v.text]);
      i = j;
    }
  }
  if (!pairs.length) return undefined;
  const [[methodRaw, resultRaw], ...rest] = pairs;
  const result: AuthenticationResult = {
    authservId,
    method: methodRaw.split('/')[0].toLowerCase(),
    result: resultRaw.toLowerCase(),
    properties: {},
  };
  if (comment !== undefined) result.comment = comment;
  for (const [key, value] of rest) {
    if (key.toLowerCase() === 'reason' && result.reason === undefined) result.reason = value;
    else result.properties[key] = value;
  }
  return result;
}
