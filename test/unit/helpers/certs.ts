import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  key: string;
  cert: string;
  sha256: string;
}

/** A fresh self-signed certificate from the openssl CLI (Node cannot create certificates). */
export function makeSelfSignedCertificate(commonName: string, altNames = `DNS:${commonName}`, extraArgs: string[] = []): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mailroom-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=${altNames}`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), ...extraArgs,
    ], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert, sha256: new X509Certificate(cert).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
