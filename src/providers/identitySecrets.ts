/**
 * The SMTP passwords of identities with their own server ("Mailroom: Set Identity SMTP Password…")
 * live in SecretStorage under the account and the identity's address. When the identity leaves the
 * settings (its entry deleted, its `smtp` taken out, or its account removed) nothing can use the
 * password any more, so it is deleted. Settings can change while VS Code is closed and
 * SecretStorage cannot list its keys, so the identities seen last are kept in globalState: every
 * sweep (at start-up and on each change of `mailroom.accounts`) deletes the secrets of those that
 * are gone and remembers the ones there now.
 *
 * No vscode import: SecretStorage and the Memento are passed in (unit-tested with fakes).
 */
import { parseAccountConfig } from '../protocol/account';

/** The SecretStorage key of an identity's SMTP password; never the account's. */
export const identitySecretKey = (accountId: string, address: string): string => `mailroom.identityPassword.${accountId}.${address.toLowerCase()}`;

/** The globalState key of the identities seen with their own SMTP server at the last sweep. */
export const IDENTITY_SECRET_INDEX = 'mailroom.identitySecretIndex';

/** One identity with its own SMTP server: the account and the address (lower-cased). */
export interface IdentityRef {
  accountId: string;
  address: string;
}

export interface SecretsLike {
  delete(key: string): PromiseLike<void>;
}

export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** What the settings hold now: the identities with their own server, and accounts whose entry cannot be read. */
export interface IdentitySnapshot {
  live: IdentityRef[];
  /** Ids of entries that fail validation: their identities are not known, so their secrets are kept. */
  unreadable: Set<string>;
}

/** The identities with their own SMTP server in the raw `mailroom.accounts` list. */
export function identitySnapshot(rawAccounts: readonly unknown[]): IdentitySnapshot {
  const live: IdentityRef[] = [];
  const unreadable = new Set<string>();
  for (const raw of rawAccounts) {
    try {
      const account = parseAccountConfig(raw);
      for (const identity of account.identities ?? []) if (identity.smtp) live.push({ accountId: account.id, address: identity.address.toLowerCase() });
    } catch {
      const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
      if (typeof id === 'string') unreadable.add(id);
    }
  }
  return { live: unique(live), unreadable };
}

/**
 * The sweep's plan: which remembered identities are gone (their secrets to delete) and what to
 * remember now. An identity of an entry that cannot be read is neither deleted nor forgotten: a
 * typo in settings.json must not cost the user a password.
 */
export function identitySweepPlan(remembered: readonly IdentityRef[], now: IdentitySnapshot): { gone: IdentityRef[]; remember: IdentityRef[] } {
  const liveKeys = new Set(now.live.map(refKey));
  const gone = remembered.filter((r) => !liveKeys.has(refKey(r)) && !now.unreadable.has(r.accountId));
  const kept = remembered.filter((r) => !liveKeys.has(refKey(r)) && now.unreadable.has(r.accountId));
  return { gone: unique(gone), remember: unique([...now.live, ...kept]) };
}

export class IdentitySecrets {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly secrets: SecretsLike,
    private readonly memento: MementoLike,
    private readonly onDeleted: (ref: IdentityRef) => void = () => undefined,
  ) {}

  /**
   * Deletes the secrets of identities no longer in `rawAccounts`; one sweep at a time. Resolves with
   * those deleted. `undefined` (the user's settings do not set `mailroom.accounts` at all, as when
   * settings.json cannot be read) sweeps nothing: there is nothing to compare with.
   */
  sweep(rawAccounts: readonly unknown[] | undefined): Promise<IdentityRef[]> {
    if (rawAccounts === undefined) return Promise.resolve([]);
    return this.inTurn(async () => {
      const { gone, remember } = identitySweepPlan(this.remembered(), identitySnapshot(rawAccounts));
      for (const ref of gone) {
        await this.secrets.delete(identitySecretKey(ref.accountId, ref.address));
        this.onDeleted(ref);
      }
      await this.memento.update(IDENTITY_SECRET_INDEX, remember);
      return gone;
    });
  }

  /** Remembers an identity whose password was just stored (a sweep before the next one then finds it). */
  remember(ref: IdentityRef): Promise<void> {
    return this.inTurn(async () => {
      const all = unique([...this.remembered(), { accountId: ref.accountId, address: ref.address.toLowerCase() }]);
      await this.memento.update(IDENTITY_SECRET_INDEX, all);
    });
  }

  /** Runs `work` after every sweep and remember before it, so no two read and write the index at once. */
  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private remembered(): IdentityRef[] {
    const value = this.memento.get<unknown>(IDENTITY_SECRET_INDEX);
    if (!Array.isArray(value)) return [];
    return value.filter((v): v is IdentityRef => typeof v === 'object' && v !== null && typeof (v as IdentityRef).accountId === 'string' && typeof (v as IdentityRef).address === 'string');
  }
}

function refKey(ref: IdentityRef): string {
  return JSON.stringify([ref.accountId, ref.address.toLowerCase()]);
}

function unique(refs: IdentityRef[]): IdentityRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = refKey(r);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
