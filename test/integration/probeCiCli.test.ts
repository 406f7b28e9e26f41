// mailroom-check in a server project's CI, end to end as a child process against real Dovecot:
// --junit, --fail-on, --ports, and `diff` between two runs with Dovecot configured two ways.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReportDiff } from '../../src/protocol/probe/diff';
import type { ProbeReport } from '../../src/shared/probeReport';
import { createTestCa, expiredCertificate, loopbackCertificate, TestCa } from '../fixtures/certificates';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { parseJunit } from '../fixtures/junitXml';
import { freePorts } from '../fixtures/net';
import { FakeServer, hostileGreeting } from '../fixtures/probeFakeServers';
import { schemaErrors } from '../fixtures/reportSchema';
import { runCli } from '../fixtures/runCli';
import { requireDovecot } from './requireDovecot';

const PASSWORD_ENV = 'MAILROOM_CI_TEST_PASSWORD';

describe('mailroom-check in CI (child process, real Dovecot)', function () {
  this.timeout(120_000);
  let d: DovecotFixture;
  let ca: TestCa;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let login: string[];

  before(async function () {
    requireDovecot(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-ci-'));
    ca = createTestCa(path.join(dir, 'ca'));
    d = await startDovecot({ makeCertificate: loopbackCertificate(ca) });
    env = { [PASSWORD_ENV]: d.users.alice.password };
    login = ['--ca', ca.certPath, '--user', 'alice', '--password-env', PASSWORD_ENV];
  });

  after(async () => {
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const endpoints = (): string[] => [`imap://127.0.0.1:${d.ports.imap}`, `imaps://127.0.0.1:${d.ports.imaps}`, `pop3s://127.0.0.1:${d.ports.pop3s}`];

  it('--deep --junit: a warning from a deep probe carries that probe\'s lines, not the other connections\'', async () => {
    const out = path.join(dir, 'junit-deep', 'deep.xml');
    const r = await runCli([`imap://127.0.0.1:${d.ports.imap}`, ...login, '--deep', '--junit', out], env);
    assert.equal(r.code, 0, r.err);
    const [suite] = parseJunit(fs.readFileSync(out, 'utf8')).testsuite;
    const accepted = suite.testcase.find((c) => c['@_name'] === 'warning plaintext-auth-accepted');
    assert.ok(accepted, suite.testcase.map((c) => c['@_name']).join(', '));
    const lines = (accepted['system-out'] ?? '').split('\n');
    assert.match(lines[0], /C \[plaintext-login\] a LOGIN "mailroom-check-[0-9a-f]+" "\(secret\)"/);
    assert.ok(lines.every((l) => l.includes('[plaintext-login]')), lines.join('\n'));
    assert.ok(lines.length <= 4, lines.join('\n'));
    const unencrypted = suite.testcase.find((c) => c['@_name'] === 'warning plaintext-auth-unencrypted')!;
    const excerpt = unencrypted['system-out'] ?? '';
    assert.match(excerpt, /S \* CAPABILITY .*AUTH=PLAIN/);
    assert.doesNotMatch(excerpt, /\[(injection|plaintext-login)\]/, 'the side connections ran meanwhile but decided nothing here');
    // The phases' own excerpts still point at their lines in the merged transcript.
    const loginPhase = suite.testcase.find((c) => c['@_name'] === 'phase login')!;
    assert.match(loginPhase['system-out'] ?? '', /C P\d+ AUTHENTICATE PLAIN \(secret\)/);
  });

  it('writes JUnit XML: a testcase per phase and per warning; exit 0, or 1 with --fail-on warning', async () => {
    const out = path.join(dir, 'junit', 'mail.xml');
    const r = await runCli([...endpoints(), ...login, '--junit', out], env);
    assert.equal(r.code, 0, `warnings alone do not fail by default: ${r.err}`);
    assert.deepEqual(fs.readdirSync(path.dirname(out)), ['mail.xml'], 'no temp file left behind');
    const xml = fs.readFileSync(out, 'utf8');
    assert.ok(!xml.includes(d.users.alice.password) && !xml.includes(Buffer.from(d.users.alice.password).toString('base64')), 'no password in the JUnit file');
    const root = parseJunit(xml);
    assert.deepEqual(root.testsuite.map((s) => s['@_name']), endpoints());
    const imap = root.testsuite[0];
    const names = imap.testcase.map((c) => c['@_name']);
    assert.deepEqual(names, ['phase dns', 'phase connect', 'phase greeting', 'phase capabilities', 'phase starttls', 'phase tls', 'phase capabilitiesAfterTls', 'phase login', 'phase capabilitiesAfterLogin', 'phase logout', 'warning plaintext-auth-unencrypted']);
    const warning = imap.testcase.at(-1)!;
    assert.equal(warning.failure?.['@_type'], 'plaintext-auth-unencrypted');
    assert.match(warning.failure?.['@_message'] ?? '', /accepts a password on the unencrypted link/);
    const excerpt = warning['system-out'] ?? '';
    assert.match(excerpt, /C P\d+ CAPABILITY\n.*S \* CAPABILITY .*AUTH=PLAIN/, 'the lines that decided it: the capability list before TLS');
    assert.doesNotMatch(excerpt, /STARTTLS\n|AUTHENTICATE|LOGOUT|TLS established/, 'and only those');
    assert.match(imap.testcase.find((c) => c['@_name'] === 'phase login')?.['system-out'] ?? '', /C P\d+ AUTHENTICATE PLAIN \(secret\)/);
    assert.equal(imap['@_failures'], '1');
    assert.equal(imap['@_errors'], '0');
    assert.deepEqual(root.testsuite.slice(1).map((s) => [s['@_failures'], s['@_errors']]), [['0', '0'], ['0', '0']]);

    const strict = await runCli([...endpoints(), ...login, '--junit', out, '--fail-on', 'warning'], env);
    assert.equal(strict.code, 1, strict.err);
    const clean = await runCli([`imaps://127.0.0.1:${d.ports.imaps}`, ...login, '--fail-on', 'warning'], env);
    assert.equal(clean.code, 0, clean.err);
  });

  it('exits 2 when a check failed, with the failed phase as a JUnit <error>', async () => {
    const [closed] = await freePorts(1);
    const out = path.join(dir, 'failed.xml');
    const r = await runCli([`imaps://127.0.0.1:${d.ports.imaps}`, `imaps://127.0.0.1:${closed}`, '--ca', ca.certPath, '--junit', out, '--timeout', '3000'], env);
    assert.equal(r.code, 2);
    const root = parseJunit(fs.readFileSync(out, 'utf8'));
    assert.equal(root['@_errors'], '1');
    const connect = root.testsuite[1].testcase.find((c) => c['@_name'] === 'phase connect')!;
    assert.equal(connect.error?.['@_type'], 'ConnectionRefused');
  });

  it('exits 2 and says so when the JUnit file cannot be written', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    const r = await runCli([`imaps://127.0.0.1:${d.ports.imaps}`, '--ca', ca.certPath, '--junit', path.join(blocker, 'junit.xml')], env);
    assert.equal(r.code, 2);
    assert.match(r.err, /^mailroom-check: cannot write the JUnit report .*not-a-dir\/junit\.xml \((EEXIST|ENOTDIR)/);
  });

  it('scans exactly the --ports given, in that order, and refuses ports it cannot name', async () => {
    const list = `pop3s:${d.ports.pop3s},imap:${d.ports.imap},imaps:${d.ports.imaps}-${d.ports.imaps}`;
    const r = await runCli(['--scan', '127.0.0.1', '--ports', list, '--ca', ca.certPath, '--json'], env);
    assert.equal(r.code, 0, r.err);
    const reports = JSON.parse(r.out) as ProbeReport[];
    assert.deepEqual(reports.map((x) => x.url), [`pop3s://127.0.0.1:${d.ports.pop3s}`, `imap://127.0.0.1:${d.ports.imap}`, `imaps://127.0.0.1:${d.ports.imaps}`]);
    assert.ok(reports.every((x) => x.failedPhase === undefined));
    assert.deepEqual(schemaErrors(reports), [], 'live reports match the documented schema');

    const bad = await runCli(['--scan', '127.0.0.1', '--ports', `${d.ports.imap}`], env);
    assert.equal(bad.code, 2);
    assert.match(bad.err, new RegExp(`${d.ports.imap} is not a usual mail port, so its protocol is unknown: name it, e\\.g\\. imaps:${d.ports.imap}`));
    const range = await runCli(['--scan', '127.0.0.1', '--ports', '990-70000'], env);
    assert.equal(range.code, 2);
    assert.match(range.err, /ports are 1 to 65535/);
  });

  it('diffs two runs of a server whose configuration changed, and fails on it only with --fail-on', async () => {
    const run = async (name: string, expectCode: number): Promise<string> => {
      const r = await runCli([...endpoints(), ...login, '--insecure', '--json'], env);
      assert.equal(r.code, expectCode, r.err);
      const file = path.join(dir, name);
      fs.writeFileSync(file, r.out);
      return file;
    };
    const before = await run('before.json', 0);

    // The administrator narrows the SASL mechanisms, adds a capability and installs a certificate
    // that has expired: same host and ports, another configuration.
    await d.stopServer();
    const conf = path.join(d.dir, 'dovecot.conf');
    const sslDir = path.dirname(/^ssl_cert = <(.*)$/m.exec(fs.readFileSync(conf, 'utf8'))![1]);
    expiredCertificate(ca, 3)(sslDir);
    fs.appendFileSync(conf, '\n# changed for the diff test\nauth_mechanisms = plain\nimap_capability = +XMAILROOM-CANARY\n');
    await d.startServer();
    const after = await run('after.json', 0);

    const text = await runCli(['diff', before, after]);
    assert.equal(text.code, 0, text.err);
    const imapBlock = text.out.split('\n\n').find((b) => b.startsWith(`imap://127.0.0.1:${d.ports.imap}:`)) ?? '';
    assert.match(imapBlock, /: changed \(warnings → warnings\) {2}WORSE: new warning\(s\)/);
    assert.match(imapBlock, /^ {2}capabilities beforeTls: \+XMAILROOM-CANARY -AUTH=LOGIN -AUTH=CRAM-MD5$/m);
    assert.doesNotMatch(imapBlock, /tls\.chain\.0\./, 'the leaf is compared once, as tls.certificate');
    assert.match(imapBlock, /^ {2}capabilities afterLogin: \+XMAILROOM-CANARY$/m);
    assert.match(imapBlock, /^ {2}new warning certificate-expired: The certificate expired on/m);
    assert.match(imapBlock, /^ {2}tls\.certificate\.sha256: [0-9A-F:]{95} → [0-9A-F:]{95}$/m);
    assert.match(imapBlock, /^ {2}tls\.authorizationError: \(absent\) → CERT_HAS_EXPIRED$/m);
    const popBlock = text.out.split('\n\n').find((b) => b.startsWith(`pop3s://`)) ?? '';
    assert.match(popBlock, /^ {2}capabilities afterTls: \+"SASL PLAIN" -"SASL PLAIN LOGIN CRAM-MD5"$/m, 'CAPA lists the SASL mechanisms');
    assert.doesNotMatch(popBlock, /XMAILROOM-CANARY/, 'imap_capability is IMAP only');
    // Without CRAM-MD5 and friends Dovecot stops offering APOP: its timestamp leaves the greeting.
    assert.match(popBlock, /^ {2}greeting\.banner: \+OK Dovecot .*ready\. <APOP timestamp> → \+OK Dovecot .*ready\.$/m, 'the timestamp itself, new on every connection, is not shown as a change');
    assert.match(popBlock, /^ {2}greeting\.apop: offered → \(absent\)$/m);
    assert.match(text.out, /3 endpoint\(s\), 3 changed; 3 with new warnings\.$/m);

    assert.equal((await runCli(['diff', before, after, '--fail-on', 'warning'])).code, 1);
    assert.equal((await runCli(['diff', before, after, '--fail-on', 'error'])).code, 0);
    assert.equal((await runCli(['diff', after, before, '--fail-on', 'warning'])).code, 0, 'going back is no regression');

    const json = await runCli(['diff', before, after, '--json']);
    assert.equal(json.code, 0);
    const diff = JSON.parse(json.out) as ReportDiff & { before: string; after: string };
    assert.equal(diff.kind, 'mailroom-check-diff');
    assert.equal(diff.before, before);
    const imaps = diff.endpoints.find((e) => e.url.startsWith('imaps://'))!;
    assert.deepEqual(imaps.capabilities.find((c) => c.phase === 'afterTls'), { phase: 'afterTls', added: ['XMAILROOM-CANARY'], removed: ['AUTH=LOGIN', 'AUTH=CRAM-MD5'] });
    assert.deepEqual(imaps.warnings.new.map((w) => w.code), ['certificate-expired']);

    // Then the server goes away: a check that passed now fails.
    await d.stopServer();
    const down = await run('down.json', 2);
    await d.startServer();
    const failing = await runCli(['diff', after, down, '--fail-on', 'error']);
    assert.equal(failing.code, 1);
    assert.match(failing.out, /WORSE: a check that passed now fails/);
    assert.match(failing.out, /failed phase: — → connect/);
  });

  it('refuses report files that are not reports: garbage, another schema version, 50 MB', async () => {
    const good = path.join(dir, 'good.json');
    const r = await runCli([`imaps://127.0.0.1:${d.ports.imaps}`, '--ca', ca.certPath, '--json'], env);
    fs.writeFileSync(good, r.out);
    const garbage = path.join(dir, 'garbage.json');
    fs.writeFileSync(garbage, '<?xml version="1.0"?><testsuites/>');
    const v2 = path.join(dir, 'v2.json');
    fs.writeFileSync(v2, r.out.replace('"schemaVersion": 1', '"schemaVersion": 2'));
    const huge = path.join(dir, 'huge.json');
    fs.writeFileSync(huge, '[');
    fs.truncateSync(huge, 50 * 1024 * 1024);
    for (const [file, pattern] of [
      [garbage, /garbage\.json is not JSON/],
      [v2, /v2\.json is a check report of schema version 2; this Mailroom reads version 1/],
      [huge, /huge\.json is 50 MB; a check report is far smaller/],
    ] as const) {
      const x = await runCli(['diff', good, file, '--fail-on', 'warning']);
      assert.equal(x.code, 2, file);
      assert.match(x.err, pattern);
      assert.equal(x.out, '');
    }
  });

  describe('a server whose greeting carries control characters and markup', () => {
    let fake: FakeServer;
    before(async () => {
      fake = await hostileGreeting(Buffer.concat([Buffer.from('\u0000\u001b[2J<testsuites>&amp; ]]> "x" '), Buffer.from([0xff, 0xfe, 0x07]), Buffer.from(' end')]));
    });
    after(async () => fake?.stop());

    it('still gets a JUnit file that parses, with the bytes made visible', async () => {
      const out = path.join(dir, 'hostile.xml');
      const r = await runCli([`imap://127.0.0.1:${fake.port}`, '--junit', out, '--timeout', '3000']);
      assert.equal(r.code, 0, r.err);
      const root = parseJunit(fs.readFileSync(out, 'utf8'));
      const greeting = root.testsuite[0].testcase.find((c) => c['@_name'] === 'phase greeting')!;
      assert.match(greeting['system-out'] ?? '', /S \* OK \\x00\\x1B\[2J<testsuites>&amp; \]\]> "x" \uFFFD\uFFFD\\x07 end$/);
      assert.deepEqual(root.testsuite[0].testcase.filter((c) => c.failure).map((c) => c.failure!['@_type']), ['no-starttls']);
    });
  });
});
