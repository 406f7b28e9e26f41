// mailroom-check against Dovecot: in-process through main(argv, io), and as a child process
// through the built bundle (dist/cli/mailroom-check.js; the tsc output until that is built).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exitCode, main } from '../../src/cli/mailroomCheck';
import type { ProbeReport } from '../../src/shared/probeReport';
import { createTestCa, loopbackCertificate } from '../fixtures/certificates';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { freePorts } from '../fixtures/net';
import { type CliRun, runNodeScript } from '../fixtures/runCli';
import { requireDovecot } from './requireDovecot';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'cli', 'mailroom-check.js');
const TSC_OUTPUT = path.join(ROOT, 'out', 'src', 'cli', 'mailroomCheck.js');
const PASSWORD_ENV = 'MAILROOM_CHECK_TEST_PASSWORD';

const runChild = (script: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> => runNodeScript(script, args, env);

describe('mailroom-check against Dovecot', function () {
  this.timeout(60_000);
  let d: DovecotFixture;
  let dir: string;
  let caFile: string;
  let closedPort: number;

  const inProcess = async (argv: string[]): Promise<CliRun> => {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: { [PASSWORD_ENV]: d.users.alice.password } });
    return { code, out, err };
  };

  before(async function () {
    requireDovecot(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-check-'));
    const ca = createTestCa(path.join(dir, 'ca'));
    caFile = ca.certPath;
    d = await startDovecot({ makeCertificate: loopbackCertificate(ca) });
    [closedPort] = await freePorts(1);
  });

  after(async () => {
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 when every endpoint answered and verified, printing the JSON shape', async () => {
    const r = await inProcess([`imaps://127.0.0.1:${d.ports.imaps}`, `pop3s://127.0.0.1:${d.ports.pop3s}`, '--ca', caFile, '--user', 'alice', '--password-env', PASSWORD_ENV, '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const reports = JSON.parse(r.out) as ProbeReport[];
    assert.equal(reports.length, 2);
    const [imaps] = reports;
    assert.equal(imaps.url, `imaps://127.0.0.1:${d.ports.imaps}`);
    assert.equal(imaps.protocol, 'imap');
    assert.equal(imaps.host, '127.0.0.1');
    assert.equal(imaps.port, d.ports.imaps);
    assert.equal(imaps.connect.ok, true);
    assert.equal(typeof imaps.connect.ms, 'number');
    assert.equal(imaps.tls.mode, 'implicit');
    assert.equal(imaps.tls.ok, true);
    assert.equal(imaps.tls.authorized, true);
    assert.equal(imaps.tls.certificate?.subject, 'CN=localhost');
    assert.match(imaps.tls.certificate?.san ?? '', /DNS:localhost/);
    assert.ok(imaps.tls.certificate?.validTo);
    assert.equal(imaps.capabilities.beforeTls, null);
    assert.ok(imaps.capabilities.afterLogin?.includes('IDLE'));
    assert.ok(Array.isArray(imaps.auth.mechanisms));
    assert.equal(imaps.auth.loginDisabled, false);
    assert.deepEqual(imaps.warnings, []);
    assert.equal(imaps.transcript, undefined, 'no transcript unless asked');
    assert.ok(!r.out.includes(d.users.alice.password));
  });

  it('exits 1 when an endpoint has warnings with --fail-on warning (0 by default), and prints Markdown by default', async () => {
    assert.equal((await inProcess([`imap://127.0.0.1:${d.ports.imap}`, '--ca', caFile])).code, 0);
    const r = await inProcess([`imap://127.0.0.1:${d.ports.imap}`, '--ca', caFile, '--fail-on', 'warning']);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`^## imap://127\\.0\\.0\\.1:${d.ports.imap} — 1 warning\\(s\\)$`, 'm'));
    assert.match(r.out, /`plaintext-auth-unencrypted`/);
  });

  it('exits 2 when one endpoint failed, naming the phase', async () => {
    const r = await inProcess([`imaps://127.0.0.1:${d.ports.imaps}`, `imaps://127.0.0.1:${closedPort}`, '--ca', caFile, '--json', '--timeout', '3000']);
    assert.equal(r.code, 2);
    const reports = JSON.parse(r.out) as ProbeReport[];
    assert.deepEqual(reports.map((x) => x.failedPhase), [undefined, 'connect']);
    assert.equal(reports[1].connect.ok, false);
    assert.match(reports[1].connect.error ?? '', /refused/);
  });

  it('scans the seven usual ports of a host with --scan', async () => {
    const r = await inProcess(['--scan', '127.0.0.1', '--json', '--timeout', '2000']);
    const reports = JSON.parse(r.out) as ProbeReport[];
    assert.deepEqual(reports.map((x) => x.port), [143, 993, 110, 995, 25, 465, 587]);
    assert.deepEqual(reports.map((x) => x.scheme), ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps', 'submission']);
    assert.equal(r.code, exitCode(reports));
  });

  it('runs as a child process from the built bundle: exit codes, JSON, no password anywhere', async function () {
    const script = fs.existsSync(BUNDLE) ? BUNDLE : TSC_OUTPUT;
    if (script === BUNDLE) assert.match(fs.readFileSync(BUNDLE, 'utf8').slice(0, 40), /^#!\/usr\/bin\/env node/);
    const env = { [PASSWORD_ENV]: d.users.alice.password };
    const ok = await runChild(script, [`pop3s://alice@127.0.0.1:${d.ports.pop3s}`, '--ca', caFile, '--password-env', PASSWORD_ENV, '--json', '--transcript'], env);
    assert.equal(ok.code, 0, ok.err);
    const [report] = JSON.parse(ok.out) as ProbeReport[];
    assert.equal(report.auth.login.ok, true);
    assert.ok(report.transcript?.some((l) => l.text === 'PASS (secret)'));
    assert.ok(!ok.out.includes(d.users.alice.password) && !ok.err.includes(d.users.alice.password));

    const warn = await runChild(script, [`pop3://127.0.0.1:${d.ports.pop3}`, '--ca', caFile, '--fail-on', 'warning'], env);
    assert.equal(warn.code, 1, warn.err);
    const failed = await runChild(script, [`pop3://127.0.0.1:${closedPort}`], env);
    assert.equal(failed.code, 2);
    const usage = await runChild(script, ['--nope'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /unknown option --nope/);
  });
});
