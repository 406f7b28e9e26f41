// The probe against real Dovecot set up several ways: STARTTLS + implicit TLS with a CA-issued
// certificate, implicit TLS only (self-signed), plaintext auth disabled before TLS, an expired and
// a wrong-host certificate.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { scanHost } from '../../src/protocol/probe/scan';
import { renderMarkdown, reportsToJson } from '../../src/protocol/probe/render';
import type { ProbeReport } from '../../src/shared/probeReport';
import { createTestCa, expiredCertificate, loopbackCertificate, TestCa, wrongHostCertificate } from '../fixtures/certificates';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { requireDovecot } from './requireDovecot';

const secretsOf = (password: string): string[] => [
  password,
  Buffer.from(password).toString('base64'),
  Buffer.from(`\0alice\0${password}`).toString('base64'),
];

function assertNoSecret(report: ProbeReport, password: string): void {
  const text = JSON.stringify(report) + renderMarkdown([report], { transcript: true }) + reportsToJson([report], { transcript: true });
  for (const secret of secretsOf(password)) assert.ok(!text.includes(secret), `"${secret}" leaked into the report`);
}

const codes = (r: ProbeReport): string[] => r.warnings.map((w) => w.code);

describe('probe against Dovecot', function () {
  this.timeout(60_000);
  let ca: TestCa;
  let caDir: string;
  const started: DovecotFixture[] = [];
  const dovecot = async (options: Parameters<typeof startDovecot>[0]): Promise<DovecotFixture> => {
    const d = await startDovecot(options);
    started.push(d);
    return d;
  };

  before(function () {
    requireDovecot(this);
    caDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-probe-ca-'));
    ca = createTestCa(caDir);
  });

  after(async () => {
    await Promise.all(started.map((d) => d.stop()));
    if (caDir) fs.rmSync(caDir, { recursive: true, force: true });
  });

  describe('STARTTLS and implicit TLS with a CA-issued certificate', () => {
    let d: DovecotFixture;
    let alice: { user: string; password: string };
    before(async () => {
      d = await dovecot({ makeCertificate: loopbackCertificate(ca) });
      alice = d.users.alice;
    });

    it('IMAP STARTTLS: capabilities before and after TLS and after login, ID, verified chain', async () => {
      const r = await probeEndpoint(`imap://127.0.0.1:${d.ports.imap}`, { ca: [ca.certPem], credentials: alice });
      assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
      assert.match(r.greeting.banner ?? '', /^\* OK .*Dovecot/);
      assert.equal(r.greeting.implementation, 'Dovecot', 'from IMAP ID');
      assert.equal(r.tls.mode, 'starttls');
      assert.equal(r.tls.starttlsOffered, true);
      assert.match(r.tls.version ?? '', /^TLSv1\.[23]$/);
      assert.ok(r.tls.cipher);
      assert.equal(r.tls.authorized, true);
      assert.equal(r.tls.hostnameMatch, true);
      assert.equal(r.tls.certificate?.subject, 'CN=localhost');
      assert.equal(r.tls.certificate?.issuer, 'CN=Mailroom Test CA');
      assert.match(r.tls.certificate?.san ?? '', /IP Address:127\.0\.0\.1/);
      assert.ok((r.tls.certificate?.daysToExpiry ?? 0) >= 363);
      assert.equal(r.tls.chain?.length, 2, 'leaf and CA');
      assert.ok(r.capabilities.beforeTls?.includes('STARTTLS'));
      assert.ok(!r.capabilities.afterTls?.includes('STARTTLS'));
      for (const cap of ['IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE', 'UIDPLUS', 'SPECIAL-USE', 'LIST-STATUS']) assert.ok(r.capabilities.afterLogin?.includes(cap), cap);
      assert.ok(!r.capabilities.afterTls?.includes('CONDSTORE'), 'Dovecot lists more only after login');
      assert.deepEqual(r.auth.login, { attempted: true, ok: true, method: 'AUTHENTICATE PLAIN' });
      assert.ok(r.auth.mechanisms.includes('PLAIN'));
      assert.equal(r.auth.loginDisabled, false);
      // The fixture allows plaintext auth on the unencrypted link: that is exactly what the warning is for.
      assert.deepEqual(codes(r), ['plaintext-auth-unencrypted']);
      assert.ok(r.explanations.find((e) => e.capability === 'QRESYNC')?.offered);
      assert.deepEqual(r.phases.map((p) => p.name), ['dns', 'connect', 'greeting', 'capabilities', 'starttls', 'tls', 'capabilitiesAfterTls', 'login', 'capabilitiesAfterLogin', 'logout']);
      assert.ok(r.phases.every((p) => p.ok), JSON.stringify(r.phases));
      assert.ok(r.transcript?.some((l) => l.dir === 'C' && /AUTHENTICATE PLAIN \(secret\)$/.test(l.text)));
      assertNoSecret(r, alice.password);
    });

    it('IMAPS: implicit TLS, no capabilities before TLS, no warnings', async () => {
      const r = await probeEndpoint(`imaps://127.0.0.1:${d.ports.imaps}`, { ca: [ca.certPem], credentials: alice });
      assert.equal(r.failedPhase, undefined);
      assert.equal(r.tls.mode, 'implicit');
      assert.equal(r.capabilities.beforeTls, null);
      assert.ok(r.capabilities.afterTls?.length);
      assert.equal(r.auth.login.ok, true);
      assert.deepEqual(r.warnings, []);
      assertNoSecret(r, alice.password);
    });

    it('POP3: APOP timestamp in the greeting, CAPA before and after STLS and after USER/PASS', async () => {
      const r = await probeEndpoint(`pop3://alice@127.0.0.1:${d.ports.pop3}`, { ca: [ca.certPem], credentials: { password: alice.password } });
      assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
      assert.match(r.greeting.apopTimestamp ?? '', /^<[^<>@]+@[^<>]+>$/);
      assert.equal(r.auth.apop, true);
      assert.ok(r.greeting.banner?.endsWith(r.greeting.apopTimestamp ?? '!'));
      assert.ok(r.capabilities.beforeTls?.includes('STLS'));
      assert.ok(r.capabilities.afterTls?.includes('USER'));
      assert.ok(r.capabilities.afterLogin?.includes('UIDL'));
      assert.deepEqual(r.auth.login, { attempted: true, ok: true, method: 'USER/PASS' });
      assert.deepEqual(r.pop3, {}, 'Dovecot lists neither EXPIRE nor LOGIN-DELAY');
      assert.ok(r.explanations.find((e) => e.capability === 'UIDL')?.offered);
      assert.ok(r.transcript?.some((l) => l.text === 'PASS (secret)'));
      assertNoSecret(r, alice.password);
    });

    it('rejects a wrong password as a failed login phase, masking it', async () => {
      const r = await probeEndpoint(`imaps://127.0.0.1:${d.ports.imaps}`, { ca: [ca.certPem], credentials: { user: 'alice', password: 'not-alices-pw' } });
      assert.equal(r.failedPhase, 'login');
      assert.equal(r.error?.code, 'AuthFailed');
      assert.match(r.error?.message ?? '', /AUTHENTICATIONFAILED|Authentication failed/);
      assertNoSecret(r, 'not-alices-pw');
    });

    it('scans all endpoints of the host concurrently', async () => {
      const t0 = Date.now();
      const reports = await scanHost('127.0.0.1', { ports: { imap: d.ports.imap, imaps: d.ports.imaps, pop3: d.ports.pop3, pop3s: d.ports.pop3s }, ca: [ca.certPem] });
      const elapsed = Date.now() - t0;
      assert.deepEqual(reports.map((r) => r.scheme), ['imap', 'imaps', 'pop3', 'pop3s']);
      assert.ok(reports.every((r) => r.failedPhase === undefined));
      const sum = reports.reduce((s, r) => s + r.totalMs, 0);
      assert.ok(elapsed < sum, `the scan (${elapsed} ms) took less than the checks one after another (${sum} ms)`);
    });
  });

  describe('implicit TLS only, self-signed certificate', () => {
    let d: DovecotFixture;
    before(async () => {
      d = await dovecot({ implicitTlsOnly: true });
    });

    it('reports a self-signed certificate and does not send the password to it', async () => {
      const r = await probeEndpoint(`pop3s://127.0.0.1:${d.ports.pop3s}`, { credentials: d.users.alice });
      assert.equal(r.failedPhase, undefined);
      assert.equal(r.tls.mode, 'implicit');
      assert.equal(r.tls.authorized, false);
      assert.equal(r.tls.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.match(r.tls.authorizationReason ?? '', /self-signed/);
      assert.equal(r.tls.hostnameMatch, true);
      assert.equal(r.tls.certificate?.selfSigned, true);
      assert.equal(r.tls.certificate?.sha256, d.certSha256);
      assert.ok(codes(r).includes('certificate-self-signed'));
      assert.equal(r.auth.login.attempted, false);
      assert.match(r.auth.login.skipped ?? '', /DEPTH_ZERO_SELF_SIGNED_CERT/);
      assert.ok(!r.transcript?.some((l) => l.dir === 'C' && /^(USER|PASS)/.test(l.text)));
    });

    it('trusts the certificate an account pinned, and logs in', async () => {
      const r = await probeEndpoint(
        { id: 'a', protocol: 'imap', host: '127.0.0.1', port: d.ports.imaps, security: 'tls', user: 'alice', trustedCertificateSha256: d.certSha256 },
        { credentials: { password: d.users.alice.password } },
      );
      assert.equal(r.failedPhase, undefined);
      assert.equal(r.tls.pinned, true);
      assert.equal(r.auth.login.ok, true);
      assert.ok(!codes(r).includes('certificate-self-signed'));
      assertNoSecret(r, d.users.alice.password);
    });

    it('finds nothing listening on the plain ports', async () => {
      const reports = await scanHost('127.0.0.1', { ports: { imaps: d.ports.imaps, pop3s: d.ports.pop3s }, timeoutMs: 3000 });
      assert.deepEqual(reports.map((r) => [r.scheme, r.failedPhase, r.tls.mode]), [['imaps', undefined, 'implicit'], ['pop3s', undefined, 'implicit']]);
      assert.equal(d.ports.imap, 0);
    });
  });

  describe('plaintext authentication disabled before TLS', () => {
    let d: DovecotFixture;
    before(async () => {
      d = await dovecot({ makeCertificate: loopbackCertificate(ca), configExtra: 'disable_plaintext_auth = yes' });
    });

    // Dovecot trusts connections from its own address (127.0.0.1 to 127.0.0.1) as secure, so the
    // probe connects from 127.0.0.2 to be treated like a remote client.
    it('IMAP lists LOGINDISABLED before TLS, not after, and logs in after STARTTLS', async () => {
      const r = await probeEndpoint(`imap://127.0.0.1:${d.ports.imap}`, { ca: [ca.certPem], localAddress: '127.0.0.2', credentials: d.users.alice });
      assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
      assert.ok(r.capabilities.beforeTls?.includes('LOGINDISABLED'), JSON.stringify(r.capabilities.beforeTls));
      assert.ok(!r.capabilities.beforeTls?.includes('AUTH=PLAIN'));
      assert.ok(!r.capabilities.afterTls?.includes('LOGINDISABLED'));
      assert.equal(r.auth.loginDisabled, true);
      assert.equal(r.auth.plaintextBeforeTls, false);
      assert.equal(r.auth.login.ok, true);
      assert.deepEqual(r.warnings, []);
      assert.ok(r.explanations.find((e) => e.capability === 'LOGINDISABLED')?.offered);
    });

    it('POP3 hides USER before STLS', async () => {
      const r = await probeEndpoint(`pop3://127.0.0.1:${d.ports.pop3}`, { ca: [ca.certPem], localAddress: '127.0.0.2' });
      assert.ok(r.capabilities.beforeTls && !r.capabilities.beforeTls.includes('USER'));
      assert.ok(r.capabilities.afterTls?.includes('USER'));
      assert.equal(r.auth.plaintextBeforeTls, false);
      assert.ok(!codes(r).includes('plaintext-auth-unencrypted'));
    });
  });

  describe('an expired certificate', () => {
    let d: DovecotFixture;
    before(async () => {
      d = await dovecot({ makeCertificate: expiredCertificate(ca, 3) });
    });

    it('says the certificate expired, with the exact reason, and keeps the password', async () => {
      const r = await probeEndpoint(`imaps://127.0.0.1:${d.ports.imaps}`, { ca: [ca.certPem], credentials: d.users.alice });
      assert.equal(r.failedPhase, undefined);
      assert.equal(r.tls.authorized, false);
      assert.equal(r.tls.authorizationError, 'CERT_HAS_EXPIRED');
      assert.equal(r.tls.certificate?.daysToExpiry, -3);
      assert.equal(r.tls.certificate?.expired, true);
      assert.ok(codes(r).includes('certificate-expired'));
      assert.equal(r.auth.login.attempted, false);
    });

    it('logs in anyway with --insecure', async () => {
      const r = await probeEndpoint(`pop3s://127.0.0.1:${d.ports.pop3s}`, { ca: [ca.certPem], credentials: d.users.alice, insecure: true });
      assert.equal(r.auth.login.ok, true);
      assert.ok(codes(r).includes('certificate-expired'));
      assertNoSecret(r, d.users.alice.password);
    });
  });

  describe('a certificate for another host', () => {
    let d: DovecotFixture;
    before(async () => {
      d = await dovecot({ makeCertificate: wrongHostCertificate(ca, 'mail.wrong-host.example') });
    });

    it('reports the host name mismatch even though the chain verifies', async () => {
      const r = await probeEndpoint(`imap://127.0.0.1:${d.ports.imap}`, { ca: [ca.certPem] });
      assert.equal(r.failedPhase, undefined);
      assert.equal(r.tls.authorized, false);
      assert.equal(r.tls.authorizationError, 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.equal(r.tls.hostnameMatch, false);
      assert.match(r.tls.hostnameError ?? '', /127\.0\.0\.1/);
      assert.equal(r.tls.certificate?.san, 'DNS:mail.wrong-host.example');
      assert.ok(codes(r).includes('certificate-wrong-host'));
      assert.ok(!codes(r).includes('certificate-self-signed'));
    });

    it('checks the host name on its own when the chain does not verify either', async () => {
      const r = await probeEndpoint(`pop3s://127.0.0.1:${d.ports.pop3s}`);
      // The server sends leaf + its CA; the CA is nobody's trust anchor here.
      assert.equal(r.tls.authorizationError, 'SELF_SIGNED_CERT_IN_CHAIN');
      assert.equal(r.tls.hostnameMatch, false);
      assert.deepEqual(codes(r).sort(), ['certificate-untrusted', 'certificate-wrong-host']);
    });
  });
});
