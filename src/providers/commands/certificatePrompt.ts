import * as vscode from 'vscode';
import { CertificateSummary, describeTlsReason } from '../../protocol/errors';

/**
 * Shows the user exactly what they are asked to trust and returns true only when they choose to.
 * Nothing insecure happens silently: the default (Escape, Cancel) trusts nothing.
 */
export async function confirmCertificateTrust(endpoint: string, certificate: CertificateSummary, reason: string | undefined): Promise<boolean> {
  const detail = [
    reason ? vscode.l10n.t('Problem: {0}.', describeTlsReason(reason)) : undefined,
    vscode.l10n.t('Subject: {0}', certificate.subject),
    vscode.l10n.t('Issuer: {0}', certificate.issuer),
    certificate.subjectAltNames ? vscode.l10n.t('Names: {0}', certificate.subjectAltNames) : undefined,
    vscode.l10n.t('Valid: {0} to {1}', certificate.validFrom, certificate.validTo),
    `SHA-256: ${certificate.sha256}`,
    '',
    vscode.l10n.t('Only trust it if you can confirm this fingerprint with the server’s administrator. Mailroom will accept exactly this certificate for this account.'),
  ]
    .filter((line) => line !== undefined)
    .join('\n');
  const trust = vscode.l10n.t('Trust This Certificate');
  const choice = await vscode.window.showWarningMessage(vscode.l10n.t('The certificate of {0} could not be verified.', endpoint), { modal: true, detail }, trust);
  return choice === trust;
}
