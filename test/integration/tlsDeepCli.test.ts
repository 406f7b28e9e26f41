// `mailroom-check --tls` against Dovecot with a weak suite allowed: the deep check only when
// asked, its warnings in the JSON and the Markdown, and the exit status they imply.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/mailroomCheck';
import type { ProbeReport } from '../../src/shared/probeReport';
import { createTestCa, loopbackCertificate } from '../fixtures/certificates';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { requireDovecot } from './requireDovecot';

describe('mailroom-check --tls against Dovecot', function () {
  this.timeout(60_000);
  let d: DovecotFixture;
  let dir: string;
  let caFile: string;
  const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
    return { code, out, err };
  };

  before(async function () {
    requireDovecot(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-check-tls-'));
    const ca = createTestCa(path.join(dir, 'ca'));
    caFile = ca.certPath;
    d = await startDovecot({ makeCertificate: loopbackCertificate(ca), configExtra: 'ssl_cipher_list = ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA' });
  });
  after(async () => {
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without --tls: no deep check, exit 0', async () => {
    const r = await run(['--json', '--ca', caFile, `imaps://localhost:${d.ports.imaps}`]);
    assert.equal(r.err, '');
    const [report] = JSON.parse(r.out) as ProbeReport[];
    assert.equal(report.tlsDeep, undefined);
    assert.equal(r.code, 0, r.out);
  });

  it('--tls --json: versions, suites and tls-weak-cipher in the JSON, exit 1 (warnings, --fail-on warning)', async () => {
    const r = await run(['--tls', '--json', '--ca', caFile, '--fail-on', 'warning', `imaps://localhost:${d.ports.imaps}`]);
    assert.equal(r.err, '');
    const [report] = JSON.parse(r.out) as ProbeReport[];
    assert.ok(report.tlsDeep, 'no tlsDeep in the JSON');
    assert.deepEqual(report.tlsDeep.versions.map((v) => `${v.version}:${v.result}`), ['TLSv1:refused', 'TLSv1.1:refused', 'TLSv1.2:accepted', 'TLSv1.3:accepted']);
    assert.ok(report.warnings.some((w) => w.code === 'tls-weak-cipher'));
    assert.equal(report.tlsDeep.explanations?.[0]?.code, 'tls-weak-cipher');
    assert.equal(r.code, 1);
  });

  it('--tls (Markdown): the deep check section with the weak suite marked and its fix', async () => {
    const r = await run(['--tls', '--ca', caFile, '--fail-on', 'warning', `pop3://localhost:${d.ports.pop3}`]);
    assert.match(r.out, /### TLS deep check/);
    assert.match(r.out, /\| TLS 1\.2 \| accepted \| \*\*TLS_RSA_WITH_AES_128_CBC_SHA\*\* \(weak: RSA key exchange: no forward secrecy\)/);
    assert.match(r.out, /\| `tls-weak-cipher` \| .* \| Allow only ECDHE\/DHE suites/);
    assert.equal(r.code, 1);
  });
});
