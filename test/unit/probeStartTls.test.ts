// The STARTTLS findings' pure parts: how each server answer to a random password before TLS is
// read (real servers' words), and the warnings a report with findings gets.
import * as assert from 'node:assert/strict';
import { judgeImap, judgePop3, judgeSmtp } from '../../src/protocol/probe/plaintextAuth';
import { renderMarkdown } from '../../src/protocol/probe/render';
import { computeWarnings } from '../../src/protocol/probe/warnings';
import type { ProbeReport, StartTlsFindings } from '../../src/shared/probeReport';

function report(starttls: StartTlsFindings, protocol: ProbeReport['protocol'] = 'imap'): ProbeReport {
  return {
    url: `${protocol}://mail.example.test`,
    protocol,
    scheme: protocol,
    host: 'mail.example.test',
    port: 143,
    startedAt: '2026-01-01T00:00:00.000Z',
    totalMs: 10,
    connect: { ok: true, ms: 1 },
    greeting: { ok: true, ms: 1, banner: '* OK ready' },
    tls: { mode: 'starttls', ok: true, starttlsOffered: true, authorized: true, hostnameMatch: true },
    capabilities: { beforeTls: ['IMAP4rev1', 'STARTTLS', 'LOGINDISABLED'], afterTls: ['IMAP4rev1', 'AUTH=PLAIN'], afterLogin: null },
    auth: { mechanisms: ['PLAIN'], apop: false, loginDisabled: true, plaintextBeforeTls: false, login: { attempted: false, skipped: 'no credentials given' } },
    starttls,
    warnings: [],
    explanations: [],
    phases: [],
  };
}

describe('probe: reading the answer to a random password before TLS', () => {
  const cases: Array<[string, ReturnType<typeof judgeImap>['verdict'], () => ReturnType<typeof judgeImap>]> = [
    ['Dovecot, disable_plaintext_auth = yes', 'refused', () => judgeImap('a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.')],
    ['Dovecot, allowed', 'accepted', () => judgeImap('a NO [AUTHENTICATIONFAILED] Authentication failed.')],
    ['Cyrus', 'accepted', () => judgeImap('a NO Login failed: authentication failure')],
    ['Courier with LOGINDISABLED', 'refused', () => judgeImap('a BAD LOGIN disabled')],
    ['a server that lets anyone in', 'logged-in', () => judgeImap('a OK [CAPABILITY IMAP4rev1] Logged in')],
    ['a server that is down', 'inconclusive', () => judgeImap('a NO [UNAVAILABLE] try later')],
    ['Dovecot POP3 refuses at USER', 'refused', () => judgePop3('-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', 'user')],
    ['Dovecot POP3 checks at PASS', 'accepted', () => judgePop3('-ERR [AUTH] Authentication failed.', 'pass')],
    ['POP3 without USER', 'not-offered', () => judgePop3('-ERR Unknown command: USER', 'user')],
    ['POP3 server busy', 'inconclusive', () => judgePop3('-ERR [SYS/TEMP] try later', 'pass')],
    ['smtp-server / Exchange 538', 'refused', () => judgeSmtp('538 Error: Must issue a STARTTLS command first')],
    ['Postfix-style 530', 'refused', () => judgeSmtp('530 5.7.0 Must issue a STARTTLS command first')],
    ['535', 'accepted', () => judgeSmtp('535 5.7.8 Error: authentication failed: authentication failure')],
    ['Postfix smtpd_tls_auth_only', 'not-offered', () => judgeSmtp('503 5.5.1 Error: authentication not enabled')],
    ['235', 'logged-in', () => judgeSmtp('235 2.7.0 Authentication successful')],
  ];
  for (const [server, verdict, judge] of cases) {
    it(`${server}: ${verdict}`, () => assert.equal(judge().verdict, verdict));
  }
});

describe('probe: STARTTLS warnings', () => {
  const evidence = [{ t: 5, dir: 'S' as const, text: '[injection] b OK NOOP completed' }];

  it('a vulnerable injection verdict, a discarded response and an accepted password each warn once, with a stable code', () => {
    const r = report({
      responseInjection: { bytes: 20, text: '* CAPABILITY X-INJ\r\n' },
      commandInjection: { verdict: 'vulnerable', detail: 'Over TLS, the server answered "b OK".', sent: ['a STARTTLS', 'b NOOP'], evidence, ms: 700 },
      plaintextAuth: { verdict: 'accepted', method: 'LOGIN', answer: 'a NO [AUTHENTICATIONFAILED] x', detail: 'Before TLS, LOGIN ...', evidence: [], ms: 5 },
    });
    const codes = computeWarnings(r).map((w) => w.code);
    assert.deepEqual(codes.filter((c) => /starttls|plaintext-auth-accepted/.test(c)), ['starttls-response-injection', 'starttls-command-injection', 'plaintext-auth-accepted']);
    const md = renderMarkdown([{ ...r, warnings: computeWarnings(r) }]);
    assert.match(md, /### STARTTLS checks/);
    assert.match(md, /STARTTLS command injection: VULNERABLE/);
    assert.match(md, /b OK NOOP completed/, 'the evidence is in the report');
  });

  it('verdicts that are not findings warn about nothing', () => {
    for (const verdict of ['not-vulnerable', 'not-applicable', 'inconclusive'] as const) {
      const r = report({
        commandInjection: { verdict, detail: 'x', sent: [], evidence: [], ms: 1 },
        plaintextAuth: { verdict: verdict === 'not-vulnerable' ? 'refused' : verdict, method: 'LOGIN', detail: 'x', evidence: [], ms: 1 },
      });
      assert.deepEqual(computeWarnings(r), [], verdict);
    }
  });
});
