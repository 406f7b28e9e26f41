/**
 * Gives a valid access token for one account: the stored one while it lasts, a refreshed one
 * shortly before it ends (one refresh at a time, however many connections ask), and the retry rule
 * for a server that refuses a token: one silent refresh and one retry; a second refusal means the
 * user must sign in again (SignInRequired), and nothing loops.
 */
import { MailError } from '../errors';
import { refreshTokens, type OAuthClient, type TokenSet } from './tokens';

/** Where the token set lives (SecretStorage in the editor, memory in tests and the CLI). */
export interface TokenStore {
  load(): Promise<TokenSet | undefined>;
  save(tokens: TokenSet | undefined): Promise<void>;
}

export interface TokenSourceOptions {
  client: OAuthClient;
  scope: string;
  store: TokenStore;
  /** Refresh this long before expiry; default 2 minutes (clock skew, a slow login). */
  refreshBeforeMs?: number;
  now?: () => number;
}

export class OAuthTokenSource {
  private refreshing: Promise<TokenSet> | undefined;
  private readonly refreshBeforeMs: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenSourceOptions) {
    this.refreshBeforeMs = options.refreshBeforeMs ?? 120_000;
    this.now = options.now ?? Date.now;
  }

  /** A token that is valid for at least `refreshBeforeMs`, refreshing when needed. */
  async accessToken(): Promise<string> {
    const tokens = await this.options.store.load();
    if (!tokens) throw signInRequired('This account is not signed in.');
    if (tokens.expiresAt - this.refreshBeforeMs > this.now()) return tokens.accessToken;
    return (await this.refresh(tokens)).accessToken;
  }

  /**
   * Refreshes whatever the stored expiry says (the server refused the token). Given the token the
   * server refused: when another connection has already replaced it, that newer token is returned
   * instead of refreshing a second time (connections refused together share one refresh).
   */
  async refreshNow(refused?: string): Promise<string> {
    if (this.refreshing) return (await this.refreshing).accessToken;
    const tokens = await this.options.store.load();
    if (!tokens) throw signInRequired('This account is not signed in.');
    if (refused !== undefined && tokens.accessToken !== refused && tokens.expiresAt > this.now()) return tokens.accessToken;
    return (await this.refresh(tokens)).accessToken;
  }

  /**
   * Runs `login` with a token. When it fails with AuthFailed, refreshes once and runs it once more;
   * when that fails with AuthFailed too, throws SignInRequired.
   */
  async withToken<T>(login: (accessToken: string) => Promise<T>): Promise<T> {
    const first = await this.accessToken();
    try {
      return await login(first);
    } catch (err) {
      if (!MailError.is(err, 'AuthFailed')) throw err;
    }
    const second = await this.refreshNow(first);
    try {
      return await login(second);
    } catch (err) {
      if (!MailError.is(err, 'AuthFailed')) throw err;
      throw signInRequired('The mail server refused a freshly refreshed sign-in.', err);
    }
  }

  private refresh(current: TokenSet): Promise<TokenSet> {
    if (!this.refreshing) {
      const running = this.runRefresh(current);
      this.refreshing = running;
      const clear = (): void => {
        if (this.refreshing === running) this.refreshing = undefined;
      };
      running.then(clear, clear);
    }
    return this.refreshing;
  }

  private async runRefresh(current: TokenSet): Promise<TokenSet> {
    if (!current.refreshToken) throw signInRequired('The sign-in has ended and the server gave no way to renew it.');
    let next: TokenSet;
    try {
      next = await refreshTokens(this.options.client, current.refreshToken, current.scope ?? this.options.scope, this.now());
    } catch (err) {
      if (MailError.is(err, 'SignInRequired')) await this.options.store.save(undefined);
      throw err;
    }
    await this.options.store.save(next);
    return next;
  }
}

function signInRequired(why: string, cause?: unknown): MailError {
  return new MailError('SignInRequired', `${why} Sign in again to keep using this account.`, { cause, detail: MailError.is(cause) ? cause.detail : undefined });
}

/** A TokenStore in memory (the CLI, tests). */
export class MemoryTokenStore implements TokenStore {
  constructor(private tokens: TokenSet | undefined = undefined) {}
  load(): Promise<TokenSet | undefined> {
    return Promise.resolve(this.tokens);
  }
  save(tokens: TokenSet | undefined): Promise<void> {
    this.tokens = tokens;
    return Promise.resolve();
  }
}
