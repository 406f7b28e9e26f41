// Comparing two check runs, and refusing files that are not check reports.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/mailroomCheck';
import { MailError } from '../../src/protocol/errors';
import { diffFails, diffReports } from '../../src/protocol/probe/diff';
import { renderDiff } from '../../src/protocol/probe/diffRender';
import { MAX_REPORT_FILE_BYTES, parseReportText, readReportFile } from '../../src/protocol/probe/reportFile';
import type { ProbeReport } from '../../src/shared/probeReport';

const RECORDED = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'checkReports');
const recorded = (name: string): ProbeReport[] => JSON.parse(fs.readFileSync(path.join(RECORDED, name), 'utf8')) as ProbeReport[];
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('check report diff', () => {
  const base = recorded('dovecot-starttls.json'); // imap:// (plaintext-auth-unencrypted) and pop3://

  it('finds nothing changed when a run is compared with itself', () => {
    const d = diffReports(base, clone(base));
    assert.deepEqual(d.endpoints.map((e) => e.status), ['unchanged', 'unchanged']);
    assert.deepEqual(d.worse, { errors: 0, warnings: 0 });
    assert.match(renderDiff(d, { before: 'a.json', after: 'b.json' }), /2 endpoint\(s\), 0 changed; nothing got worse\./);
  });

  it('reports capabilities per phase, warnings new and gone, TLS and certificate changes', () => {
    const after = clone(base);
    const imap = after[0];
    imap.capabilities.beforeTls = [...imap.capabilities.beforeTls!, 'AUTH=SCRAM-SHA-256'];
    imap.capabilities.afterLogin = imap.capabilities.afterLogin!.filter((c) => c !== 'IDLE');
    imap.warnings = [{ code: 'certificate-expired', message: 'The certificate expired on 2026-11-29.' }];
    imap.tls.version = 'TLSv1.2';
    imap.tls.cipher = 'ECDHE-RSA-AES256-GCM-SHA384';
    imap.tls.certificate = { ...imap.tls.certificate!, sha256: 'AA:BB', expired: true, daysToExpiry: -3 };
    const d = diffReports(base, after);
    const [e, pop3] = d.endpoints;
    assert.equal(pop3.status, 'unchanged');
    assert.equal(e.status, 'changed');
    assert.deepEqual(e.capabilities, [
      { phase: 'beforeTls', added: ['AUTH=SCRAM-SHA-256'], removed: [] },
      { phase: 'afterLogin', added: [], removed: ['IDLE'] },
    ]);
    assert.deepEqual(e.warnings.new.map((w) => w.code), ['certificate-expired']);
    assert.deepEqual(e.warnings.gone.map((w) => w.code), ['plaintext-auth-unencrypted']);
    const fields = Object.fromEntries(e.tls.map((f) => [f.field, [f.before, f.after]]));
    assert.deepEqual(fields['tls.version'], [base[0].tls.version, 'TLSv1.2']);
    assert.deepEqual(fields['tls.cipher'], [base[0].tls.cipher, 'ECDHE-RSA-AES256-GCM-SHA384']);
    assert.deepEqual(fields['tls.certificate.sha256'], [base[0].tls.certificate!.sha256, 'AA:BB']);
    assert.deepEqual(fields['tls.certificate.expired'], [false, true]);
    assert.equal(fields['tls.certificate.daysToExpiry'], undefined, 'days left change every day; expired says it');
    assert.equal(e.worse, 'warning');
    assert.deepEqual(d.worse, { errors: 0, warnings: 1 });
    assert.equal(diffFails(d, 'warning'), true);
    assert.equal(diffFails(d, 'error'), false);
    const text = renderDiff(d, { before: 'before.json', after: 'after.json' });
    assert.match(text, /capabilities beforeTls: \+AUTH=SCRAM-SHA-256/);
    assert.match(text, /capabilities afterLogin: -IDLE/);
    assert.match(text, /new warning certificate-expired: The certificate expired/);
    assert.match(text, /gone warning plaintext-auth-unencrypted/);
    assert.match(text, /tls\.version: TLSv1\.3 → TLSv1\.2/);
  });

  it('shows timings only when they changed a lot', () => {
    const after = clone(base);
    after[0].totalMs = base[0].totalMs + 40; // jitter
    after[1].totalMs = base[1].totalMs + 3000;
    const greeting = after[1].phases.find((p) => p.name === 'greeting')!;
    greeting.ms += 2500;
    const d = diffReports(base, after);
    assert.deepEqual(d.endpoints[0].timings, []);
    assert.deepEqual(d.endpoints[1].timings.map((t) => t.what), ['total', 'phase greeting']);
    assert.equal(d.endpoints[1].worse, undefined, 'slower is shown, not failed');
  });

  it('counts a check that now fails as worse at the error level, and phases that changed', () => {
    const [refused] = recorded('connection-refused.json');
    // As the probe reports imap:// refusing the connection: no TLS mode was reached.
    const after = [{ ...refused, url: base[0].url, scheme: base[0].scheme, tls: { mode: 'none' as const, ok: false } }, base[1]];
    const d = diffReports(base, after);
    const [e] = d.endpoints;
    assert.equal(e.worse, 'error');
    assert.deepEqual(e.failedPhase, { after: 'connect' });
    assert.ok(e.phases.some((p) => p.name === 'connect' && p.before === 'ok' && p.after === 'failed' && /ConnectionRefused/.test(p.detail ?? '')));
    assert.ok(e.phases.some((p) => p.name === 'login' && p.before === 'ok' && p.after === 'absent'));
    // What the failed run never reached is not listed as removed: the failed phase says it.
    assert.deepEqual(e.capabilities, []);
    assert.deepEqual(e.tls.map((f) => [f.field, f.before, f.after]), [['tls.mode', 'starttls', 'none'], ['tls.ok', true, false]]);
    assert.ok(!e.other.some((f) => f.after === undefined), JSON.stringify(e.other));
    const text = renderDiff(d, { before: 'a', after: 'b' });
    assert.match(text, /^ {2}phases no longer reached: greeting, capabilities, starttls, tls, capabilitiesAfterTls, login, capabilitiesAfterLogin, logout$/m);
    assert.match(text, /^ {2}warning plaintext-auth-unencrypted not checked \(the run failed\)$/m);
    assert.doesNotMatch(text, /auth\.mechanisms/, 'an empty list from a run that never got there');
    assert.equal(diffFails(d, 'error'), true);
    // The other way round the server got better: nothing is worse.
    assert.deepEqual(diffReports(after, base).worse, { errors: 0, warnings: 1 }, 'the recovered imap:// has its old warning back');
    assert.equal(diffFails(diffReports(after, base), 'error'), false);
  });

  it('matches endpoints by URL: ones in a single run are added or removed', () => {
    const d = diffReports([base[0]], [base[1]]);
    assert.deepEqual(d.endpoints.map((e) => [e.url, e.status]), [[base[0].url, 'removed'], [base[1].url, 'added']]);
    assert.equal(d.endpoints[0].worse, undefined, 'a port no longer checked is not a failure');
  });

  it('walks capability lists, phases and TLS fields it does not know (other checks add them)', () => {
    const after = clone(base);
    (after[0].capabilities as unknown as Record<string, string[]>).afterInjection = ['X'];
    (after[0].tls as unknown as Record<string, unknown>).keyExchange = { group: 'x25519', bits: 253 };
    after[0].phases.push({ name: 'starttlsInjection' as never, ok: false, ms: 1, error: { code: 'ProtocolError', message: 'answered early' } });
    const [e] = diffReports(base, after).endpoints;
    assert.deepEqual(e.capabilities, [{ phase: 'afterInjection', added: ['X'], removed: [] }]);
    assert.deepEqual(e.tls.map((f) => f.field), ['tls.keyExchange.group', 'tls.keyExchange.bits']);
    assert.deepEqual(e.phases.map((p) => [p.name, p.before, p.after]), [['starttlsInjection', 'absent', 'failed']]);
  });

  it('ignores the APOP timestamp, which differs on every connection', () => {
    const after = clone(base);
    const pop3 = after[1];
    const old = pop3.greeting.apopTimestamp!;
    pop3.greeting.apopTimestamp = '<999.123@elsewhere>';
    pop3.greeting.banner = pop3.greeting.banner!.replace(old, '<999.123@elsewhere>');
    assert.equal(diffReports(base, after).endpoints[1].status, 'unchanged');
  });

  it('makes server text visible instead of letting it drive the terminal', () => {
    const after = clone(base);
    after[0].warnings.push({ code: 'greeting-slow', message: 'slow \u001b[2J\u001b[31mred\nfake line' });
    const text = renderDiff(diffReports(base, after), { before: 'a', after: 'b' });
    assert.ok(!text.includes('\u001b'));
    assert.match(text, /slow \\x1B\[2J\\x1B\[31mred\\nfake line/);
  });
});

describe('reading check report files', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-reports-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const invalid = (fn: () => unknown, pattern: RegExp): void => {
    assert.throws(fn, (e: unknown) => MailError.is(e, 'ReportInvalid') && pattern.test(e.message), String(pattern));
  };

  it('reads what mailroom-check --json wrote', async () => {
    const reports = await readReportFile(path.join(RECORDED, 'dovecot-implicit-tls.json'));
    assert.equal(reports.length, 2);
  });

  it('refuses garbage, other JSON, other schema versions and reports from before versions', () => {
    invalid(() => parseReportText('{"url": ', 'a.json'), /^a\.json is not JSON \(.+\); give the file `mailroom-check --json` wrote\.$/);
    invalid(() => parseReportText('<html>', 'a.json'), /a\.json is not JSON/);
    invalid(() => parseReportText('[]', 'a.json'), /holds no reports/);
    invalid(() => parseReportText('"text"', 'a.json'), /not a check report: it holds a string/);
    invalid(() => parseReportText('{"name": "package"}', 'package.json'), /package\.json is not a check report: it has no schemaVersion/);
    const reports = recorded('dovecot-implicit-tls.json');
    invalid(() => parseReportText(JSON.stringify(reports.map((r) => ({ ...r, schemaVersion: 2 }))), 'new.json'), /new\.json, report 1 is a check report of schema version 2; this Mailroom reads version 1/);
    const { schemaVersion: _v, ...old } = reports[0];
    invalid(() => parseReportText(JSON.stringify([old]), 'old.json'), /no schemaVersion .* run the check again/);
    invalid(() => parseReportText(JSON.stringify([{ ...reports[0], phases: 'x' }]), 'x.json'), /"phases" is not a list of phases/);
    invalid(() => parseReportText(JSON.stringify([{ ...reports[0], warnings: [{ code: 1 }] }]), 'x.json'), /"warnings" is not a list of warnings/);
  });

  it('refuses a 50 MB file by its size, without reading it', async () => {
    const huge = path.join(dir, 'huge.json');
    fs.writeFileSync(huge, '[');
    fs.truncateSync(huge, 50 * 1024 * 1024); // sparse: no 50 MB written
    const t0 = Date.now();
    await assert.rejects(readReportFile(huge), (e: unknown) => MailError.is(e, 'ReportInvalid') && /huge\.json is 50 MB; a check report is far smaller \(at most 16 MB\)/.test(e.message));
    assert.ok(Date.now() - t0 < 500);
    assert.ok(MAX_REPORT_FILE_BYTES < 50 * 1024 * 1024);
  });

  it('mailroom-check diff exits 2 with the reason for a file that is not a report', async () => {
    const garbage = path.join(dir, 'garbage.json');
    fs.writeFileSync(garbage, '\u0000\u0001 not json');
    let err = '';
    const code = await main(['diff', path.join(RECORDED, 'dovecot-starttls.json'), garbage], { stdout: () => undefined, stderr: (t) => (err += t), env: {} });
    assert.equal(code, 2);
    assert.match(err, /^mailroom-check diff: .*garbage\.json is not JSON/);
    const missing = await main(['diff', path.join(dir, 'nope.json'), garbage], { stdout: () => undefined, stderr: (t) => (err = t), env: {} });
    assert.equal(missing, 2);
    assert.match(err, /Cannot read .*nope\.json: ENOENT/);
    assert.equal(await main(['diff', garbage], { stdout: () => undefined, stderr: (t) => (err = t), env: {} }), 2);
    assert.match(err, /exactly two report files/);
  });
});
