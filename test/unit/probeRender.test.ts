import * as assert from 'node:assert/strict';
import { exitCode, main } from '../../src/cli/mailroomCheck';
import { renderMarkdown, reportsToJson } from '../../src/protocol/probe/render';
import { Transcript } from '../../src/protocol/probe/transcript';
import { parseFromProbeWebview, parseToProbeWebview, ProbeReport, verdictOf } from '../../src/shared/probeReport';

function report(overrides: Partial<ProbeReport> = {}): ProbeReport {
  return {
    url: 'pop3s://pop.example.com:995',
    protocol: 'pop3',
    scheme: 'pop3s',
    host: 'pop.example.com',
    port: 995,
    startedAt: '2026-11-22T00:00:00.000Z',
    totalMs: 42,
    connect: { ok: true, ms: 3 },
    greeting: { ok: true, ms: 4, banner: '+OK ready <1.2@pop.example.com>', apopTimestamp: '<1.2@pop.example.com>' },
    tls: { mode: 'implicit', ok: true, version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: null, authorized: true, hostnameMatch: true },
    capabilities: { beforeTls: null, afterTls: ['UIDL', 'TOP', 'USER'], afterLogin: ['UIDL', 'TOP', 'EXPIRE 30'] },
    auth: { mechanisms: [], apop: true, loginDisabled: false, plaintextBeforeTls: false, login: { attempted: true, ok: true, method: 'USER/PASS' } },
    pop3: { expire: '30' },
    warnings: [],
    explanations: [{ capability: 'UIDL', offered: true, meaning: 'Needed for leave-on-server | really' }],
    phases: [{ name: 'connect', ok: true, ms: 3 }],
    transcript: [{ t: 0, dir: 'C', text: 'PASS (secret)' }],
    ...overrides,
  };
}

describe('probe transcript masking', () => {
  it('masks a registered password, its base64 form and a SASL PLAIN payload', () => {
    const t = new Transcript();
    t.addSecret('s3cret-pw');
    const plain = Buffer.from('\0alice\0s3cret-pw').toString('base64');
    t.addBase64Secret(plain);
    t.add('S', 'echo s3cret-pw');
    t.add('C', Buffer.from('s3cret-pw').toString('base64'));
    t.add('C', `X ${plain}`);
    t.add('C', 'A1 LOGIN alice "other"');
    t.add('C', 'PASS whatever');
    const text = JSON.stringify(t.lines);
    assert.ok(!text.includes('s3cret-pw') && !text.includes(plain) && !text.includes('other') && !text.includes('whatever'), text);
    assert.equal(t.lines.length, 5);
  });
});

describe('probe rendering', () => {
  it('leaves the transcript out of JSON unless asked', () => {
    const [plain] = JSON.parse(reportsToJson([report()])) as Array<Record<string, unknown>>;
    assert.equal(plain.transcript, undefined);
    for (const key of ['url', 'protocol', 'host', 'port', 'connect', 'greeting', 'tls', 'capabilities', 'auth', 'warnings']) assert.ok(key in plain, key);
    const [full] = JSON.parse(reportsToJson([report()], { transcript: true })) as Array<Record<string, unknown>>;
    assert.ok(Array.isArray(full.transcript));
  });

  it('renders Markdown sections, escaping table cells', () => {
    const md = renderMarkdown([report(), report({ url: 'imap://x:143', failedPhase: 'greeting', error: { code: 'Timeout', message: 'no greeting' } })]);
    assert.match(md, /^## pop3s:\/\/pop\.example\.com:995 — OK$/m);
    assert.match(md, /^## imap:\/\/x:143 — FAILED at greeting$/m);
    assert.match(md, /\*\*Failed \(greeting, Timeout\):\*\* no greeting/);
    assert.match(md, /- APOP timestamp: `<1\.2@pop\.example\.com>`/);
    assert.match(md, /- EXPIRE: 30/);
    assert.match(md, /\| UIDL \| yes \| Needed for leave-on-server \\\| really \|/);
    assert.doesNotMatch(md, /Transcript/);
    assert.match(renderMarkdown([report()], { transcript: true }), /PASS \(secret\)/);
  });

  it('maps verdicts to exit codes: a failure is 2; warnings are 1 only with --fail-on warning', () => {
    const warn = report({ warnings: [{ code: 'no-starttls', message: 'x' }] });
    const fail = report({ failedPhase: 'tls' });
    assert.deepEqual([verdictOf(report()), verdictOf(warn), verdictOf(fail)], ['ok', 'warnings', 'failed']);
    assert.equal(exitCode([report()]), 0);
    assert.equal(exitCode([report(), warn]), 0, 'the default is --fail-on error');
    assert.equal(exitCode([warn, fail, report()]), 2);
    assert.equal(exitCode([report()], 'warning'), 0);
    assert.equal(exitCode([report(), warn], 'warning'), 1);
    assert.equal(exitCode([warn, fail, report()], 'warning'), 2);
    assert.equal(exitCode([report(), warn], 'error'), 0);
  });
});

describe('probe webview protocol', () => {
  it('accepts only well-formed messages from the webview', () => {
    assert.deepEqual(parseFromProbeWebview({ type: 'copy', format: 'json' }), { type: 'copy', format: 'json' });
    assert.equal(parseFromProbeWebview({ type: 'copy', format: 'html' }), undefined);
    assert.equal(parseFromProbeWebview({ type: 'rendered', endpoints: '1' }), undefined);
    assert.equal(parseFromProbeWebview('ready'), undefined);
    assert.ok(parseToProbeWebview({ type: 'show', view: { title: 't', pending: 0, reports: [] } }));
    assert.equal(parseToProbeWebview({ type: 'show', view: { title: 't', reports: [] } }), undefined);
  });
});

describe('mailroom-check command line (no network)', () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env });
    return { code, out, err };
  };

  it('prints help with exit 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: mailroom-check <url>/);
  });

  it('exits 2 with a reason for bad command lines, before connecting anywhere', async () => {
    for (const [argv, why] of [
      [[], /at least one URL/],
      [['--bogus', 'imap://h'], /unknown option --bogus/],
      [['--timeout', 'soon', 'imap://h'], /--timeout needs milliseconds/],
      [['ftp://h'], /"ftp" is not one of/],
      [['--password', 'hunter22', 'imap://h'], /--password is not accepted/],
      [['--user', 'u', '--password-env', 'NOPE', 'imap://h'], /NOPE is not set/],
      [['--password-env', 'PW', 'imap://h'], /--password-env needs --user/],
      [['--fail-on', 'sometimes', 'imap://h'], /--fail-on takes warning or error/],
      [['--junit', '--json', 'imap://h'], /--junit needs a value/],
    ] as const) {
      const r = await run([...argv], { PW: 'x' });
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, why, argv.join(' '));
      assert.equal(r.out, '');
      assert.ok(!r.err.includes('hunter22'));
    }
  });
});
