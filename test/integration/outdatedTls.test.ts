// A server that speaks only TLS 1.0/1.1: real Dovecot capped through OpenSSL's system_default
// (Dovecot 2.3 has ssl_min_protocol but no maximum) and smtp-server with maxVersion TLSv1.1.
// Mailroom refuses both versions (RFC 8996); the error must say so and name the version, for
// IMAP, POP3 and SMTP alike, and the probe reports `tls-outdated` with it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AccountConfig, ConnectionSecurity } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import { connectPop3 } from '../../src/protocol/pop3/connect';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { sendRaw } from '../../src/protocol/smtp/send';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { SmtpVariant, startSmtpVariant } from '../fixtures/smtpVariants';
import { requireDovecot } from './requireDovecot';
import { mailErrorOf } from '../fixtures/mailErrorOf';

const OUTDATED_STORY = /only speaks TLSv1\.1, which Mailroom refuses/;


describe('servers that speak only TLS 1.0/1.1', function () {
  this.timeout(60_000);
  let d: DovecotFixture;
  const smtp: Partial<Record<'starttls' | 'tls', SmtpVariant>> = {};

  before(async function () {
    requireDovecot(this);
    d = await startDovecot({ outdatedTlsOnly: true });
    const outdated = { maxVersion: 'TLSv1.1' as const, ciphers: 'DEFAULT@SECLEVEL=0' };
    smtp.starttls = await startSmtpVariant({ key: d.keyPem, cert: d.certPem, tls: outdated, reverseLookup: false });
    smtp.tls = await startSmtpVariant({ key: d.keyPem, cert: d.certPem, tls: outdated, reverseLookup: false, secure: true });
  });
  after(async () => {
    await Promise.all([d?.stop(), smtp.starttls?.stop(), smtp.tls?.stop()]);
  });

  for (const protocol of ['imap', 'pop3'] as const) {
    for (const security of ['starttls', 'tls'] as const) {
      it(`${protocol.toUpperCase()} ${security} (Dovecot): TlsFailed naming TLSv1.1, and no login`, async () => {
        const account: AccountConfig = {
          id: 'old',
          protocol,
          host: '127.0.0.1',
          port: protocol === 'imap' ? (security === 'tls' ? d.ports.imaps : d.ports.imap) : security === 'tls' ? d.ports.pop3s : d.ports.pop3,
          security,
          user: d.users.alice.user,
          trustedCertificateSha256: d.certSha256,
        };
        const connect = protocol === 'imap' ? connectImap : connectPop3;
        const err = await mailErrorOf(connect({ account, password: d.users.alice.password, log: silentLog, timeoutMs: 5000 }));
        assert.equal(err.code, 'TlsFailed', err.message);
        assert.equal(err.tlsReason, 'TLS_VERSION_OUTDATED');
        assert.match(err.message, OUTDATED_STORY);
        assert.doesNotMatch(fs.readFileSync(d.logPath, 'utf8'), /Login: user=<alice>/);
      });
    }
  }

  for (const security of ['starttls', 'tls'] as const) {
    for (const pinned of [false, true]) {
      it(`SMTP ${security} (smtp-server)${pinned ? ', pinned' : ''}: TlsFailed naming TLSv1.1`, async () => {
        const server = smtp[security]!;
        const smtpConfig = { host: server.host, port: server.port, security: security as ConnectionSecurity, ...(pinned ? { trustedCertificateSha256: d.certSha256 } : {}) };
        const account: AccountConfig = { id: 'old', protocol: 'imap', host: '127.0.0.1', port: d.ports.imaps, security: 'tls', user: 'alice', smtp: smtpConfig };
        const raw = Buffer.from('From: alice@example.test\r\nTo: bob@example.test\r\nSubject: x\r\n\r\nbody\r\n');
        const err = await mailErrorOf(sendRaw({ account, password: 'pw', log: silentLog, timeoutMs: 5000 }, { from: 'alice@example.test', to: ['bob@example.test'] }, raw));
        assert.equal(err.code, 'TlsFailed', err.message);
        assert.match(err.message, OUTDATED_STORY);
      });
    }
  }

  for (const [scheme, port] of [['imap', () => d.ports.imap], ['imaps', () => d.ports.imaps], ['pop3', () => d.ports.pop3]] as const) {
    it(`the probe (${scheme}): fails at TLS with tls-outdated and the version`, async () => {
      const r = await probeEndpoint(`${scheme}://127.0.0.1:${port()}`, { timeoutMs: 5000 });
      assert.equal(r.failedPhase, 'tls');
      assert.equal(r.error?.code, 'TlsFailed');
      assert.match(r.error?.message ?? '', OUTDATED_STORY);
      assert.equal(r.tls.version, 'TLSv1.1');
      assert.ok(r.warnings.some((w) => w.code === 'tls-outdated' && /TLSv1\.1/.test(w.message)), r.warnings.map((w) => w.code).join(', '));
    });
  }
});
