import { probeEndpoint } from '../probe/probe';
import { makeTarget } from '../probe/target';
import type { ProbeScheme } from '../../shared/probeReport';
import type { Dial } from './dial';
import { DISCOVERY_LIMITS } from './limits';
import type { ServerProtocol, ServerSecurity, Verification } from './types';

export interface VerifyOptions {
  dial: Dial;
  ca?: string[];
  timeoutMs?: number;
}

export function schemeFor(protocol: ServerProtocol, security: ServerSecurity): ProbeScheme {
  if (protocol === 'imap') return security === 'tls' ? 'imaps' : 'imap';
  if (protocol === 'pop3') return security === 'tls' ? 'pop3s' : 'pop3';
  return security === 'tls' ? 'smtps' : 'submission';
}

/**
 * Checks an endpoint with the existing prober, without credentials: it must greet, and bring up
 * TLS the way the candidate says (implicit, or STARTTLS when offered). A certificate that does not
 * verify leaves the endpoint reachable but untrusted: the account's certificate trust flow decides.
 */
export async function verifyEndpoint(endpoint: { protocol: ServerProtocol; host: string; port: number; security: ServerSecurity }, options: VerifyOptions): Promise<Verification> {
  const t0 = Date.now();
  const target = makeTarget(schemeFor(endpoint.protocol, endpoint.security), endpoint.host, endpoint.port);
  const report = await probeEndpoint(target, { dial: options.dial, ca: options.ca, timeoutMs: options.timeoutMs ?? DISCOVERY_LIMITS.probeTimeoutMs });
  const ms = Date.now() - t0;
  const certificateSha256 = report.tls.certificate?.sha256;
  const base = { ms, ...(certificateSha256 ? { certificateSha256 } : {}) };
  if (report.failedPhase) {
    return { ...base, reachable: false, certificateTrusted: false, problem: report.error?.message ?? `the check failed at ${report.failedPhase}`, errorCode: report.error?.code };
  }
  if (endpoint.security !== 'none' && !report.tls.ok) {
    const name = endpoint.protocol === 'pop3' ? 'STLS' : 'STARTTLS';
    return { ...base, reachable: false, certificateTrusted: false, problem: `${endpoint.host}:${endpoint.port} answered but does not offer ${name}, so the password would travel unencrypted.`, errorCode: 'StartTlsUnavailable' };
  }
  if (endpoint.security === 'none') return { ...base, reachable: true, certificateTrusted: false, problem: 'the connection is not encrypted' };
  const trusted = report.tls.authorized === true || report.tls.pinned === true;
  return trusted
    ? { ...base, reachable: true, certificateTrusted: true }
    : { ...base, reachable: true, certificateTrusted: false, problem: `the certificate of ${endpoint.host} does not verify (${report.tls.authorizationReason ?? report.tls.authorizationError ?? 'unknown reason'})`, errorCode: 'CertificateUntrusted' };
}
