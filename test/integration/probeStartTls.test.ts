// The server check's STARTTLS findings: response injection (passive, every check), and with
// `deep` STARTTLS command injection and whether a password is taken before TLS. Real Dovecot set
// up both ways (disable_plaintext_auth yes/no) and smtp-server (AUTH before TLS or not) answer
// what real servers do, Dovecot's negative injection verdict included; small fakes play what no
// server here can be made to do (answering an injected command, injecting a response, PREAUTH).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli/mailroomCheck';
import { probeEndpoint } from '../../src/protocol/probe/probe';
import { renderMarkdown } from '../../src/protocol/probe/render';
import type { ProbeReport } from '../../src/shared/probeReport';
import { createTestCa, loopbackCertificate, TestCa } from '../fixtures/certificates';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import type { GeneratedCertificate } from '../fixtures/net';
import { startSmtpVariant } from '../fixtures/smtpVariants';
import { answersInjectedCommand, FakeProtocol, injectsAfterStartTls, preauthGreeting, StartTlsFake } from '../fixtures/startTlsFakes';
import { neverGreets } from '../fixtures/probeFakeServers';
import { requireDovecot } from './requireDovecot';

const codes = (r: ProbeReport): string[] => r.warnings.map((w) => w.code);
const SCHEME: Record<FakeProtocol, string> = { imap: 'imap', pop3: 'pop3', smtp: 'submission' };

