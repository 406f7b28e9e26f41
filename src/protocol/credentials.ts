/**
 * What an account logs in with, whatever the protocol: a password, or an OAuth2 access token that
 * may need a refresh. Every login (IMAP, POP3, SMTP, the prober) goes through `login`, so the
 * retry rule for tokens lives in one place: a refused token gets one silent refresh and one retry;
 * a second refusal is SignInRequired, and nothing loops.
 */
import { MailError } from './errors';
import type { OAuthTokenSource } from './oauth/tokenSource';

export type LoginSecret = { kind: 'password'; password: string } | { kind: 'token'; accessToken: string };

export interface CredentialSource {
  readonly kind: LoginSecret['kind'];
  /** Runs `attempt` with the secret; throws PasswordMissing / SignInRequired when there is none. */
  login<T>(attempt: (secret: LoginSecret) => Promise<T>): Promise<T>;
}

/** A password from wherever the caller keeps it (SecretStorage, an input box, the environment). */
export function passwordCredentials(getPassword: () => PromiseLike<string | undefined>, accountName: string): CredentialSource {
  return {
    kind: 'password',
    async login(attempt) {
      const password = await getPassword();
      if (!password) {
        throw new MailError('PasswordMissing', `No password is stored for ${accountName}. Remove the account and add it again.`);
      }
      return attempt({ kind: 'password', password });
    },
  };
}

/**
 * A password typed just now and not stored yet (Add Account's test login): an empty one is sent as
 * it is, and the server's refusal says what is wrong.
 */
export function givenPassword(password: string): CredentialSource {
  return {
    kind: 'password',
    login(attempt) {
      return attempt({ kind: 'password', password });
    },
  };
}

/** OAuth2 access tokens from a token source (refresh before expiry, one refresh on refusal). */
export function tokenCredentials(tokens: OAuthTokenSource): CredentialSource {
  return {
    kind: 'token',
    login(attempt) {
      return tokens.withToken((accessToken) => attempt({ kind: 'token', accessToken }));
    },
  };
}
