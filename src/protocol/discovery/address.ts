import * as net from 'node:net';
import { MailError } from '../errors';

export interface ParsedAddress {
  address: string;
  localPart: string;
  /** Lower-case, without a trailing dot. */
  domain: string;
}

/** `user@example.com` -> its parts; anything discovery cannot look up is an InvalidAccount error. */
export function parseEmailAddress(input: string): ParsedAddress {
  const address = input.trim();
  const at = address.lastIndexOf('@');
  const localPart = at > 0 ? address.slice(0, at) : '';
  const domain = at > 0 ? address.slice(at + 1).toLowerCase().replace(/\.$/, '') : '';
  if (!localPart || !domain) throw new MailError('InvalidAccount', `"${address.slice(0, 100)}" is not an email address; type it as name@example.com.`);
  if (!isHostName(domain)) throw new MailError('InvalidAccount', `"${domain.slice(0, 100)}" is not a domain name that can be looked up; check the part after @.`);
  return { address, localPart, domain };
}

/** A DNS host name (LDH labels, at least two of them), not an IP literal. */
export function isHostName(host: string): boolean {
  if (host.length > 253 || net.isIP(host)) return false;
  const labels = host.split('.');
  return labels.length >= 2 && labels.every((l) => /^[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/** `host` is `domain` or below it. */
export function isWithinDomain(host: string, domain: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const d = domain.toLowerCase().replace(/\.$/, '');
  return h === d || h.endsWith(`.${d}`);
}

// Second-level labels under which registrations happen (co.uk, com.au, ...). Thunderbird asks the
// Public Suffix List; shipping that list for this one heuristic is not worth it, and a wrong guess
// only costs one extra autoconfig lookup, never trust: the MX domain's answers are flagged anyway.
const REGISTRY_SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'ac', 'gov', 'edu', 'ne', 'or', 'go']);

/** The registered domain of a host: `mx1.mail.example.co.uk` -> `example.co.uk`. */
export function baseDomain(host: string): string {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.length <= 2) return labels.join('.');
  const take = labels[labels.length - 1].length === 2 && REGISTRY_SECOND_LEVEL.has(labels[labels.length - 2]) ? 3 : 2;
  return labels.slice(-take).join('.');
}
