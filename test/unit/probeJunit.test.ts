// JUnit XML from check reports: structure (one testcase per phase and per warning, generic over
// both), and that a hostile server cannot break the file. Parsed with fast-xml-parser.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JUNIT_LIMITS, reportsToJunit } from '../../src/protocol/probe/junit';
import { mergeTranscripts, remapRanges } from '../../src/protocol/probe/transcript';
import type { ProbeReport, TranscriptLine } from '../../src/shared/probeReport';
import { parseJunit } from '../fixtures/junitXml';

const RECORDED = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'checkReports');
const recorded = (name: string): ProbeReport[] => JSON.parse(fs.readFileSync(path.join(RECORDED, name), 'utf8')) as ProbeReport[];

function hostile(): ProbeReport {
  const banner = '* OK \u0000\u001b[2J<script>alert(1)</script> & "quotes" \'apos\' ]]> \u0007\u007f\ud800 fin';
  return {
    url: 'imap://127.0.0.1:143',
    protocol: 'imap',
    scheme: 'imap',
    host: '127.0.0.1',
    port: 143,
    startedAt: '2026-12-01T00:00:00.000Z',
    totalMs: 12,
    connect: { ok: true, ms: 1 },
    greeting: { ok: true, ms: 2, banner },
    tls: { mode: 'none', ok: false, starttlsOffered: false },
    capabilities: { beforeTls: ['IMAP4rev1', 'X-\u0001EVIL'], afterTls: null, afterLogin: null },
    auth: { mechanisms: [], apop: false, loginDisabled: false, plaintextBeforeTls: true, login: { attempted: false, skipped: 'no credentials given' } },
    warnings: [{ code: 'no-starttls', message: `Greeting was ${banner}\nsecond line` }],
    explanations: [],
    phases: [
      { name: 'dns', ok: true, ms: 0, lines: [0, 0], skipped: 'the host is an IP address' },
      { name: 'connect', ok: true, ms: 1, lines: [0, 0] },
      { name: 'greeting', ok: true, ms: 2, lines: [0, 1] },
      { name: 'capabilities', ok: false, ms: 3, lines: [1, 3], error: { code: 'ProtocolError', message: `garbage: ${banner}` } },
    ],
    failedPhase: 'capabilities',
    error: { code: 'ProtocolError', message: `garbage: ${banner}` },
    transcript: [
      { t: 1, dir: 'S', text: banner },
      { t: 3, dir: 'C', text: 'P1 CAPABILITY' },
      { t: 4, dir: 'S', text: '* CAPABILITY IMAP4rev1 X-\u0001EVIL' },
    ],
  };
}