describe('probe: STARTTLS findings', function () {
  this.timeout(60_000);
  let dir: string;
  let ca: TestCa;
  let cert: GeneratedCertificate;
  const stoppers: Array<() => Promise<void>> = [];
  const fake = async (server: Promise<StartTlsFake>): Promise<StartTlsFake> => {
    const s = await server;
    stoppers.push(() => s.stop());
    return s;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-probe-starttls-'));
    ca = createTestCa(path.join(dir, 'ca'));
    cert = loopbackCertificate(ca)(path.join(dir, 'leaf'));
  });
  after(async () => {
    await Promise.all(stoppers.map((stop) => stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('a response injected behind the STARTTLS answer (fake)', () => {
    // Each injection looks exactly like the answer the check's next command gets after TLS, so
    // reading it as TLS data would show up as X-INJECTED in the list after TLS.
    const injected: Record<FakeProtocol, string> = {
      imap: '* CAPABILITY IMAP4rev1 X-INJECTED\r\nP3 OK injected\r\n',
      pop3: '+OK\r\nX-INJECTED\r\n.\r\n',
      smtp: '250-fake.test\r\n250 X-INJECTED\r\n',
    };
    for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
      it(`${protocol.toUpperCase()}: discarded, never read as TLS data, and warned about`, async () => {
        const s = await fake(injectsAfterStartTls(protocol, injected[protocol], cert.keyPem, cert.certPem));
        const r = await probeEndpoint(`${SCHEME[protocol]}://127.0.0.1:${s.port}`, { ca: [ca.certPem], timeoutMs: 3000 });
        assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
        assert.equal(r.tls.ok, true);
        assert.ok(r.capabilities.afterTls?.length, 'the real list after TLS was read');
        assert.ok(!JSON.stringify(r.capabilities.afterTls).includes('X-INJECTED'), JSON.stringify(r.capabilities.afterTls));
        assert.equal(r.starttls?.responseInjection?.bytes, Buffer.byteLength(injected[protocol]));
        assert.match(r.starttls?.responseInjection?.text ?? '', /X-INJECTED/);
        assert.ok(codes(r).includes('starttls-response-injection'), codes(r).join(', '));
        assert.ok(r.transcript?.some((l) => l.dir === 'S' && /^\(discarded\) .*X-INJECTED/.test(l.text)), 'the transcript shows what was dropped');
      });
    }
  });

  describe('STARTTLS command injection (fake that answers the injected command over TLS)', () => {
    const answer: Record<FakeProtocol, RegExp> = { imap: /^\[injection\] b OK/, pop3: /^\[injection\] \+OK/, smtp: /^\[injection\] 250[ -]/ };
    for (const protocol of ['imap', 'pop3', 'smtp'] as const) {
      it(`${protocol.toUpperCase()}: vulnerable, with the write and the answer over TLS as evidence`, async () => {
        const s = await fake(answersInjectedCommand(protocol, cert.keyPem, cert.certPem));
        const r = await probeEndpoint(`${SCHEME[protocol]}://127.0.0.1:${s.port}`, { ca: [ca.certPem], timeoutMs: 3000, deep: true });
        assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
        const check = r.starttls?.commandInjection;
        assert.equal(check?.verdict, 'vulnerable', check?.detail);
        const tlsAt = check.evidence.findIndex((l) => /TLS established/.test(l.text));
        const answerAt = check.evidence.findIndex((l, i) => i > tlsAt && l.dir === 'S' && answer[protocol].test(l.text));
        assert.ok(tlsAt >= 0 && answerAt > tlsAt, `the answer came over TLS: ${JSON.stringify(check.evidence)}`);
        assert.ok(check.evidence.some((l) => l.dir === 'C' && l.text === `[injection] ${check.sent[1]}`), 'the injected command is in the evidence');
        const w = r.warnings.find((x) => x.code === 'starttls-command-injection');
        assert.ok(w, codes(r).join(', '));
        assert.match(w.message, /CVE-2011-0411/);
        assert.ok(!codes(r).includes('starttls-response-injection'), 'the main check saw no injected response');
      });
    }

    it('without deep, no extra connection and no verdict', async () => {
      const s = await fake(answersInjectedCommand('imap', cert.keyPem, cert.certPem));
      const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { ca: [ca.certPem], timeoutMs: 3000 });
      assert.equal(r.starttls, undefined);
      assert.equal(s.connections, 1);
    });
  });

  describe('mailroom-check --deep', () => {
    const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
      return { code, out, err };
    };

    it('JSON and Markdown carry the injection verdict, its evidence and the warning; exit 1 with --fail-on warning', async () => {
      const s = await fake(answersInjectedCommand('smtp', cert.keyPem, cert.certPem));
      const url = `submission://127.0.0.1:${s.port}`;
      const json = await run([url, '--deep', '--json', '--timeout', '3000', '--ca', ca.certPath, '--fail-on', 'warning']);
      assert.equal(json.code, EXIT.warnings, json.err);
      const [r] = JSON.parse(json.out) as ProbeReport[];
      assert.equal(r.starttls?.commandInjection?.verdict, 'vulnerable');
      assert.ok(r.starttls.commandInjection.evidence.some((l) => /^\[injection\] 250/.test(l.text)));
      assert.equal(r.starttls.plaintextAuth?.verdict, 'refused', 'the fake answers AUTH before TLS with 530');
      assert.ok(codes(r).includes('starttls-command-injection'));
      const md = await run([url, '--deep', '--timeout', '3000', '--ca', ca.certPath]);
      assert.match(md.out, /`starttls-command-injection`/);
      assert.match(md.out, /STARTTLS command injection: VULNERABLE/);
      assert.match(md.out, /Password before TLS: refused until TLS/);
    });

    it('--help names --deep', async () => {
      assert.match((await run(['--help'])).out, /--deep/);
    });
  });

  describe('a server that never greets', () => {
    it('the side checks end as inconclusive within the timeout, and the check does not hang', async () => {
      const s = await neverGreets();
      stoppers.push(() => s.stop());
      const t0 = Date.now();
      const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { timeoutMs: 400, deep: true });
      const elapsed = Date.now() - t0;
      assert.equal(r.failedPhase, 'greeting');
      for (const check of [r.starttls?.commandInjection, r.starttls?.plaintextAuth]) {
        assert.equal(check?.verdict, 'inconclusive');
        assert.match(check.detail, /within 400 ms/);
      }
      assert.ok(elapsed < 2000, `took ${elapsed} ms`);
      assert.equal(s.connections, 3);
    });
  });

  describe('PREAUTH greeting on a STARTTLS port (fake)', () => {
    it('the deep checks send neither STARTTLS nor a password, and say why', async () => {
      const s = await fake(preauthGreeting());
      const r = await probeEndpoint(`imap://127.0.0.1:${s.port}`, { timeoutMs: 3000, deep: true });
      assert.equal(s.connections, 3, 'main, injection and plaintext-login connections');
      assert.ok(!s.plaintextLines.some((l) => /STARTTLS|LOGIN/i.test(l)), s.plaintextLines.join(' | '));
      assert.equal(r.starttls?.commandInjection?.verdict, 'not-applicable');
      assert.equal(r.starttls?.plaintextAuth?.verdict, 'not-applicable');
      assert.match(r.starttls?.plaintextAuth?.detail ?? '', /PREAUTH/);
      assert.ok(codes(r).includes('preauth'));
      assert.ok(!codes(r).includes('plaintext-auth-accepted'));
    });
  });

  describe('smtp-server: AUTH before TLS refused (538), hidden (500) or checked (535)', () => {
    it('hidden until TLS, as Postfix smtpd_tls_auth_only does: not offered', async () => {
      const v = await startSmtpVariant({ key: cert.keyPem, cert: cert.certPem, reverseLookup: false });
      stoppers.push(() => v.stop());
      const r = await probeEndpoint(`submission://127.0.0.1:${v.port}`, { ca: [ca.certPem], timeoutMs: 3000, deep: true });
      const check = r.starttls?.plaintextAuth;
      assert.equal(check?.verdict, 'not-offered', check?.detail);
      assert.ok(!codes(r).includes('plaintext-auth-accepted'));
    });

    it('refused: "use STARTTLS first" is not acceptance', async () => {
      const v = await startSmtpVariant({ key: cert.keyPem, cert: cert.certPem, reverseLookup: false, listAuthBeforeTls: true });
      stoppers.push(() => v.stop());
      const r = await probeEndpoint(`submission://127.0.0.1:${v.port}`, { ca: [ca.certPem], timeoutMs: 3000, deep: true });
      const check = r.starttls?.plaintextAuth;
      assert.equal(check?.verdict, 'refused', check?.detail);
      assert.match(check.answer ?? '', /^538 /);
      assert.ok(!codes(r).includes('plaintext-auth-accepted'));
      assert.equal(r.starttls?.commandInjection?.verdict, 'not-vulnerable', r.starttls?.commandInjection?.detail);
    });

    it('checked: a 535 for a random user means passwords are taken in the clear', async () => {
      const v = await startSmtpVariant({ key: cert.keyPem, cert: cert.certPem, reverseLookup: false, authBeforeTls: true, users: { carol: 'x-pass-1' } });
      stoppers.push(() => v.stop());
      const r = await probeEndpoint(`submission://127.0.0.1:${v.port}`, { ca: [ca.certPem], timeoutMs: 3000, deep: true });
      const check = r.starttls?.plaintextAuth;
      assert.equal(check?.verdict, 'accepted', check?.detail);
      assert.match(check.answer ?? '', /^535 /);
      assert.ok(check.evidence.some((l) => l.dir === 'C' && /^\[plaintext-login\] AUTH PLAIN \(secret\)$/.test(l.text)), JSON.stringify(check.evidence));
      assert.ok(codes(r).includes('plaintext-auth-accepted'), codes(r).join(', '));
    });
  });

  describe('Dovecot, STARTTLS, plaintext auth allowed and disallowed', () => {
    const dovecots: DovecotFixture[] = [];
    let open: DovecotFixture;
    let strict: DovecotFixture;
    before(async function () {
      requireDovecot(this);
      open = await startDovecot({ makeCertificate: loopbackCertificate(ca), configExtra: 'disable_plaintext_auth = no' });
      dovecots.push(open);
      strict = await startDovecot({ makeCertificate: loopbackCertificate(ca), configExtra: 'disable_plaintext_auth = yes' });
      dovecots.push(strict);
    });
    after(async () => {
      await Promise.all(dovecots.map((d) => d.stop()));
    });

    // Dovecot trusts connections from its own address as secure: the check comes from 127.0.0.2.
    const deepCheck = (scheme: 'imap' | 'pop3', d: DovecotFixture): Promise<ProbeReport> =>
      probeEndpoint(`${scheme}://127.0.0.1:${d.ports[scheme]}`, { ca: [ca.certPem], localAddress: '127.0.0.2', timeoutMs: 5000, deep: true });

    for (const scheme of ['imap', 'pop3'] as const) {
      it(`${scheme.toUpperCase()} disable_plaintext_auth = no: the random password is checked, so plaintext auth is accepted`, async () => {
        const r = await deepCheck(scheme, open);
        assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
        const check = r.starttls?.plaintextAuth;
        assert.equal(check?.verdict, 'accepted', check?.detail);
        assert.match(check.answer ?? '', scheme === 'imap' ? /\[AUTHENTICATIONFAILED\]/ : /^-ERR \[AUTH\] Authentication failed/);
        assert.ok(codes(r).includes('plaintext-auth-accepted'), codes(r).join(', '));
      });

      it(`${scheme.toUpperCase()} disable_plaintext_auth = yes: refused as "TLS first", no warning`, async () => {
        const r = await deepCheck(scheme, strict);
        assert.equal(r.failedPhase, undefined, JSON.stringify(r.error));
        const check = r.starttls?.plaintextAuth;
        assert.equal(check?.verdict, 'refused', check?.detail);
        assert.match(check.answer ?? '', /PRIVACYREQUIRED|Plaintext authentication disallowed/);
        assert.ok(!codes(r).includes('plaintext-auth-accepted'), codes(r).join(', '));
      });

      it(`${scheme.toUpperCase()}: Dovecot is not vulnerable to STARTTLS command injection, and the check says so`, async () => {
        const r = await deepCheck(scheme, strict);
        const check = r.starttls?.commandInjection;
        assert.equal(check?.verdict, 'not-vulnerable', check?.detail);
        // Dovecot closes the connection when data follows STARTTLS: the handshake fails, and says so.
        assert.ok(check.evidence.some((l) => l.dir === 'C' && l.text === `[injection] ${check.sent[1]}`), JSON.stringify(check.evidence));
        assert.ok(check.evidence.some((l) => /TLS established|handshake .* failed/.test(l.text)), JSON.stringify(check.evidence));
        assert.ok(!codes(r).includes('starttls-command-injection'));
        assert.match(renderMarkdown([r]), /STARTTLS command injection: not vulnerable/);
      });
    }
  });
});
