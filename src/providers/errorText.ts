import * as vscode from 'vscode';
import type { MailError, MailErrorCode } from '../protocol/errors';

/**
 * How a MailError reads in the user's display language.
 *
 * src/protocol and src/store run without VS Code (the CLI, the bench, plain Node tests) and write
 * their sentences in English, with the specifics a person needs (host, port, the server's words).
 * The VS Code layer does not translate those sentences one by one (most carry values); it leads
 * them with one localized sentence per stable code, so a German user reads what happened and what
 * to do in German, and the English specifics after it. In English (no bundle loaded) the protocol's
 * sentence is shown as it is. Errors the VS Code layer makes itself are already localized
 * (`{ localized: true }`) and shown as they are.
 */
export function localizedErrorMessage(err: MailError): string {
  if (err.localized || vscode.l10n.bundle === undefined) return err.message;
  return vscode.l10n.t('{0} ({1})', codeSentence(err.code), err.message);
}

/** One sentence per MailError code, in the display language. */
export function codeSentence(code: MailErrorCode): string {
  switch (code) {
    case 'AuthFailed': return vscode.l10n.t('The server refused the login.');
    case 'PasswordMissing': return vscode.l10n.t('The account has no stored password.');
    case 'HostNotFound': return vscode.l10n.t('The server name could not be found.');
    case 'ConnectionRefused': return vscode.l10n.t('The server refused the connection.');
    case 'ConnectionClosed': return vscode.l10n.t('The server closed the connection.');
    case 'Timeout': return vscode.l10n.t('The server did not answer in time.');
    case 'CertificateUntrusted': return vscode.l10n.t('The server’s certificate is not trusted.');
    case 'TlsFailed': return vscode.l10n.t('The secure connection (TLS) failed.');
    case 'StartTlsUnavailable': return vscode.l10n.t('The server does not offer STARTTLS.');
    case 'InsecureAuthRefused': return vscode.l10n.t('Mailroom will not send the password unencrypted.');
    case 'ProtocolError': return vscode.l10n.t('The server answered in a way Mailroom does not understand.');
    case 'MailboxNotFound': return vscode.l10n.t('The folder does not exist.');
    case 'MessageNotFound': return vscode.l10n.t('The message no longer exists.');
    case 'InvalidAccount': return vscode.l10n.t('The account settings are not usable.');
    case 'MailboxInUse': return vscode.l10n.t('The mailbox is in use by another session.');
    case 'LoginDelayed': return vscode.l10n.t('The server asks to wait before logging in again.');
    case 'Unsupported': return vscode.l10n.t('The server does not support this.');
    case 'LimitExceeded': return vscode.l10n.t('The server’s answer was larger than Mailroom accepts.');
    case 'CommandFailed': return vscode.l10n.t('The server refused the command.');
    case 'Offline': return vscode.l10n.t('The account is offline.');
    case 'StorageFailed': return vscode.l10n.t('A local file could not be read or written.');
    case 'RecipientRejected': return vscode.l10n.t('The server refused a recipient.');
    case 'MessageRejected': return vscode.l10n.t('The server refused the message.');
    case 'SmtpNotConfigured': return vscode.l10n.t('The account has no outgoing mail server.');
    case 'InvalidAddress': return vscode.l10n.t('An address could not be understood.');
    case 'SignInRequired': return vscode.l10n.t('Sign in to the account again.');
    case 'ConfigInvalid': return vscode.l10n.t('A server setup document is broken.');
    case 'RedirectRefused': return vscode.l10n.t('A lookup was redirected to another domain.');
    case 'ReportInvalid': return vscode.l10n.t('The file is not a check report.');
    case 'CalendarInvalid': return vscode.l10n.t('The invitation in this message cannot be read.');
    case 'Unknown': return vscode.l10n.t('Something went wrong.');
  }
}