describe('JUnit XML from check reports', () => {
  it('has one testcase per phase that ran and one per warning, for real Dovecot reports', () => {
    const reports = recorded('dovecot-starttls.json');
    const root = parseJunit(reportsToJunit(reports));
    assert.equal(root.testsuite.length, reports.length);
    for (const [i, r] of reports.entries()) {
      const suite = root.testsuite[i];
      assert.equal(suite['@_name'], r.url);
      const names = suite.testcase.map((c) => c['@_name']);
      assert.deepEqual(names, [...r.phases.map((p) => `phase ${p.name}`), ...r.warnings.map((w) => `warning ${w.code}`)]);
      assert.equal(Number(suite['@_tests']), r.phases.length + r.warnings.length);
      assert.equal(Number(suite['@_failures']), r.warnings.length);
      assert.equal(Number(suite['@_errors']), 0);
      assert.ok(suite.testcase.every((c) => c['@_classname'] === `mailroom-check.${r.url}`));
      const tls = suite.testcase.find((c) => c['@_name'] === 'phase tls')!;
      assert.equal(tls['@_time'], (r.phases.find((p) => p.name === 'tls')!.ms / 1000).toFixed(3));
      const greeting = suite.testcase.find((c) => c['@_name'] === 'phase greeting')!;
      assert.match(greeting['system-out'] ?? '', r.protocol === 'imap' ? /S \* OK .*Dovecot/ : /S \+OK Dovecot/, 'the greeting phase shows its part of the transcript');
      assert.doesNotMatch(greeting['system-out'] ?? '', / C /, 'and only its part: no command was sent in it');
      for (const w of r.warnings) {
        const c = suite.testcase.find((x) => x['@_name'] === `warning ${w.code}`)!;
        assert.equal(c.failure?.['@_type'], w.code);
        assert.equal(c.failure?.['@_message'], w.message);
        assert.match(c['system-out'] ?? '', / C /, 'the transcript excerpt');
      }
    }
    assert.equal(Number(root['@_tests']), reports.reduce((n, r) => n + r.phases.length + r.warnings.length, 0));
  });

  it('marks the failed phase as an <error> with its code, and skipped phases as <skipped>', () => {
    const [refused] = recorded('connection-refused.json');
    const [suite] = parseJunit(reportsToJunit([refused])).testsuite;
    const connect = suite.testcase.find((c) => c['@_name'] === 'phase connect')!;
    assert.equal(connect.error?.['@_type'], 'ConnectionRefused');
    assert.match(connect.error?.['@_message'] ?? '', /refused the connection/);
    assert.equal(suite['@_errors'], '1');
    const dns = suite.testcase.find((c) => c['@_name'] === 'phase dns')!;
    assert.equal(dns.skipped?.['@_message'], 'the host is an IP address');
    assert.equal(suite['@_skipped'], '1');
  });

  it('gives each warning only the lines that decided it, bounded; a TLS deep warning says where its evidence is', () => {
    const r = hostile();
    const flood = Array.from({ length: 5_000 }, (_, i) => ({ t: 10 + i, dir: 'S' as const, text: `[plaintext-login] * garbage ${i} ${'x'.repeat(200)}` }));
    r.starttls = { plaintextAuth: { verdict: 'accepted', method: 'LOGIN', detail: 'checked', evidence: [{ t: 9, dir: 'C', text: '[plaintext-login] a LOGIN "u" "(secret)"' }, ...flood], ms: 5 } };
    r.warnings.push({ code: 'plaintext-auth-accepted', message: 'checked' }, { code: 'tls-weak-cipher', message: 'weak' });
    const [suite] = parseJunit(reportsToJunit([r])).testsuite;
    const out = (name: string): string => suite.testcase.find((c) => c['@_name'] === `warning ${name}`)?.['system-out'] ?? '';
    assert.equal(out('no-starttls'), '     3 ms C P1 CAPABILITY\n     4 ms S * CAPABILITY IMAP4rev1 X-\\x01EVIL', 'the capability list, not the greeting');
    const accepted = out('plaintext-auth-accepted');
    assert.match(accepted, /^ +9 ms C \[plaintext-login\] a LOGIN/);
    assert.ok(accepted.length <= JUNIT_LIMITS.warningChars + 200, String(accepted.length));
    assert.match(accepted, /\(5001 lines in all; the whole transcript: --json --transcript\)$/);
    assert.match(out('tls-weak-cipher'), /^decided by the TLS deep check's handshakes/);
  });

  it('phase line ranges follow the main connection\'s lines into a transcript merged with side connections', () => {
    const line = (t: number, text: string): TranscriptLine => ({ t, dir: 'S', text });
    const main = [line(1, 'greeting'), line(5, 'caps'), line(9, 'caps ok')];
    const side = [line(2, '[injection] a'), line(6, '[injection] b')];
    const merged = mergeTranscripts(main, side);
    assert.deepEqual(merged.map((l) => l.text), ['greeting', '[injection] a', 'caps', '[injection] b', 'caps ok']);
    assert.deepEqual(remapRanges([[0, 1], [1, 3], [3, 3], [0, 0]], main, merged), [[0, 1], [2, 5], [5, 5], [0, 0]]);
  });

  it('takes phases and warning codes it has never heard of (other checks add them)', () => {
    const r = hostile();
    r.phases.push({ name: 'starttlsInjection' as never, ok: true, ms: 5, lines: [3, 3] });
    r.warnings.push({ code: 'starttls-injection' as never, message: 'The server answered commands sent before TLS after it.' });
    const [suite] = parseJunit(reportsToJunit([r])).testsuite;
    assert.ok(suite.testcase.some((c) => c['@_name'] === 'phase starttlsInjection'));
    assert.equal(suite.testcase.find((c) => c['@_name'] === 'warning starttls-injection')?.failure?.['@_type'], 'starttls-injection');
  });

  it('stays valid XML whatever the server sends: markup escaped, control characters made visible', () => {
    const xml = reportsToJunit([hostile()]);
    const [suite] = parseJunit(xml).testsuite;
    assert.ok(!xml.includes('<script>'));
    const greeting = suite.testcase.find((c) => c['@_name'] === 'phase greeting')!;
    assert.equal(greeting['system-out'], '     1 ms S * OK \\x00\\x1B[2J<script>alert(1)</script> & "quotes" \'apos\' ]]> \\x07\\x7F\\uD800 fin');
    const warning = suite.testcase.find((c) => c['@_name'] === 'warning no-starttls')!;
    assert.match(warning.failure?.['@_message'] ?? '', /^Greeting was \* OK \\x00\\x1B\[2J<script>.*\\uD800 fin\nsecond line$/, 'line breaks in an attribute survive');
    const failed = suite.testcase.find((c) => c['@_name'] === 'phase capabilities')!;
    assert.equal(failed.error?.['@_type'], 'ProtocolError');
    assert.match(failed['system-out'] ?? '', /X-\\x01EVIL/);
  });
});
