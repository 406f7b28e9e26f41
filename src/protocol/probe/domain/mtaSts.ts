/**
 * MTA-STS (RFC 8461): the `_mta-sts.<domain>` record, the policy file fetched over verified
 * HTTPS (no redirects, 3.3; size-capped), and whether its `mx` patterns cover the real MX hosts.
 */
import { boundedRequest, HttpFailure } from '../../http/boundedRequest';
import type { Dial } from '../../http/dial';
import { DOMAIN_LIMITS } from './limits';
import { DomainResolver, txtRecords } from './resolver';
import { parseTags } from './tags';
import type { DomainFinding, MtaStsPolicy, MtaStsReport } from './types';

const MODES = new Set(['enforce', 'testing', 'none']);
/** RFC 8461 3.2: max_age is at most 31557600 (a year). */
const MAX_AGE_LIMIT = 31_557_600;

export class PolicySyntaxError extends Error {}

export function isMtaStsRecord(text: string): boolean {
  return /^v\s*=\s*STSv1\s*(?:;|$)/i.test(text);
}

/** The id of an MTA-STS record (1-32 letters and digits, RFC 8461 3.1). */
export function parseMtaStsRecord(record: string): string {
  const tags = Object.fromEntries(parseTags(record)) as Record<string, string>;
  const id = tags.id;
  if (!id) throw new PolicySyntaxError('it has no id=');
  if (!/^[a-z0-9]{1,32}$/i.test(id)) throw new PolicySyntaxError(`id=${id.slice(0, 40)} is not 1 to 32 letters and digits`);
  return id;
}

/** Parses a policy file (RFC 8461 3.2); throws PolicySyntaxError naming what is missing or wrong. */
export function parsePolicy(text: string): MtaStsPolicy {
  if (text.length > DOMAIN_LIMITS.maxPolicyBytes) throw new PolicySyntaxError(`it is ${text.length} bytes, more than ${DOMAIN_LIMITS.maxPolicyBytes}`);
  const policy: MtaStsPolicy = { mx: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon < 1) throw new PolicySyntaxError(`"${line.slice(0, 60)}" is not a "key: value" line`);
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'version' && policy.version === undefined) policy.version = value;
    else if (key === 'mode' && policy.mode === undefined) policy.mode = value.toLowerCase();
    else if (key === 'max_age' && policy.maxAge === undefined) {
      if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_AGE_LIMIT) throw new PolicySyntaxError(`max_age: ${value.slice(0, 30)} is not a number of seconds up to ${MAX_AGE_LIMIT}`);
      policy.maxAge = Number(value);
    } else if (key === 'mx') {
      if (policy.mx.length >= DOMAIN_LIMITS.maxPolicyMx) throw new PolicySyntaxError(`it lists more than ${DOMAIN_LIMITS.maxPolicyMx} mx patterns`);
      if (!/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)+\.?$/i.test(value)) throw new PolicySyntaxError(`mx: ${value.slice(0, 60)} is not a host name or *.domain pattern`);
      policy.mx.push(value.toLowerCase().replace(/\.$/, ''));
    }
  }
  if (policy.version !== 'STSv1') throw new PolicySyntaxError('it does not say "version: STSv1"');
  if (!policy.mode || !MODES.has(policy.mode)) throw new PolicySyntaxError(`mode ${policy.mode ? `"${policy.mode.slice(0, 20)}" ` : ''}is not enforce, testing or none`);
  if (policy.maxAge === undefined) throw new PolicySyntaxError('it has no max_age');
  if (policy.mode !== 'none' && !policy.mx.length) throw new PolicySyntaxError('it lists no mx patterns');
  return policy;
}

/** RFC 8461 4.1: a pattern is a host name, or `*.` and one leftmost label. */
export function mxMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.startsWith('*.')) return pattern === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === pattern.slice(2);
}

export interface MtaStsOptions {
  resolver: DomainResolver;
  dnsTimeoutMs: number;
  fetchTimeoutMs: number;
  dial?: Dial;
  ca?: readonly string[];
  maxPolicyBytes?: number;
}

