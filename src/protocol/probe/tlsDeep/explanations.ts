/**
 * What each TLS deep check warning means and what the server's administrator can do, in one
 * table (the same shape as the capability table in ../explanations.ts). The report lists the rows
 * of the warnings it raised.
 */
import type { TlsDeepWarningCode } from '../../../shared/probeReport';
import type { TlsWarningExplanation } from '../../../shared/tlsDeepReport';

export const TLS_WARNING_TABLE: Readonly<Record<TlsDeepWarningCode, Omit<TlsWarningExplanation, 'code'>>> = {
  'tls-old-protocol': {
    meaning: 'TLS 1.0 and 1.1 were retired by RFC 8996: their handshakes rely on SHA-1 and MD5, and Mailroom refuses them. A server that still accepts them lets an attacker in the path push clients that allow them down to the old version.',
    fix: 'Accept TLS 1.2 and 1.3 only (Dovecot: ssl_min_protocol = TLSv1.2; Postfix: smtpd_tls_protocols = >=TLSv1.2).',
  },
  'tls-weak-cipher': {
    meaning: 'A suite the server accepts is broken or weak: no encryption, no authentication, RC4/3DES, or RSA key exchange, where anyone who later obtains the server key can decrypt recorded sessions (no forward secrecy).',
    fix: 'Allow only ECDHE/DHE suites with AES-GCM or ChaCha20 (Mozilla "intermediate" list), e.g. Dovecot ssl_cipher_list.',
  },
  'tls-chain-incomplete': {
    meaning: 'The server does not send the intermediate certificate(s) between its certificate and a trusted root. Browsers often fetch them on their own; mail clients, Mailroom included, usually do not, and then refuse the connection.',
    fix: 'Configure the full chain file (leaf followed by intermediates, e.g. Let\'s Encrypt fullchain.pem) as the server certificate.',
  },
  'tls-chain-order': {
    meaning: 'The certificates are not sent leaf first, each followed by its issuer (RFC 5246 7.4.2). TLS 1.3 clients must cope, but older and stricter ones fail to verify.',
    fix: 'Put the leaf first, then each intermediate in issuing order, in the certificate file.',
  },
  'tls-intermediate-expired': {
    meaning: 'An intermediate certificate the server sends has expired. Clients that build the chain through it fail even though the leaf is valid.',
    fix: 'Replace the intermediate with the current one from the certificate authority (re-download the chain).',
  },
  'tls-cert-expiring': {
    meaning: 'The server certificate expires within two weeks; automatic renewal has probably failed.',
    fix: 'Renew the certificate and reload the server; check the renewal job (certbot renew, acme.sh) and its logs.',
  },
  'tls-key-weak': {
    meaning: 'A key in the chain is shorter than today\'s minimum (RSA 2048 bits, EC 256 bits); current clients may reject it and it can be broken with enough effort.',
    fix: 'Issue a new certificate with an RSA 2048+ or an EC P-256/P-384 key.',
  },
  'tls-name-mismatch': {
    meaning: 'The certificate does not name the host the client connects to, so a verifying client refuses it.',
    fix: 'Use a certificate whose subject alternative names include this host name, or connect with a name it lists.',
  },
};

export function explainTlsWarnings(codes: readonly TlsDeepWarningCode[]): TlsWarningExplanation[] {
  return codes.map((code) => ({ code, ...TLS_WARNING_TABLE[code] }));
}
