/** The TLS deep check as Markdown lines, for the CLI and "Copy as Markdown". */
import type { TlsDeepReport } from '../../../shared/tlsDeepReport';

const LABEL: Record<string, string> = { TLSv1: 'TLS 1.0', 'TLSv1.1': 'TLS 1.1', 'TLSv1.2': 'TLS 1.2', 'TLSv1.3': 'TLS 1.3' };

export function tlsDeepMarkdown(deep: TlsDeepReport): string[] {
  const out: string[] = ['### TLS deep check', ''];
  if (deep.skipped) return [...out, `Not run: ${deep.skipped}.`];
  const client = deep.client ? ` by Node ${deep.client.node} with OpenSSL ${deep.client.openssl}` : '';
  out.push(`${deep.connections} connection(s) in ${deep.ms} ms${client} (at most ${deep.limits.maxConnections}, ${deep.limits.parallel} at once, ${deep.limits.timeBudgetMs} ms budget).`, '');
  if (deep.truncated) out.push(`**Stopped early:** ${deep.truncated}.`, '');
  out.push('| Version | Result | Suites accepted |', '| --- | --- | --- |');
  for (const v of deep.versions) {
    const scan = deep.ciphers.find((c) => c.version === v.version);
    const result = v.result === 'accepted' ? 'accepted' : v.result === 'refused' ? 'refused' : v.note ?? v.result;
    const suites = scan ? scan.accepted.map((c) => (c.weak.length ? `**${c.name}** (weak: ${c.weak.join('; ')})` : c.name)).join(', ') + (scan.complete ? '' : ' (incomplete)') : '';
    out.push(`| ${LABEL[v.version]} | ${cell(result)} | ${cell(suites)} |`);
  }
  out.push('');
  if (deep.notOfferable.length) out.push(`Not tested (this client cannot offer them): ${deep.notOfferable.join(', ')}.`, '');
  const chain = deep.chain;
  if (chain) {
    out.push(`Chain (${chain.source === 'served' ? 'as served' : 'linked by issuer; TLS 1.3 hides the order served'}):`);
    for (const [i, c] of chain.certificates.entries()) {
      const key = `${c.keyType}${c.keyBits ? ` ${c.keyBits}` : ''}${c.curve ? ` ${c.curve}` : ''}`;
      const left = c.expired ? 'expired' : `${c.daysLeft} day(s) left`;
      out.push(`${i + 1}. ${c.subject} — issued by ${c.issuer}; ${key}; until ${c.validTo.slice(0, 10)} (${left})${c.selfSigned ? '; self-signed' : ''}`);
    }
    out.push('');
    out.push(`- Complete: ${chain.complete ? 'yes' : `no — ${chain.incompleteReason ?? ''}`}`);
    out.push(`- Order: ${chain.ordered === null ? 'not visible (TLS 1.3 only)' : chain.ordered ? 'leaf first, each followed by its issuer' : `wrong — ${chain.orderProblem ?? ''}`}`);
    out.push(`- Host name: ${chain.nameMatches ? 'matches' : `does not match — ${chain.nameError ?? ''}`}`);
  }
  if (deep.ocspStapled !== undefined) out.push(`- OCSP stapling: ${deep.ocspStapled ? 'stapled' : 'not stapled'}`);
  if (deep.alpn) out.push(`- ALPN: offered ${deep.alpn.offered.join(', ')}; server chose ${deep.alpn.chosen ?? 'none'}`);
  if (deep.explanations?.length) {
    out.push('', '| Warning | Meaning | Fix |', '| --- | --- | --- |');
    for (const e of deep.explanations) out.push(`| \`${e.code}\` | ${cell(e.meaning)} | ${cell(e.fix)} |`);
  }
  return out;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
