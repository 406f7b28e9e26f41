/**
 * Which OAuth2 accounts are signed in, kept current from SecretStorage (and VS Code's Microsoft
 * sessions), so the tree can offer "Sign In" on an account that needs it without waiting for a
 * login to fail. It holds no token, only whether there is one.
 */
import * as vscode from 'vscode';
import { usesOAuth2, type AccountConfig } from '../../protocol/account';
import { Disposable } from '../../util/dispose';
import type { AccountRepository } from '../accounts';
import { microsoftSessionScopes } from './microsoftScopes';
import { MICROSOFT_AUTH_PROVIDER, usesVSCodeMicrosoftSignIn } from './microsoftSession';
import { SecretTokenStore, tokenSecretKey } from './secretTokenStore';

export interface SignInStatus {
  signedIn: boolean;
  /** When the stored access token ends (absent for VS Code's Microsoft sessions). */
  expiresAt?: number;
}

export class SignInStates extends Disposable {
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this._onDidChange.event;
  private readonly known = new Map<string, boolean>();

  constructor(private readonly secrets: vscode.SecretStorage, private readonly repository: AccountRepository) {
    super();
    this._register(secrets.onDidChange((e) => {
      const account = this.repository.list().find((a) => tokenSecretKey(a.id) === e.key);
      if (account) void this.reload([account]);
    }));
    this._register(repository.onDidChange(() => void this.reload(this.repository.list())));
    this._register(vscode.authentication.onDidChangeSessions((e) => {
      if (e.provider.id === MICROSOFT_AUTH_PROVIDER) void this.reload(this.repository.list().filter(usesVSCodeMicrosoftSignIn));
    }));
    void this.reload(repository.list());
  }

  /** True only for an OAuth2 account known to have no sign-in (unknown yet: false, no flicker). */
  needsSignIn(account: AccountConfig): boolean {
    return usesOAuth2(account) && this.known.get(account.id) === false;
  }

  async status(account: AccountConfig): Promise<SignInStatus> {
    if (usesVSCodeMicrosoftSignIn(account)) {
      const session = await vscode.authentication.getSession(MICROSOFT_AUTH_PROVIDER, microsoftSessionScopes(account), { silent: true }).then(undefined, () => undefined);
      return { signedIn: session !== undefined };
    }
    const tokens = await new SecretTokenStore(this.secrets, account.id).load();
    return tokens ? { signedIn: true, expiresAt: tokens.expiresAt } : { signedIn: false };
  }

  private async reload(accounts: AccountConfig[]): Promise<void> {
    let changed = false;
    for (const account of accounts.filter(usesOAuth2)) {
      const signedIn = (await this.status(account)).signedIn;
      if (this.known.get(account.id) !== signedIn) {
        this.known.set(account.id, signedIn);
        changed = true;
      }
    }
    if (changed && !this.isDisposed) this._onDidChange.fire();
  }
}
