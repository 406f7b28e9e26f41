// Hostile STARTTLS ports, played by small fakes (test/fixtures/startTlsFakes.ts) because no real
// server here can be made to do it: PREAUTH before TLS, STARTTLS refused, STARTTLS stripped from
// the capability list, data injected behind the STARTTLS answer. For IMAP, POP3, SMTP, the
// certificate reader behind the trust prompt and the probe: each error tells what happened, and
// no credential byte reaches the server before TLS.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccountConfig } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import { connectPop3 } from '../../src/protocol/pop3/connect';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { sendRaw } from '../../src/protocol/smtp/send';
import { fetchPeerCertificate } from '../../src/protocol/tls/certificate';
import { generateCertificate, GeneratedCertificate } from '../fixtures/net';
import { FakeProtocol, injectsAfterStartTls, preauthGreeting, refusesStartTls, StartTlsFake, stripsStartTls } from '../fixtures/startTlsFakes';
import { mailErrorOf } from '../fixtures/mailErrorOf';

const USER = 'alice';
const PASSWORD = 'never-in-plain-4711';
const SASL_PLAIN = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');

/** Connects the way Mailroom does for `protocol` (SMTP: sends one message) with STARTTLS. */
function signIn(protocol: FakeProtocol, port: number, pin?: string): Promise<unknown> {
  const trusted = pin ? { trustedCertificateSha256: pin } : {};
  const account: AccountConfig = { id: 'hostile', protocol: protocol === 'smtp' ? 'imap' : protocol, host: '127.0.0.1', port, security: 'starttls', user: USER, ...trusted };
  if (protocol === 'imap') return connectImap({ account, password: PASSWORD, log: silentLog, timeoutMs: 3000 }).then((c) => c.logout());
  if (protocol === 'pop3') return connectPop3({ account, password: PASSWORD, log: silentLog, timeoutMs: 3000 }).then((s) => s.quit());
  const withSmtp = { ...account, smtp: { host: '127.0.0.1', port, security: 'starttls' as const, ...trusted } };
  const raw = Buffer.from('From: alice@example.test\r\nTo: bob@example.test\r\nSubject: x\r\n\r\nbody\r\n');
  return sendRaw({ account: withSmtp, password: PASSWORD, log: silentLog, timeoutMs: 3000 }, { from: 'alice@example.test', to: ['bob@example.test'] }, raw);
}


function assertNoCredentialInPlain(server: StartTlsFake): void {
  for (const line of server.plaintextLines) {
    assert.ok(!line.includes(PASSWORD) && !line.includes(SASL_PLAIN), `credential in plain text: ${line}`);
    assert.doesNotMatch(line, /^(\S+ (LOGIN|AUTHENTICATE)|USER|PASS|APOP|AUTH)\b/i, `login command in plain text: ${line}`);
  }
}

