/**
 * "Mailroom: Set Identity SMTP Password…": the password of an identity that sends through its own
 * SMTP server, stored in SecretStorage under the identity (never in settings, never logged).
 */
import * as vscode from 'vscode';
import { accountLabel } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import { accountIdentities } from '../../protocol/smtp/identities';
import type { AccountRepository } from '../accounts';

/** Arguments for tests and keybindings; without them the command asks. */
export interface SetIdentityPasswordArgs {
  accountId: string;
  address: string;
  password: string;
}

export async function setIdentityPassword(repository: AccountRepository, arg?: unknown): Promise<boolean> {
  if (isArgs(arg)) {
    const account = repository.get(arg.accountId);
    const identity = account && accountIdentities(account).find((i) => i.smtp && i.address.toLowerCase() === arg.address.toLowerCase());
    if (!account || !identity) throw new MailError('InvalidAccount', `${arg.address} is not an identity with its own SMTP server in the account "${arg.accountId}".`);
    await repository.setIdentityPassword(account.id, identity.address, arg.password);
    return true;
  }
  const choices = repository.list().flatMap((account) =>
    accountIdentities(account)
      .filter((i) => i.smtp)
      .map((identity) => ({ label: identity.address, description: `${identity.smtp!.user} at ${identity.smtp!.host}:${identity.smtp!.port}`, detail: accountLabel(account), account, identity })),
  );
  if (choices.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No identity has an SMTP server of its own. Add "smtp" to an entry of "identities" in the mailroom.accounts setting first.'));
    return false;
  }
  const pick = choices.length === 1 ? choices[0] : await vscode.window.showQuickPick(choices, { title: vscode.l10n.t('Set Identity SMTP Password'), placeHolder: vscode.l10n.t('Which identity?') });
  if (!pick) return false;
  const password = await vscode.window.showInputBox({
    title: vscode.l10n.t('SMTP password for {0}', pick.identity.address),
    prompt: vscode.l10n.t("The password {0} logs in to {1} with. It is kept in VS Code's secret storage.", pick.identity.smtp!.user ?? pick.identity.address, pick.identity.smtp!.host),
    password: true,
    ignoreFocusOut: true,
  });
  if (!password) return false;
  await repository.setIdentityPassword(pick.account.id, pick.identity.address, password);
  vscode.window.setStatusBarMessage(vscode.l10n.t('$(check) SMTP password stored for {0}', pick.identity.address), 5000);
  return true;
}

function isArgs(value: unknown): value is SetIdentityPasswordArgs {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.accountId === 'string' && typeof v.address === 'string' && typeof v.password === 'string';
}
