/**
 * The server check of a configured account, logged in the way the account logs in: with its
 * password, or with an OAuth2 access token (SASL OAUTHBEARER / XOAUTH2). A token refused at login
 * is refreshed once and the check runs once more, as every other login does (../credentials.ts);
 * without a password or a sign-in the check runs without logging in and its login phase says why.
 */
import type { ProbeReport } from '../../shared/probeReport';
import type { CredentialSource } from '../credentials';
import { MailError } from '../errors';
import { probeEndpoint, type ProbeInput, type ProbeOptions } from './probe';

export async function probeWithCredentials(input: ProbeInput, options: Omit<ProbeOptions, 'credentials'>, credentials: CredentialSource): Promise<ProbeReport> {
  let last: ProbeReport | undefined;
  try {
    return await credentials.login(async (secret) => {
      last = await probeEndpoint(input, {
        ...options,
        credentials: secret.kind === 'token' ? { password: secret.accessToken, bearer: true } : { password: secret.password },
      });
      const refused = last.auth.login.error?.code === 'AuthFailed';
      // Only a token is worth a second try: the same password would be refused the same way.
      if (secret.kind === 'token' && refused) throw new MailError('AuthFailed', last.auth.login.error?.message ?? 'The server refused the sign-in.');
      return last;
    });
  } catch (err) {
    if (!MailError.is(err, 'SignInRequired') && !MailError.is(err, 'PasswordMissing')) throw err;
    // Refused after a refresh: the last report shows the server's answer, and the reason to sign in.
    const report = last ?? (await probeEndpoint(input, options));
    if (!last) report.auth.login.skipped = err.message;
    else report.auth.login.error = { code: err.code, message: err.message };
    return report;
  }
}