describe('hostile STARTTLS ports (fakes)', function () {
  this.timeout(20_000);
  const servers: StartTlsFake[] = [];
  let dir: string;
  let cert: GeneratedCertificate;
  const start = async (server: Promise<StartTlsFake>): Promise<StartTlsFake> => {
    const s = await server;
    servers.push(s);
    return s;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-hostile-'));
    cert = generateCertificate(dir);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('PREAUTH greeting on a STARTTLS port', () => {
    it('IMAP refuses: logged in before TLS could start, not "no STARTTLS", and sends nothing sensitive', async () => {
      const s = await start(preauthGreeting());
      const err = await mailErrorOf(signIn('imap', s.port));
      assert.equal(err.code, 'StartTlsUnavailable');
      assert.equal(err.tlsReason, 'PREAUTH');
      assert.match(err.message, /logged the session in before TLS could be started/);
      assert.doesNotMatch(err.message, /does not offer/);
      assertNoCredentialInPlain(s);
    });

    it('the certificate reader (trust prompt) refuses too, without sending STARTTLS', async () => {
      const s = await start(preauthGreeting());
      const err = await mailErrorOf(fetchPeerCertificate({ protocol: 'imap', host: '127.0.0.1', port: s.port, security: 'starttls' }, 3000));
      assert.equal(err.tlsReason, 'PREAUTH');
      assert.deepEqual(s.plaintextLines, []);
    });

    it('the probe never sends STARTTLS after PREAUTH, warns `preauth`, and claims no plaintext login', async () => {
      const s = await start(preauthGreeting());
      const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { credentials: { user: USER, password: PASSWORD }, timeoutMs: 3000 });
      assert.ok(!s.plaintextLines.some((l) => /STARTTLS/i.test(l)), s.plaintextLines.join(' | '));
      const codes = r.warnings.map((w) => w.code);
      assert.ok(codes.includes('preauth'), codes.join(', '));
      assert.ok(!codes.includes('plaintext-auth-unencrypted'), codes.join(', '));
      assert.equal(r.auth.plaintextBeforeTls, false);
      assert.equal(r.auth.login.attempted, false);
      assert.match(r.phases.find((p) => p.name === 'starttls')?.skipped ?? '', /PREAUTH/);
      assertNoCredentialInPlain(s);
    });
  });

  describe('STARTTLS answered NO/BAD/-ERR/454', () => {
    const cases: Array<[FakeProtocol, string, RegExp]> = [
      ['imap', 'NO [UNAVAILABLE] TLS is down for maintenance', /refused STARTTLS: "NO .*TLS is down for maintenance"/],
      ['imap', 'BAD STARTTLS not allowed now', /refused STARTTLS: "BAD .*STARTTLS not allowed now"/],
      ['pop3', '-ERR [SYS/TEMP] TLS is down for maintenance', /refused STLS: "(-ERR )?\[SYS\/TEMP\] TLS is down for maintenance"/],
      ['smtp', '454 4.7.0 TLS not available due to temporary reason', /refused STARTTLS: "454 4\.7\.0 TLS not available due to temporary reason"/],
    ];
    for (const [protocol, reply, story] of cases) {
      it(`${protocol.toUpperCase()} "${reply.split(' ')[0]}": the server refused STARTTLS, in its words`, async () => {
        const s = await start(refusesStartTls(protocol, reply));
        const err = await mailErrorOf(signIn(protocol, s.port));
        assert.equal(err.code, 'StartTlsUnavailable', err.message);
        assert.match(err.message, story);
        assert.doesNotMatch(err.message, /does not offer/);
        assertNoCredentialInPlain(s);
      });
    }

    it('the certificate reader says the same for IMAP', async () => {
      const s = await start(refusesStartTls('imap', 'NO [UNAVAILABLE] TLS is down for maintenance'));
      const err = await mailErrorOf(fetchPeerCertificate({ protocol: 'imap', host: '127.0.0.1', port: s.port, security: 'starttls' }, 3000));
      assert.equal(err.code, 'StartTlsUnavailable');
      assert.match(err.message, /refused STARTTLS: "NO .*maintenance"/);
    });
  });

  describe('STARTTLS stripped from the capability list', () => {
    for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
      it(`${protocol.toUpperCase()}: "does not offer", and no credential in plain text`, async () => {
        const s = await start(stripsStartTls(protocol));
        const err = await mailErrorOf(signIn(protocol, s.port));
        assert.equal(err.code, 'StartTlsUnavailable', err.message);
        assert.match(err.message, protocol === 'pop3' ? /does not offer STLS/ : /does not offer STARTTLS/);
        assertNoCredentialInPlain(s);
      });
    }
  });

  describe('data injected behind the STARTTLS answer', () => {
    it('IMAP aborts before the handshake', async () => {
      const s = await start(injectsAfterStartTls('imap', '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n', cert.keyPem, cert.certPem));
      const err = await mailErrorOf(signIn('imap', s.port, cert.sha256));
      assert.equal(err.code, 'TlsFailed', err.message);
      assert.match(err.message, /sent data before the TLS handshake/);
      assertNoCredentialInPlain(s);
    });

    it('POP3 aborts before the handshake', async () => {
      const s = await start(injectsAfterStartTls('pop3', '+OK injected\r\n', cert.keyPem, cert.certPem));
      const err = await mailErrorOf(signIn('pop3', s.port, cert.sha256));
      assert.equal(err.code, 'TlsFailed', err.message);
      assertNoCredentialInPlain(s);
    });

    it('SMTP discards it and sends over TLS (the pinned path, where Mailroom runs STARTTLS itself)', async () => {
      const s = await start(injectsAfterStartTls('smtp', '250-AUTH PLAIN\r\n535 injected\r\n', cert.keyPem, cert.certPem));
      const result = (await signIn('smtp', s.port, cert.sha256)) as { accepted: string[] };
      assert.deepEqual(result.accepted, ['bob@example.test']);
      assertNoCredentialInPlain(s);
    });
  });
});
