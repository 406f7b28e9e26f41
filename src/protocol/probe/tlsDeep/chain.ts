/**
 * The chain a server sends, judged on its own: is every certificate followed by its issuer, does
 * it reach a self-signed or trusted root, has an intermediate expired, are the keys strong enough,
 * does the leaf name the host. Pure (certificates in, findings out), so each rule has a unit test
 * on certificates generated with openssl.
 */
import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ChainAnalysis, ChainCertificate } from '../../../shared/tlsDeepReport';

const DAY_MS = 24 * 60 * 60 * 1000;
/** NIST SP 800-57 / CA/B Forum minimums: RSA 2048 bits, EC 256 bits. */
const MIN_RSA_BITS = 2048;
const MIN_EC_BITS = 256;
const EC_BITS: Record<string, number> = { prime256v1: 256, secp256k1: 256, secp384r1: 384, secp521r1: 521, secp224r1: 224, secp192r1: 192, prime192v1: 192 };

export interface ChainInput {
  /** As served (source 'served'), or as Node linked them by issuer (source 'issuer-links'). */
  certificates: X509Certificate[];
  source: ChainAnalysis['source'];
  host: string;
  /** Roots the check trusts: Node's bundled roots plus the user's extra CAs. */
  trusted: readonly X509Certificate[];
  now?: number;
}

/** a was issued and signed by b. */
export function issuedBy(a: X509Certificate, b: X509Certificate): boolean {
  try {
    return a.checkIssued(b) && a.verify(b.publicKey);
  } catch {
    return false;
  }
}

/**
 * Names itself as issuer and verifies with its own key. Not checkIssued(c, c): that also wants
 * keyCertSign, which a self-signed server certificate (CA:FALSE) rightly lacks.
 */
function selfSigned(c: X509Certificate): boolean {
  try {
    return c.subject === c.issuer && c.verify(c.publicKey);
  } catch {
    return false;
  }
}

export function describeCertificate(c: X509Certificate, now = Date.now()): ChainCertificate {
  const key = c.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const validTo = Date.parse(c.validTo);
  const out: ChainCertificate = {
    subject: oneLine(c.subject),
    issuer: oneLine(c.issuer),
    validTo: Number.isNaN(validTo) ? c.validTo : new Date(validTo).toISOString(),
    daysLeft: Number.isNaN(validTo) ? 0 : Math.floor((validTo - now) / DAY_MS),
    expired: !Number.isNaN(validTo) && validTo <= now,
    selfSigned: selfSigned(c),
    ca: c.ca,
    keyType: key.asymmetricKeyType ?? 'unknown',
    sha256: c.fingerprint256,
  };
  if (details.modulusLength) out.keyBits = details.modulusLength;
  if (details.namedCurve) {
    out.curve = details.namedCurve;
    if (EC_BITS[details.namedCurve]) out.keyBits = EC_BITS[details.namedCurve];
  }
  return out;
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function weakKey(c: ChainCertificate): string | undefined {
  if ((c.keyType === 'rsa' || c.keyType === 'rsa-pss') && c.keyBits !== undefined && c.keyBits < MIN_RSA_BITS) return `${c.subject}: RSA ${c.keyBits} bits (at least ${MIN_RSA_BITS} expected)`;
  if (c.keyType === 'ec' && c.keyBits !== undefined && c.keyBits < MIN_EC_BITS) return `${c.subject}: EC ${c.curve ?? ''} ${c.keyBits} bits (at least ${MIN_EC_BITS} expected)`;
  if (c.keyType === 'dsa') return `${c.subject}: DSA key (no longer accepted by browsers or mail clients)`;
  return undefined;
}

export function analyzeChain(input: ChainInput): ChainAnalysis {
  const now = input.now ?? Date.now();
  const certs = input.certificates;
  const described = certs.map((c) => describeCertificate(c, now));
  const leaf = certs[0];
  const out: ChainAnalysis = {
    source: input.source,
    certificates: described,
    complete: false,
    ordered: input.source === 'served' ? true : null,
    expiredIntermediates: described.slice(1).filter((c) => c.expired && !c.selfSigned).map((c) => c.subject),
    nameMatches: false,
    leafDaysLeft: described[0]?.daysLeft ?? 0,
    weakKeys: described.map(weakKey).filter((w): w is string => w !== undefined),
  };
  if (!leaf) {
    out.incompleteReason = 'the server sent no certificate';
    return out;
  }
  const host = net.isIP(input.host) ? input.host : input.host.toLowerCase();
  const nameError = net.isIP(host) ? (leaf.checkIP(host) ? undefined : `the certificate does not name ${host}`) : (leaf.checkHost(host) ? undefined : `the certificate does not name ${host}`);
  out.nameMatches = nameError === undefined;
  if (nameError) out.nameError = `${nameError} (it names ${leaf.subjectAltName ?? oneLine(leaf.subject)})`;

  if (input.source === 'served') {
    for (let i = 0; i + 1 < certs.length; i++) {
      if (issuedBy(certs[i], certs[i + 1])) continue;
      const issuerAt = certs.findIndex((c, j) => j !== i && issuedBy(certs[i], c));
      if (issuerAt >= 0 && issuerAt !== i) {
        out.ordered = false;
        out.orderProblem = `certificate ${i + 1} (${described[i].subject}) is followed by ${described[i + 1].subject}, not by its issuer, which is sent as certificate ${issuerAt + 1}`;
        break;
      }
      if (!described[i].selfSigned) {
        out.ordered = false;
        out.orderProblem = `certificate ${i + 1} (${described[i].subject}) is followed by ${described[i + 1].subject}, which did not issue it`;
        break;
      }
    }
  }

  // Follow issuers from the leaf through whatever was sent, in any order.
  const used = new Set<number>([0]);
  let current = leaf;
  for (let steps = 0; steps < certs.length; steps++) {
    if (selfSigned(current)) {
      out.complete = true;
      return out;
    }
    const next = certs.findIndex((c, j) => !used.has(j) && issuedBy(current, c));
    if (next < 0) break;
    used.add(next);
    current = certs[next];
  }
  if (input.trusted.some((root) => issuedBy(current, root))) {
    out.complete = true;
    return out;
  }
  const missing = oneLine(current.issuer);
  out.incompleteReason = current === leaf
    ? `the server sends the leaf certificate without the intermediate that issued it (${missing}), and it is not a trusted root; clients that do not fetch missing intermediates cannot verify it`
    : `the chain stops at ${oneLine(current.subject)}: its issuer (${missing}) is neither sent nor a trusted root`;
  return out;
}

let roots: X509Certificate[] | undefined;

/** Node's bundled roots (parsed once) plus `extraCa` PEM blocks. */
export function trustedRoots(extraCa: readonly string[] = []): X509Certificate[] {
  roots ??= tls.rootCertificates.map((pem) => new X509Certificate(pem));
  const extra: X509Certificate[] = [];
  for (const bundle of extraCa) {
    for (const pem of bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      try {
        extra.push(new X509Certificate(pem));
      } catch {
        // A broken block in a user's CA file: the main probe reports the file; here it adds no trust.
      }
    }
  }
  return [...roots, ...extra];
}

/** Node's issuer-linked chain as certificates, leaf first, without repeats. */
export function linkedChain(peer: tls.DetailedPeerCertificate, max = 10): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = peer;
  while (cert?.raw && out.length < max && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  return out;
}
