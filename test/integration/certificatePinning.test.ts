// A pinned certificate means "this exact certificate for this account, whatever its chain":
// real Dovecot (IMAP, POP3) and smtp-server serving a private CA's chain, a private CA's leaf
// without its chain, and an expired self-signed certificate. Unpinned, each fails with
// CertificateUntrusted carrying the certificate to trust; pinned, each logs in (IMAP, POP3,
// SMTP, the probe). A different certificate than the pinned one still fails before login.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccountConfig, ConnectionSecurity } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import { connectPop3 } from '../../src/protocol/pop3/connect';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { sendRaw } from '../../src/protocol/smtp/send';
import { createTestCa, expiredSelfSignedCertificate, leafOnlyCertificate, loopbackCertificate, TestCa } from '../fixtures/certificates';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import type { GeneratedCertificate } from '../fixtures/net';
import { SmtpVariant, startSmtpVariant } from '../fixtures/smtpVariants';
import { requireDovecot } from './requireDovecot';
import { mailErrorOf } from '../fixtures/mailErrorOf';

interface Kind {
  name: string;
  make: (ca: TestCa) => (sslDir: string) => GeneratedCertificate;
  /** What Node reports for it without a pin. */
  unpinnedReasons: string[];
}

const KINDS: Kind[] = [
  { name: "a private CA's chain", make: (ca) => loopbackCertificate(ca), unpinnedReasons: ['SELF_SIGNED_CERT_IN_CHAIN'] },
  { name: "a private CA's leaf sent without its chain", make: (ca) => leafOnlyCertificate(ca), unpinnedReasons: ['UNABLE_TO_VERIFY_LEAF_SIGNATURE'] },
  { name: 'an expired self-signed certificate', make: (ca) => expiredSelfSignedCertificate(ca), unpinnedReasons: ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED'] },
];


describe('certificate pinning (Dovecot + smtp-server)', function () {
  this.timeout(60_000);
  let dir: string;
  let ca: TestCa;

  before(function () {
    requireDovecot(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-pinning-'));
    ca = createTestCa(path.join(dir, 'ca'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of KINDS) {
    describe(`${kind.name}`, () => {
      let d: DovecotFixture;
      let smtp: { starttls: SmtpVariant; tls: SmtpVariant };
      let pin: string;
      const password = () => d.users.alice.password;
      const account = (protocol: 'imap' | 'pop3', security: ConnectionSecurity, trusted?: string): AccountConfig => ({
        id: `pin-${protocol}-${security}`,
        protocol,
        host: '127.0.0.1',
        port: protocol === 'imap' ? (security === 'tls' ? d.ports.imaps : d.ports.imap) : security === 'tls' ? d.ports.pop3s : d.ports.pop3,
        security,
        user: d.users.alice.user,
        ...(trusted ? { trustedCertificateSha256: trusted } : {}),
      });

      before(async () => {
        d = await startDovecot({ makeCertificate: kind.make(ca) });
        pin = d.certSha256;
        const users = { [d.users.alice.user]: d.users.alice.password };
        smtp = {
          starttls: await startSmtpVariant({ key: d.keyPem, cert: d.certPem, users, reverseLookup: false }),
          tls: await startSmtpVariant({ key: d.keyPem, cert: d.certPem, users, reverseLookup: false, secure: true }),
        };
      });
      after(async () => {
        await Promise.all([d?.stop(), smtp?.starttls.stop(), smtp?.tls.stop()]);
      });

      for (const protocol of ['imap', 'pop3'] as const) {
        for (const security of ['starttls', 'tls'] as const) {
          it(`${protocol.toUpperCase()} ${security}: unpinned it offers this certificate; pinned it logs in`, async () => {
            const connect = (a: AccountConfig): Promise<unknown> =>
              protocol === 'imap'
                ? connectImap({ account: a, password: password(), log: silentLog, timeoutMs: 5000 }).then((c) => c.logout())
                : connectPop3({ account: a, password: password(), log: silentLog, timeoutMs: 5000 }).then((s) => s.quit());
            const unpinned = await mailErrorOf(connect(account(protocol, security)));
            assert.equal(unpinned.code, 'CertificateUntrusted', unpinned.message);
            assert.ok(kind.unpinnedReasons.includes(unpinned.tlsReason ?? ''), `tlsReason ${unpinned.tlsReason}`);
            assert.equal(unpinned.certificate?.sha256, pin);
            await connect(account(protocol, security, pin));
          });
        }
      }

      for (const security of ['starttls', 'tls'] as const) {
        it(`SMTP ${security}: pinned, the message is sent`, async () => {
          const server = smtp[security];
          const base = account('imap', 'tls');
          const target = (trusted?: string) => ({
            account: { ...base, smtp: { host: server.host, port: server.port, security, ...(trusted ? { trustedCertificateSha256: trusted } : {}) } },
            password: password(),
            log: silentLog,
            timeoutMs: 5000,
          });
          const raw = Buffer.from('From: alice@example.test\r\nTo: bob@example.test\r\nSubject: pinned\r\n\r\nhello\r\n');
          const envelope = { from: 'alice@example.test', to: ['bob@example.test'] };
          const unpinned = await mailErrorOf(sendRaw(target(), envelope, raw));
          assert.equal(unpinned.code, 'CertificateUntrusted', unpinned.message);
          const result = await sendRaw(target(pin), envelope, raw);
          assert.deepEqual(result.accepted, ['bob@example.test']);
        });
      }

      it('the probe logs in with the pin and warns about nothing it accepted', async () => {
        const r = await probeEndpoint(account('imap', 'starttls', pin), { credentials: { password: password() }, timeoutMs: 5000 });
        assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
        assert.equal(r.tls.pinned, true);
        assert.equal(r.auth.login.ok, true);
        assert.deepEqual(
          r.warnings.filter((w) => w.code.startsWith('certificate-') && w.code !== 'certificate-expired'),
          [],
        );
      });
    });
  }

  it('a pin for another certificate still fails before login, offering the one presented', async () => {
    const d = await startDovecot({ makeCertificate: loopbackCertificate(ca) });
    try {
      const other = 'AA:'.repeat(31) + 'AA';
      for (const security of ['starttls', 'tls'] as const) {
        const account: AccountConfig = { id: 'x', protocol: 'imap', host: '127.0.0.1', port: security === 'tls' ? d.ports.imaps : d.ports.imap, security, user: d.users.alice.user, trustedCertificateSha256: other };
        const err = await mailErrorOf(connectImap({ account, password: d.users.alice.password, log: silentLog, timeoutMs: 5000 }));
        assert.equal(err.code, 'CertificateUntrusted');
        assert.equal(err.tlsReason, 'PINNED_CERTIFICATE_MISMATCH');
        assert.equal(err.certificate?.sha256, d.certSha256);
        assert.match(fs.readFileSync(d.logPath, 'utf8'), /imap-login/);
        assert.doesNotMatch(fs.readFileSync(d.logPath, 'utf8'), /Login: user=<alice>/);
      }
    } finally {
      await d.stop();
    }
  });
});
