// `mailroom-check --discover` against a test domain on loopback: in-process through main(argv, io)
// and as a child process, pointed at the local DNS server and web servers through the
// MAILROOM_DISCOVERY_DNS / MAILROOM_DISCOVERY_HOSTS variables.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli/mailroomCheck';
import type { DiscoveryResult } from '../../src/protocol/discovery';
import { configFile, discoveryCertificates, LocalDns, startLocalDns, startWebServers, WebServers, xml } from '../fixtures/discoveryDomain';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { requireDovecot } from './requireDovecot';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'cli', 'mailroom-check.js');
const TSC_OUTPUT = path.join(ROOT, 'out', 'src', 'cli', 'mailroomCheck.js');

describe('mailroom-check --discover', function () {
  this.timeout(60_000);
  let tmp: string;
  let caFile: string;
  let dovecot: DovecotFixture;
  let web: WebServers;
  let dns: LocalDns;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    requireDovecot(this);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-discover-cli-'));
    const certs = discoveryCertificates(tmp);
    caFile = certs.ca.certPath;
    dovecot = await startDovecot({ makeCertificate: certs.leaf });
    web = await startWebServers(certs.leaf(path.join(tmp, 'web')));
    dns = await startLocalDns({ srv: { '_imap._tcp.example.test': [{ target: 'imap.example.test', port: 143 }] } });
    web.https.set('autoconfig.example.test/mail/config-v1.1.xml', xml(configFile([['imap', 'imap.example.test', 993, 'SSL']], [])));
    env = {
      MAILROOM_DISCOVERY_DNS: `127.0.0.1:${dns.port}`,
      MAILROOM_DISCOVERY_HOSTS: [
        `autoconfig.example.test=127.0.0.1:${web.httpsPort}`,
        `example.test=127.0.0.1:${web.httpsPort}`,
        `imap.example.test:993=127.0.0.1:${dovecot.ports.imaps}`,
        `imap.example.test:143=127.0.0.1:${dovecot.ports.imap}`,
      ].join(','),
    };
  });

  after(async () => {
    await Promise.all([dns?.stop(), web?.stop(), dovecot?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env });
    return { code, out, err };
  }

  it('prints every lookup with its answer and timing, the candidates and the winner', async () => {
    const { code, out, err } = await run(['--discover', 'alice@example.test', '--ca', caFile, '--timeout', '3000']);
    assert.equal(err, '');
    assert.equal(code, EXIT.ok, out);
    assert.match(out, /^# Discovery for alice@example\.test/);
    assert.match(out, /- ok {3}autoconfig https:\/\/autoconfig\.example\.test\/mail\/config-v1\.1\.xml\?emailaddress=alice%40example\.test \(\+\d+ ms, \d+ ms\) → 1 incoming, 0 outgoing/);
    assert.match(out, /- FAIL wellKnown https:\/\/example\.test\/\.well-known\/autoconfig\/mail\/config-v1\.1\.xml .*HTTP 404/);
    assert.match(out, /- ok {3}srv _imap\._tcp\.example\.test .*imap\.example\.test:143 \(priority 0, weight 0\)/);
    assert.match(out, /- FAIL mx example\.test .*HostNotFound/);
    assert.match(out, /- incoming: IMAP imap\.example\.test:993 TLS, user alice@example\.test, auth password-cleartext — verified; from autoconfig/);
    assert.match(out, /- outgoing: none/);
  });

  it('prints the whole result as JSON', async () => {
    const { code, out } = await run(['--discover', 'alice@example.test', '--json', '--ca', caFile]);
    assert.equal(code, EXIT.ok);
    const result = JSON.parse(out) as DiscoveryResult;
    assert.equal(result.best.incoming?.host, 'imap.example.test');
    assert.equal(result.best.incoming?.verification?.certificateTrusted, true);
    assert.ok(result.lookups.length >= 10);
    assert.ok(result.lookups.every((l) => typeof l.ms === 'number' && typeof l.startedMs === 'number'));
  });

  it('exits 1 when the winner needs confirming and 2 with a clear message for a bad address', async () => {
    const untrusted = await run(['--discover', 'alice@example.test']);
    assert.equal(untrusted.code, EXIT.warnings, untrusted.out);
    // The https autoconfig file is refused (its certificate does not verify either), so the SRV record wins.
    assert.match(untrusted.out, /## To confirm before saving\n\n- Incoming server imap\.example\.test:143: the certificate of imap\.example\.test does not verify/);
    const bad = await run(['--discover', 'not-an-address']);
    assert.equal(bad.code, EXIT.failed);
    assert.match(bad.err, /"not-an-address" is not an email address; type it as name@example\.com\./);
    const mixed = await run(['--discover', 'a@example.test', 'imaps://x']);
    assert.equal(mixed.code, EXIT.failed);
    assert.match(mixed.err, /--discover takes one address/);
  });

  it('runs as a command', async () => {
    const script = fs.existsSync(BUNDLE) ? BUNDLE : TSC_OUTPUT;
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [script, '--discover', 'alice@example.test', '--ca', caFile], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c ?? -1, out: text });
      });
    });
    assert.equal(code, EXIT.ok, out);
    assert.match(out, /- incoming: IMAP imap\.example\.test:993 TLS/);
  });
});
