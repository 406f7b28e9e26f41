import type { DiscoveryResult, ServerCandidate } from './types';

function describe(c: ServerCandidate): string {
  const security = c.security === 'tls' ? 'TLS' : c.security === 'starttls' ? 'STARTTLS' : 'no encryption';
  const v = c.verification;
  const state = !v ? 'not checked' : !v.reachable ? `failed: ${v.problem ?? ''}` : v.certificateTrusted ? 'verified' : `answered, ${v.problem ?? 'not trusted'}`;
  const flags = [
    c.flags.passwordGoesToOtherDomain ? 'password goes to another domain' : '',
    c.flags.fetchedOverPlainHttp ? 'read over plain http' : '',
    c.flags.oauth2 ? 'OAuth2' : '',
    c.flags.redirectedFrom ? `redirected from ${c.flags.redirectedFrom}` : '',
  ].filter(Boolean);
  const also = c.alsoFrom.length ? `; also from ${c.alsoFrom.map((s) => s.kind).join(', ')}` : '';
  return `${c.protocol.toUpperCase()} ${c.host}:${c.port} ${security}, user ${c.username}, auth ${c.authentication.join('/')} — ${state}; from ${c.source.kind} ${c.source.where}${also}${flags.length ? ` [${flags.join('; ')}]` : ''}`;
}

/** The plain-text report `mailroom-check --discover` prints: every lookup with its timing, then the ranking and the winner. */
export function renderDiscovery(result: DiscoveryResult): string {
  const lines: string[] = [`# Discovery for ${result.address}`, '', `Domain ${result.domain}${result.mxDomain ? `, MX domain ${result.mxDomain}` : ''}; ${result.lookups.length} lookups in ${result.totalMs} ms.`, '', '## Lookups', ''];
  for (const l of result.lookups) {
    const answer = l.ok ? l.answer ?? 'ok' : `${l.error?.code ?? 'failed'}: ${l.error?.message ?? ''}`;
    lines.push(`- ${l.ok ? 'ok  ' : 'FAIL'} ${l.kind} ${l.target} (+${l.startedMs} ms, ${l.ms} ms) → ${answer}`);
  }
  for (const [title, list] of [['Incoming', result.incoming], ['Outgoing', result.outgoing]] as const) {
    lines.push('', `## ${title} candidates, best first`, '');
    if (!list.length) lines.push('- none');
    list.forEach((c, i) => lines.push(`${i + 1}. ${describe(c)}`));
  }
  lines.push('', '## Winner', '');
  lines.push(`- incoming: ${result.best.incoming ? describe(result.best.incoming) : 'none'}`);
  lines.push(`- outgoing: ${result.best.outgoing ? describe(result.best.outgoing) : 'none'}`);
  if (result.confirmations.length) {
    lines.push('', '## To confirm before saving', '');
    for (const c of result.confirmations) lines.push(`- ${c}`);
  }
  if (result.problem) lines.push('', `**${result.problem}**`);
  return `${lines.join('\n')}\n`;
}