export async function checkMtaSts(domain: string, mxHosts: readonly string[], options: MtaStsOptions): Promise<{ report: MtaStsReport; findings: DomainFinding[] }> {
  const name = `_mta-sts.${domain}`;
  const policyUrl = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
  const findings: DomainFinding[] = [];
  const add = (code: DomainFinding['code'], message: string, level: DomainFinding['level'] = 'warning'): void => void findings.push({ code, level, message });
  const lookup = { name, ...(await txtRecords(options.resolver, name, options.dnsTimeoutMs)) };
  const report: MtaStsReport = { lookup, policyUrl, unmatchedMx: [] };
  const records = lookup.records.filter(isMtaStsRecord);
  if (!records.length) {
    add('mta-sts-missing', lookup.error ? `MTA-STS could not be read: ${lookup.error}.` : `${domain} publishes no MTA-STS record at ${name}: senders deliver to it over TLS only when nobody strips STARTTLS on the way.`, 'info');
    return { report, findings };
  }
  try {
    if (records.length > 1) throw new PolicySyntaxError(`there are ${records.length} records; RFC 8461 3.1 says senders then assume there is no policy`);
    report.id = parseMtaStsRecord(records[0]);
  } catch (err) {
    add('mta-sts-invalid', `The MTA-STS record at ${name} is invalid: ${(err as Error).message}.`);
    return { report, findings };
  }
  let text: string;
  try {
    text = await fetchPolicy(policyUrl, options);
  } catch (err) {
    report.policyError = (err as Error).message;
    add('mta-sts-policy-unavailable', `The MTA-STS record says there is a policy, but ${policyUrl} cannot be used: ${report.policyError}. Senders then keep any policy they cached, or have none.`);
    return { report, findings };
  }
  try {
    report.policy = parsePolicy(text);
  } catch (err) {
    report.policyError = (err as Error).message;
    add('mta-sts-invalid', `The MTA-STS policy at ${policyUrl} is invalid: ${report.policyError}.`);
    return { report, findings };
  }
  const policy = report.policy;
  if (policy.mode !== 'none') {
    report.unmatchedMx = mxHosts.filter((h) => !policy.mx.some((p) => mxMatches(p, h)));
    if (report.unmatchedMx.length) {
      add('mta-sts-mx-mismatch', `The MTA-STS policy (mode ${policy.mode}) lists ${policy.mx.join(', ')}, which does not cover the MX host(s) ${report.unmatchedMx.join(', ')}${policy.mode === 'enforce' ? ': senders that honour the policy will not deliver there' : ''}.`);
    }
  }
  if (policy.mode === 'testing') add('mta-sts-testing', 'The MTA-STS policy is in testing mode: failures are only reported (TLS-RPT), mail is still delivered without TLS.', 'info');
  return { report, findings };
}

async function fetchPolicy(url: string, options: MtaStsOptions): Promise<string> {
  const maxBytes = options.maxPolicyBytes ?? DOMAIN_LIMITS.maxPolicyBytes;
  try {
    const res = await boundedRequest(new URL(url), { timeoutMs: options.fetchTimeoutMs, maxBytes, ...(options.dial ? { dial: options.dial } : {}), ...(options.ca?.length ? { ca: options.ca } : {}) });
    if (res.status >= 300 && res.status < 400) throw new Error(`it answers HTTP ${res.status} (a redirect${res.location ? ` to ${res.location.slice(0, 100)}` : ''}), and RFC 8461 3.3 forbids following redirects`);
    if (res.status !== 200) throw new Error(`it answers HTTP ${res.status}`);
    return res.body.toString('utf8');
  } catch (err) {
    if (!(err instanceof HttpFailure)) throw err;
    if (err.kind === 'too-large') throw new Error(`the file is larger than ${maxBytes} bytes, so it was not read`);
    if (err.kind === 'timeout') throw new Error(`it did not answer within ${options.fetchTimeoutMs} ms`);
    const cause = err.cause as { code?: string; message?: string } | undefined;
    throw new Error(`it cannot be reached over verified HTTPS (${cause?.code ?? cause?.message ?? err.kind})`);
  }
}
