import * as vscode from 'vscode';
import { CertificateSummary, describeTlsReason } from '../../protocol/errors';

/**
 * Shows the user exactly what they are asked to trust and returns true only when they choose to.
 * Nothing insecure happens silently: the default (Escape, Cancel) trusts nothing.
 */
export async function confirmCertificateTrust(endpoint: string, certificate: CertificateSummary, reason: string | undefined): Promise<boolean> {
  const detail = [
    reason ? `Problem: ${describeTlsReason(reason)}.` : undefined,
    `Subject: ${certificate.subject}`,
    `Issuer: ${certificate.issuer}`,
    certificate.subjectAltNames ? `Names: ${certificate.subjectAltNames}` : undefined,
    `Valid: ${certificate.validFrom} to ${certificate.validTo}`,
    `SHA-256: ${certificate.sha256}`,
    '',
    'Only trust it if you can confirm this fingerprint with the server’s administrator. Mailroom will accept exactly this certificate for this account.',
  ]
    .filter((line) => line !== undefined)
    .join('\n');
  const trust = 'Trust This Certificate';
  const choice = await vscode.window.showWarningMessage(`The certificate of ${endpoint} could not be verified.`, { modal: true, detail }, trust);
  return choice === trust;
}
