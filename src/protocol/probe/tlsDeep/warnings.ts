/**
 * Warnings of the TLS deep check, from its report alone (pure, like ../warnings.ts). Codes are
 * stable; scripts match on them, never on the message.
 */
import type { ProbeWarning, TlsDeepWarningCode } from '../../../shared/probeReport';
import type { TlsDeepReport } from '../../../shared/tlsDeepReport';
import { TLS_DEEP_LIMITS } from './limits';

const OLD = new Set(['TLSv1', 'TLSv1.1']);
const LABEL: Record<string, string> = { TLSv1: 'TLS 1.0', 'TLSv1.1': 'TLS 1.1', 'TLSv1.2': 'TLS 1.2', 'TLSv1.3': 'TLS 1.3' };

export function tlsDeepWarnings(deep: TlsDeepReport, host: string, expiryWarningDays: number = TLS_DEEP_LIMITS.expiryWarningDays): ProbeWarning[] {
  const out: ProbeWarning[] = [];
  const add = (code: TlsDeepWarningCode, message: string): void => {
    if (!out.some((w) => w.code === code)) out.push({ code, message });
  };
  const old = deep.versions.filter((v) => v.result === 'accepted' && OLD.has(v.version)).map((v) => LABEL[v.version]);
  if (old.length) add('tls-old-protocol', `The server accepts ${old.join(' and ')}, retired by RFC 8996.`);
  const weak = deep.ciphers.flatMap((scan) => scan.accepted.filter((c) => c.weak.length).map((c) => `${c.name} with ${LABEL[scan.version]} (${c.weak.join('; ')})`));
  if (weak.length) add('tls-weak-cipher', `The server accepts weak suites: ${weak.join(', ')}.`);
  const chain = deep.chain;
  if (chain) {
    if (!chain.complete) add('tls-chain-incomplete', `The chain is incomplete: ${chain.incompleteReason ?? 'it does not reach a trusted root'}.`);
    if (chain.ordered === false) add('tls-chain-order', `The chain is sent out of order: ${chain.orderProblem ?? ''}.`);
    if (chain.expiredIntermediates.length) add('tls-intermediate-expired', `Expired intermediate certificate(s) in the chain: ${chain.expiredIntermediates.join('; ')}.`);
    const leaf = chain.certificates[0];
    if (leaf && !leaf.expired && chain.leafDaysLeft < expiryWarningDays) {
      add('tls-cert-expiring', `The certificate expires in ${chain.leafDaysLeft} day(s), on ${leaf.validTo.slice(0, 10)}: under ${expiryWarningDays} days, so its automatic renewal has probably failed.`);
    }
    if (chain.weakKeys.length) add('tls-key-weak', `Weak key(s): ${chain.weakKeys.join('; ')}.`);
    if (!chain.nameMatches) add('tls-name-mismatch', `The certificate is not valid for ${host}: ${chain.nameError ?? 'the name does not match'}.`);
  }
  return out;
}
