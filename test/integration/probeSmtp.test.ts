// The probe against smtp-server: the SMTP sink as the other tests use it, and variants with and
// without STARTTLS, implicit TLS, AUTH only after TLS, AUTH LOGIN only, and no AUTH at all.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { renderMarkdown } from '../../src/protocol/probe/render';
import type { ProbeReport } from '../../src/shared/probeReport';
import { createTestCa, loopbackCertificate, TestCa } from '../fixtures/certificates';
import type { GeneratedCertificate } from '../fixtures/net';
import { SmtpSink, startSmtpSink } from '../fixtures/smtpSink';
import { SmtpVariant, SmtpVariantOptions, startSmtpVariant } from '../fixtures/smtpVariants';

const USERS = { carol: 'carol-smtp-pw-5' };
const codes = (r: ProbeReport): string[] => r.warnings.map((w) => w.code);

function assertNoSecret(r: ProbeReport, user: string, password: string): void {
  const text = JSON.stringify(r) + renderMarkdown([r], { transcript: true });
  for (const s of [password, Buffer.from(password).toString('base64'), Buffer.from(`\0${user}\0${password}`).toString('base64')]) {
    assert.ok(!text.includes(s), `"${s}" leaked`);
  }
}

describe('probe against smtp-server', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: TestCa;
  let cert: GeneratedCertificate;
  const stoppers: Array<() => Promise<void>> = [];
  const variant = async (options: Omit<SmtpVariantOptions, 'key' | 'cert'>): Promise<SmtpVariant> => {
    const v = await startSmtpVariant({ ...options, key: cert.keyPem, cert: cert.certPem, users: USERS });
    stoppers.push(() => v.stop());
    return v;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-probe-smtp-'));
    ca = createTestCa(path.join(dir, 'ca'));
    cert = loopbackCertificate(ca)(path.join(dir, 'leaf'));
  });

  after(async () => {
    await Promise.all(stoppers.map((stop) => stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the SMTP sink: STARTTLS, AUTH offered in the clear, and smtp-server’s stale test certificate', async () => {
    const sink: SmtpSink = await startSmtpSink();
    stoppers.push(() => sink.stop());
    const r = await probeEndpoint(`submission://127.0.0.1:${sink.port}`, { credentials: { user: 'carol', password: USERS.carol } });
    assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
    assert.match(r.greeting.banner ?? '', /^localhost ESMTP Mailroom SMTP sink/);
    assert.ok(r.capabilities.beforeTls?.includes('STARTTLS'));
    assert.ok(r.capabilities.beforeTls?.some((l) => /^AUTH /.test(l)));
    assert.equal(r.tls.mode, 'starttls');
    assert.match(r.tls.starttlsResponse ?? '', /^220 /);
    assert.equal(r.tls.authorized, false);
    assert.equal(r.tls.certificate?.expired, true);
    for (const code of ['plaintext-auth-unencrypted', 'certificate-expired', 'certificate-self-signed', 'certificate-wrong-host']) {
      assert.ok(codes(r).includes(code), `${code} in ${codes(r).join(', ')}`);
    }
    assert.equal(r.auth.login.attempted, false, 'no password to an unverified certificate');
  });

  it('STARTTLS with AUTH only after TLS: logs in, lists SIZE, no warnings', async () => {
    const v = await variant({ size: 5_000_000 });
    const r = await probeEndpoint(`submission://127.0.0.1:${v.port}`, { ca: [ca.certPem], credentials: { user: 'carol', password: USERS.carol } });
    assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
    assert.ok(!r.capabilities.beforeTls?.some((l) => l.startsWith('AUTH')));
    assert.ok(r.capabilities.afterTls?.includes('AUTH PLAIN LOGIN'));
    assert.ok(r.capabilities.afterTls?.includes('SIZE 5000000'));
    assert.deepEqual(r.auth.mechanisms, ['PLAIN', 'LOGIN']);
    assert.deepEqual(r.auth.login, { attempted: true, ok: true, method: 'AUTH PLAIN' });
    assert.ok(r.capabilities.afterLogin && !r.capabilities.afterLogin.some((l) => l.startsWith('AUTH')), 'EHLO after AUTH no longer offers AUTH');
    assert.deepEqual(r.warnings, []);
    const offered = r.explanations.filter((e) => e.offered).map((e) => e.capability);
    for (const cap of ['SIZE', '8BITMIME', 'SMTPUTF8', 'PIPELINING', 'AUTH', 'STARTTLS']) assert.ok(offered.includes(cap), `${cap} in ${offered.join(', ')}`);
    assert.ok(r.transcript?.some((l) => l.text === 'AUTH PLAIN (secret)'));
    assertNoSecret(r, 'carol', USERS.carol);
  });

  it('implicit TLS (smtps), AUTH LOGIN only: both base64 lines masked', async () => {
    const v = await variant({ secure: true, authMethods: ['LOGIN'] });
    const r = await probeEndpoint(`smtps://127.0.0.1:${v.port}`, { ca: [ca.certPem], credentials: { user: 'carol', password: USERS.carol } });
    assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
    assert.equal(r.tls.mode, 'implicit');
    assert.equal(r.capabilities.beforeTls, null);
    assert.deepEqual(r.auth.login, { attempted: true, ok: true, method: 'AUTH LOGIN' });
    const client = r.transcript?.filter((l) => l.dir === 'C').map((l) => l.text) ?? [];
    assert.deepEqual(client.slice(client.indexOf('AUTH LOGIN'), client.indexOf('AUTH LOGIN') + 3), ['AUTH LOGIN', '(secret)', '(secret)']);
    assert.ok(!JSON.stringify(r).includes(Buffer.from('carol').toString('base64')), 'the base64 user name is masked too');
    assertNoSecret(r, 'carol', USERS.carol);
  });

  it('a wrong SMTP password fails the login phase with 535, masked', async () => {
    const v = await variant({});
    const r = await probeEndpoint(`submission://127.0.0.1:${v.port}`, { ca: [ca.certPem], credentials: { user: 'carol', password: 'nope-nope-9' } });
    assert.equal(r.failedPhase, 'login');
    assert.equal(r.error?.code, 'AuthFailed');
    assert.match(r.error?.message ?? '', /535/);
    assertNoSecret(r, 'carol', 'nope-nope-9');
  });

  it('no STARTTLS and no AUTH (an MX on port 25): warns, and skips login instead of failing', async () => {
    const v = await variant({ starttls: false, auth: false });
    const r = await probeEndpoint(`smtp://127.0.0.1:${v.port}`, { credentials: { user: 'carol', password: USERS.carol }, insecure: true });
    assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
    assert.equal(r.tls.mode, 'none');
    assert.equal(r.tls.starttlsOffered, false);
    assert.equal(r.capabilities.afterTls, null);
    assert.deepEqual(codes(r), ['no-starttls']);
    assert.equal(r.auth.login.attempted, false);
    assert.equal(r.auth.login.skipped, 'the server offers no AUTH here');
    assert.ok(r.phases.find((p) => p.name === 'starttls')?.skipped);
  });

  it('AUTH in the clear without STARTTLS: both warnings', async () => {
    const v = await variant({ starttls: false, authBeforeTls: true });
    const r = await probeEndpoint(`submission://127.0.0.1:${v.port}`);
    assert.deepEqual(codes(r).sort(), ['no-starttls', 'plaintext-auth-unencrypted']);
    assert.equal(r.auth.plaintextBeforeTls, true);
  });
});
