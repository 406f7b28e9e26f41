import * as vscode from 'vscode';
import { AccountConfig, parseAccountConfig } from '../protocol/account';
import { MailError } from '../protocol/errors';
import type { CredentialSource } from '../protocol/credentials';
import type { Identity } from '../protocol/smtp/identities';
import type { ProtocolLog } from '../protocol/log';
import { Disposable } from '../util/dispose';
import { AccountCredentials } from './auth/accountCredentials';
import { usesVSCodeMicrosoftSignIn, vscodeMicrosoftCredentials } from './auth/microsoftSession';
import { identitySecretKey, IdentitySecrets } from './identitySecrets';

const SECTION = 'mailroom';
const ACCOUNTS_KEY = 'accounts';
const secretKey = (accountId: string): string => `mailroom.password.${accountId}`;

/**
 * Accounts live in the `mailroom.accounts` setting (application scope, user settings), their
 * passwords in SecretStorage and nowhere else. Invalid settings entries are skipped and reported
 * once each in the log, never fatal.
 */
export class AccountRepository extends Disposable {
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidSave = this._register(new vscode.EventEmitter<AccountConfig>());
  /** Fires after save() stored an account (and its password), even when its settings did not change. */
  readonly onDidSave = this._onDidSave.event;
  private readonly reported = new Set<string>();
  /** What each account's logins use: its password, or its OAuth2 tokens (see auth/accountCredentials.ts). */
  readonly credentialSources: AccountCredentials;
  /** Identities' SMTP passwords, deleted when their identity leaves the settings (identitySecrets.ts). */
  private readonly identitySecrets: IdentitySecrets;
  /** The sweep of identity passwords running now (start-up or the last settings change); tests wait for it. */
  identitySweep: Promise<unknown>;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: ProtocolLog, globalState: vscode.Memento) {
    super();
    this.credentialSources = new AccountCredentials(secrets, this);
    this.identitySecrets = new IdentitySecrets(secrets, globalState, (ref) =>
      log.info(`Deleted the stored SMTP password of ${ref.address} (account ${ref.accountId}): the identity is no longer in the settings.`),
    );
    // Settings may have changed while VS Code was closed: sweep once at start-up.
    this.identitySweep = this.sweepIdentitySecrets();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`${SECTION}.${ACCOUNTS_KEY}`)) return;
        this.identitySweep = this.sweepIdentitySecrets();
        this._onDidChange.fire();
      }),
    );
  }

  private sweepIdentitySecrets(): Promise<unknown> {
    // Only what the user's settings say: not set at all (or unreadable) is not "every identity removed".
    const set = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(ACCOUNTS_KEY)?.globalValue !== undefined;
    return this.identitySecrets.sweep(set ? this.rawList() : undefined).catch((err: unknown) => this.log.warn(`identity passwords not swept: ${String(err)}`));
  }

  list(): AccountConfig[] {
    const accounts: AccountConfig[] = [];
    const seen = new Set<string>();
    for (const raw of this.rawList()) {
      try {
        const account = parseAccountConfig(raw);
        if (seen.has(account.id)) throw new MailError('InvalidAccount', `Invalid account setting: the id "${account.id}" is used twice.`);
        seen.add(account.id);
        accounts.push(account);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!this.reported.has(message)) {
          this.reported.add(message);
          this.log.warn(message);
        }
      }
    }
    return accounts;
  }

  get(accountId: string): AccountConfig | undefined {
    return this.list().find((a) => a.id === accountId);
  }

  getPassword(accountId: string): Thenable<string | undefined> {
    return this.secrets.get(secretKey(accountId));
  }

  /** What the account logs in with: the stored password, or its OAuth2 tokens with one refresh on refusal. */
  credentials(account: AccountConfig): CredentialSource {
    // VS Code's Microsoft sign-in holds (and renews) its own tokens: a session per login, nothing stored here.
    if (usesVSCodeMicrosoftSignIn(account)) return vscodeMicrosoftCredentials(account);
    return this.credentialSources.for(account);
  }

  getIdentityPassword(accountId: string, address: string): Thenable<string | undefined> {
    return this.secrets.get(identitySecretKey(accountId, address));
  }

  /** Stores (or with undefined deletes) the SMTP password of an identity with its own server. */
  async setIdentityPassword(accountId: string, address: string, password: string | undefined): Promise<void> {
    if (password === undefined) {
      await this.secrets.delete(identitySecretKey(accountId, address));
      return;
    }
    await this.identitySecrets.remember({ accountId, address });
    await this.secrets.store(identitySecretKey(accountId, address), password);
  }

  /** The login of an identity with its own SMTP server: its own password, never the account's. */
  identityCredentials(account: AccountConfig, identity: Identity): CredentialSource {
    return {
      kind: 'password',
      login: async (attempt) => {
        const password = await this.getIdentityPassword(account.id, identity.address);
        if (!password) {
          throw new MailError(
            'PasswordMissing',
            `No SMTP password is stored for ${identity.address} (${identity.smtp?.host ?? 'its own server'}). Run “Mailroom: Set Identity SMTP Password…” to store it.`,
          );
        }
        return attempt({ kind: 'password', password });
      },
    };
  }

  /** Adds or replaces an account. The secret is written first so a saved account always has one. */
  async save(account: AccountConfig, password?: string): Promise<void> {
    if (password !== undefined) await this.secrets.store(secretKey(account.id), password);
    const others = this.rawList().filter((raw) => !isEntryFor(raw, account.id));
    try {
      await this.writeList([...others, account]);
    } catch (err) {
      if (password !== undefined && !this.rawList().some((raw) => isEntryFor(raw, account.id))) {
        await this.secrets.delete(secretKey(account.id));
      }
      throw err;
    }
    this._onDidSave.fire(account);
  }

  async remove(accountId: string): Promise<void> {
    const identities = this.get(accountId)?.identities ?? [];
    await this.writeList(this.rawList().filter((raw) => !isEntryFor(raw, accountId)));
    await this.secrets.delete(secretKey(accountId));
    for (const identity of identities) await this.secrets.delete(identitySecretKey(accountId, identity.address));
    // An OAuth2 sign-in goes with the account: one added again under this id signs in afresh.
    await this.credentialSources.forget(accountId);
  }

  async setTrustedCertificate(accountId: string, sha256: string): Promise<AccountConfig> {
    const account = this.get(accountId);
    if (!account) throw new MailError('InvalidAccount', `The account "${accountId}" no longer exists.`);
    const updated = { ...account, trustedCertificateSha256: sha256 };
    await this.save(updated);
    return updated;
  }

  /** A fresh id that no current entry uses. */
  newId(user: string, host: string): string {
    const base = `${user}@${host}`.toLowerCase().replace(/[^a-z0-9@._-]/g, '-');
    const taken = new Set(this.rawList().map((raw) => (raw as { id?: unknown }).id));
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    return id;
  }

  private rawList(): unknown[] {
    const value = vscode.workspace.getConfiguration(SECTION).get<unknown>(ACCOUNTS_KEY);
    return Array.isArray(value) ? value : [];
  }

  private async writeList(list: unknown[]): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update(ACCOUNTS_KEY, list, vscode.ConfigurationTarget.Global);
  }
}

function isEntryFor(raw: unknown, accountId: string): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { id?: unknown }).id === accountId;
}
