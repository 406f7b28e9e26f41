/**
 * Which cipher suites the deep check offers, and which of those it calls weak. Candidates are
 * Node's own list (tls.getCiphers()) plus the weak suites a server may still accept, kept only
 * where this client's OpenSSL can offer them at all; the others are reported as not tested.
 */
import * as tls from 'node:tls';
import type { CipherResult, TlsVersionName } from '../../../shared/tlsDeepReport';

/**
 * Weak suites missing from tls.getCiphers() because OpenSSL 3 keeps them out of ALL. Each is
 * offered only when this OpenSSL accepts it (NULL and anonymous suites: yes here; RC4, 3DES and
 * EXPORT: no, OpenSSL 3.0 removed or moved them to the legacy provider Node does not load).
 */
const EXTRA_WEAK = [
  'DES-CBC3-SHA', 'ECDHE-RSA-DES-CBC3-SHA', 'EDH-RSA-DES-CBC3-SHA', 'RC4-SHA', 'RC4-MD5', 'ECDHE-RSA-RC4-SHA',
  'EXP-RC4-MD5', 'EXP-DES-CBC-SHA', 'NULL-SHA', 'NULL-SHA256', 'NULL-MD5', 'ECDHE-RSA-NULL-SHA',
  'ADH-AES128-SHA', 'ADH-AES256-SHA', 'AECDH-AES128-SHA', 'AECDH-AES256-SHA',
];

/** Suites that need a shared secret or password set up beforehand; no mail server offers them to strangers. */
const NEEDS_PRESHARED = /(^|-)(PSK|SRP)(-|$)/;
/** AEAD and SHA-2 MAC suites exist only from TLS 1.2 on. */
const TLS12_ONLY = /GCM|CCM|CHACHA20|POLY1305|SHA256$|SHA384$/;

/** Cipher strings at security level 0: OpenSSL's default level refuses the old suites before asking. */
export const SECLEVEL0 = '@SECLEVEL=0';

export interface CipherCandidates {
  /** OpenSSL names to offer with TLS 1.2 and older. */
  legacy: string[];
  /** TLS 1.3 suite names (TLS_AES_128_GCM_SHA256 ...). */
  tls13: string[];
  /** Suites this client cannot offer. */
  notOfferable: string[];
}

let cached: CipherCandidates | undefined;

function offerable(name: string): boolean {
  try {
    tls.createSecureContext({ ciphers: `${name}${SECLEVEL0}` });
    return true;
  } catch {
    return false;
  }
}

export function cipherCandidates(): CipherCandidates {
  if (cached) return cached;
  const all = tls.getCiphers().map((c) => c.toUpperCase());
  const tls13 = all.filter((c) => c.startsWith('TLS_'));
  const fromNode = all.filter((c) => !c.startsWith('TLS_') && !NEEDS_PRESHARED.test(c));
  const extra = EXTRA_WEAK.filter((c) => !fromNode.includes(c));
  const notOfferable = extra.filter((c) => !offerable(c));
  cached = { legacy: [...fromNode, ...extra.filter((c) => !notOfferable.includes(c))], tls13, notOfferable };
  return cached;
}

/** The candidates worth offering with `version` (no GCM suite with TLS 1.0, only TLS_* with 1.3). */
export function candidatesFor(version: TlsVersionName, candidates = cipherCandidates()): string[] {
  if (version === 'TLSv1.3') return candidates.tls13;
  if (version === 'TLSv1.2') return candidates.legacy;
  return candidates.legacy.filter((c) => !TLS12_ONLY.test(c));
}

/** Why a suite is weak with this version (IANA name); empty when it is fine. */
export function weaknesses(standardName: string, version: string): string[] {
  const n = standardName.toUpperCase();
  const out: string[] = [];
  if (n.includes('_NULL_') || n.endsWith('_NULL')) out.push('no encryption (NULL)');
  if (n.includes('EXPORT')) out.push('EXPORT-grade keys');
  if (n.includes('_ANON_')) out.push('anonymous: the server is not authenticated');
  if (n.includes('RC4')) out.push('RC4 (RFC 7465 forbids it)');
  if (n.includes('3DES') || /_DES_/.test(n) || n.includes('DES40')) out.push('DES/3DES (64-bit blocks, Sweet32)');
  if (/^TLS_RSA_/.test(n) || /^SSL_RSA_/.test(n)) out.push('RSA key exchange: no forward secrecy');
  if (n.endsWith('_MD5')) out.push('MD5 MAC');
  if (version === 'TLSv1' && /_CBC_SHA$/.test(n)) out.push('CBC with SHA-1 on TLS 1.0 (BEAST, Lucky13)');
  return out;
}

export function cipherResult(cipher: { name: string; standardName: string }, version: string): CipherResult {
  return { name: cipher.standardName, openssl: cipher.name, weak: weaknesses(cipher.standardName, version) };
}
