// The probe against scripted fake servers, one per failure phase: every report names the phase
// that failed, within that phase's timeout, and nothing hangs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import type { ProbeReport } from '../../src/shared/probeReport';
import { generateCertificate, GeneratedCertificate, freePorts } from '../fixtures/net';
import {
  dropsAfterStartTls,
  FakeServer,
  garbageGreeting,
  neverGreets,
  pop3WithPolicy,
  slowGreeting,
  strippingImap,
  tlsHandshakeFails,
} from '../fixtures/probeFakeServers';

describe('probe: failure phases against scripted servers', function () {
  this.timeout(20_000);
  const servers: FakeServer[] = [];
  let cert: GeneratedCertificate;
  let certDir: string;
  const start = async (server: Promise<FakeServer>): Promise<FakeServer> => {
    const s = await server;
    servers.push(s);
    return s;
  };
  const failedPhase = (r: ProbeReport): string | undefined => r.failedPhase;

  before(() => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-probe-'));
    cert = generateCertificate(certDir);
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('names connect when nothing listens', async () => {
    const [port] = await freePorts(1);
    const r = await probeEndpoint(`imap://127.0.0.1:${port}`, { timeoutMs: 2000 });
    assert.equal(failedPhase(r), 'connect');
    assert.equal(r.error?.code, 'ConnectionRefused');
    assert.deepEqual(r.connect.ok, false);
    assert.match(r.connect.error ?? '', /refused/);
  });

  it('names the greeting when the server never greets, after the phase timeout', async () => {
    const s = await start(neverGreets());
    const t0 = Date.now();
    const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { timeoutMs: 400 });
    const elapsed = Date.now() - t0;
    assert.equal(failedPhase(r), 'greeting');
    assert.equal(r.error?.code, 'Timeout');
    assert.match(r.error?.message ?? '', /did not complete the greeting within 400 ms/);
    assert.ok(elapsed >= 380 && elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(r.connect.ok, true);
    assert.equal(r.phases.find((p) => p.name === 'greeting')?.ok, false);
  });

  it('names the greeting when the server sends garbage, quoting it', async () => {
    const s = await start(garbageGreeting());
    for (const scheme of ['imap', 'pop3', 'submission']) {
      const r = await probeEndpoint(`${scheme}://127.0.0.1:${s.port}`, { timeoutMs: 2000 });
      assert.equal(failedPhase(r), 'greeting', scheme);
      assert.equal(r.error?.code, 'ProtocolError', scheme);
      assert.match(r.error?.message ?? '', /HTTP\/1\.1 400 Bad Request/, scheme);
      assert.equal(r.greeting.ok, false);
    }
  });

  it('names TLS when the server drops the connection after accepting STARTTLS', async () => {
    const s = await start(dropsAfterStartTls());
    const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { timeoutMs: 2000 });
    assert.equal(failedPhase(r), 'tls');
    assert.equal(r.error?.code, 'TlsFailed');
    assert.equal(r.tls.mode, 'starttls');
    assert.equal(r.tls.starttlsOffered, true);
    assert.match(r.tls.starttlsResponse ?? '', /Begin TLS/);
    assert.equal(r.tls.ok, false);
    assert.deepEqual(r.capabilities.beforeTls, ['IMAP4rev1', 'STARTTLS', 'LOGINDISABLED']);
  });

  it('names TLS when an implicit-TLS port answers the handshake with plain text', async () => {
    const s = await start(tlsHandshakeFails());
    const r = await probeEndpoint(`imaps://127.0.0.1:${s.port}`, { timeoutMs: 2000 });
    assert.equal(failedPhase(r), 'tls');
    assert.equal(r.error?.code, 'TlsFailed');
    assert.equal(r.greeting.ok, false, 'nothing after the handshake ran');
    assert.ok(r.phases.every((p) => p.name !== 'greeting'));
  });

  it('warns about a slow greeting that still arrives within the timeout', async () => {
    const s = await start(slowGreeting(300));
    const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { timeoutMs: 3000, slowGreetingMs: 150 });
    assert.equal(r.failedPhase, undefined);
    assert.ok((r.greeting.ms ?? 0) >= 280, `greeting took ${r.greeting.ms} ms`);
    assert.ok(r.warnings.some((w) => w.code === 'greeting-slow'));
    assert.ok(r.warnings.some((w) => w.code === 'no-starttls'));
  });

  it('warns when the capabilities change after TLS in a way that suggests stripping', async () => {
    const s = await start(strippingImap(cert.keyPem, cert.certPem));
    const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { timeoutMs: 3000, ca: [cert.certPem] });
    assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
    const w = r.warnings.find((x) => x.code === 'capabilities-changed-after-tls');
    assert.ok(w, JSON.stringify(r.warnings));
    assert.match(w.message, /IDLE, CONDSTORE/);
  });

  it('reads POP3 EXPIRE, LOGIN-DELAY and IMPLEMENTATION, and warns when UIDL is missing', async () => {
    const s = await start(pop3WithPolicy({ expire: '5', loginDelay: '900', uidl: false, password: 'pop-secret-77' }));
    const r = await probeEndpoint(`pop3://127.0.0.1:${s.port}`, {
      timeoutMs: 3000,
      insecure: true,
      credentials: { user: 'carol', password: 'pop-secret-77' },
      leaveOnServerDays: 14,
    });
    assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
    assert.deepEqual(r.pop3, { expire: '5', loginDelay: '900' });
    assert.equal(r.greeting.implementation, 'FakePop 1.0');
    assert.equal(r.auth.apop, true);
    assert.equal(r.greeting.apopTimestamp, '<1896.697170952@policy.test>');
    assert.equal(r.auth.login.ok, true);
    const codes = r.warnings.map((w) => w.code);
    for (const code of ['pop3-no-uidl', 'pop3-expire-conflict', 'no-starttls', 'plaintext-auth-unencrypted'] as const) assert.ok(codes.includes(code), `${code} in ${codes.join(', ')}`);
    assert.ok(r.explanations.find((e) => e.capability === 'EXPIRE')?.offered);
    assert.ok(!JSON.stringify(r).includes('pop-secret-77'), 'the password is nowhere in the report');
  });

  it('reports a rejected password as a failed login, masked', async () => {
    const s = await start(pop3WithPolicy({ expire: 'NEVER', loginDelay: '0', password: 'right-one' }));
    const r = await probeEndpoint(`pop3://127.0.0.1:${s.port}`, { timeoutMs: 3000, insecure: true, credentials: { user: 'carol', password: 'wrong-one-123' } });
    assert.equal(r.failedPhase, 'login');
    assert.equal(r.error?.code, 'AuthFailed');
    assert.equal(r.auth.login.ok, false);
    assert.ok(r.transcript?.some((l) => l.text === 'PASS (secret)'));
    assert.ok(!JSON.stringify(r).includes('wrong-one-123'));
  });

  it('does not send a password over an unencrypted link without --insecure', async () => {
    const s = await start(pop3WithPolicy({ expire: 'NEVER', loginDelay: '0', password: 'never-sent-1' }));
    const r = await probeEndpoint(`pop3://127.0.0.1:${s.port}`, { timeoutMs: 3000, credentials: { user: 'carol', password: 'never-sent-1' } });
    assert.equal(r.failedPhase, undefined);
    assert.equal(r.auth.login.attempted, false);
    assert.match(r.auth.login.skipped ?? '', /not encrypted/);
    assert.ok(!r.transcript?.some((l) => l.dir === 'C' && /^(USER|PASS)/.test(l.text)), 'no USER/PASS was sent');
    assert.ok(r.transcript?.some((l) => l.dir === 'C' && l.text === 'QUIT'), 'the dialogue ran to the end');
  });
});
