import { dovecotAvailable } from '../fixtures/dovecot';

/**
 * Skips the suite when Dovecot is missing on a developer machine, fails it on CI: a missing
 * server must never turn into a green run there.
 */
export function requireDovecot(ctx: Mocha.Context): void {
  if (dovecotAvailable()) return;
  if (process.env.CI === 'true') throw new Error('Dovecot is not installed (/usr/sbin/dovecot); CI must run the integration tests. Run .ci/run or install dovecot-imapd dovecot-pop3d.');
  console.warn('      Dovecot is not installed: skipping (apt-get install dovecot-imapd dovecot-pop3d)');
  ctx.skip();
}
