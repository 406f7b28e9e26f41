// "Mailroom: Check Server Capabilities…" and "Mailroom: Scan Host…" inside the real extension
// host, against the Dovecot fixture and the SMTP sink: the commands resolve with the reports, the
// report webview draws them, and the code-server runner saves a screenshot of it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { reportsToJson } from '../../../src/protocol/probe/render';
import type { OpenReportResult, ProbeFeature } from '../../../src/providers/probe/probeCommands';
import type { CompareResult } from '../../../src/providers/probe/compareReports';
import type { ProbeRenderedReport } from '../../../src/providers/probe/probePanel';
import type { DomainReport } from '../../../src/protocol/probe/domain/types';
import type { ProbeReport } from '../../../src/shared/probeReport';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import { startLocalDns } from '../../fixtures/discoveryDomain';
import { activateMailroom, dovecotControl, fixtureInfo, FixtureInfo, imapsAccount, log, takeScreenshot, waitFor, webviewTexts } from './harness';
import { canDriveInput, pressKey, typeText, waitForQuickInput } from './input';

describe('Mailroom server check (in the extension host)', function () {
  this.timeout(120_000);
  let fixture: FixtureInfo;
  let probe: ProbeFeature;

  before(async () => {
    fixture = fixtureInfo();
    const api = await activateMailroom();
    assert.ok(api.probe, 'the API exposes the server check feature (MailroomApi.probe)');
    probe = api.probe;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  const nextRender = (): Promise<ProbeRenderedReport> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the report webview never rendered')), 60_000);
      const sub = probe.onDidRenderReport((r) => {
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });

  it('checks the Dovecot IMAPS port and shows the report', async () => {
    const rendered = nextRender();
    const url = `imaps://${fixture.host}:${fixture.ports.imaps}`;
    const reports = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.checkServer', url);
    assert.equal(reports.length, 1);
    const [report] = reports;
    assert.equal(report.url, url);
    assert.equal(report.failedPhase, undefined, JSON.stringify(report.error));
    assert.match(report.greeting.banner ?? '', /Dovecot/);
    assert.equal(report.tls.mode, 'implicit');
    assert.equal(report.tls.certificate?.sha256, fixture.certSha256);
    assert.ok(report.warnings.some((w) => w.code === 'certificate-self-signed'), 'the fixture certificate is self-signed');
    const shown = await rendered;
    assert.equal(shown.endpoints, 1);
    assert.ok(shown.textLength > 200, `the panel shows ${shown.textLength} characters`);

    if (await webviewTexts()) {
      const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes(url))?.text, 'the report text in a webview');
      assert.match(text, /certificate-self-signed/);
      assert.match(text, /What it means for Mailroom/i, 'the explanations section (headings are upper-cased by CSS)');
      assert.match(text, /Copy as Markdown/);
      log(`report panel shows: ${text.slice(0, 200).replace(/\n/g, ' | ')}`);
    }
    const shot = await takeScreenshot('probe-report');
    if (shot) log(`screenshot: ${shot}`);
  });

  it('a deep check of the IMAP STARTTLS port shows the STARTTLS findings like the other warnings', async () => {
    const rendered = nextRender();
    const url = `imap://${fixture.host}:${fixture.ports.imap}`;
    const reports = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.checkServer', url, { deep: true });
    const [report] = reports;
    assert.equal(report.failedPhase, undefined, JSON.stringify(report.error));
    // The fixture allows plaintext auth, and Dovecot trusts a loopback peer: the random password is checked.
    assert.equal(report.starttls?.plaintextAuth?.verdict, 'accepted', report.starttls?.plaintextAuth?.detail);
    assert.equal(report.starttls?.commandInjection?.verdict, 'not-vulnerable', report.starttls?.commandInjection?.detail);
    assert.ok(report.warnings.some((w) => w.code === 'plaintext-auth-accepted'));
    await rendered;
    if (await webviewTexts()) {
      const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes(url) && /STARTTLS checks/i.test(t.text))?.text, 'the STARTTLS checks in a webview');
      assert.match(text, /plaintext-auth-accepted/);
      assert.match(text, /STARTTLS command injection\s*not vulnerable/);
      log(`deep report shows: ${text.slice(text.search(/STARTTLS checks/i), text.search(/STARTTLS checks/i) + 300).replace(/\n/g, ' | ')}`);
    }
    const shot = await takeScreenshot('probe-deep');
    if (shot) log(`screenshot: ${shot}`);
  });

  it('scans the host: Dovecot’s four ports and the SMTP sink as submission, concurrently', async () => {
    const rendered = nextRender();
    const ports = { imap: fixture.ports.imap, imaps: fixture.ports.imaps, pop3: fixture.ports.pop3, pop3s: fixture.ports.pop3s, submission: fixture.ports.smtp };
    const reports = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.scanHost', fixture.host, { ports });
    assert.deepEqual(reports.map((r) => r.scheme), ['imap', 'imaps', 'pop3', 'pop3s', 'submission']);
    assert.ok(reports.every((r) => r.failedPhase === undefined), JSON.stringify(reports.map((r) => r.error)));
    assert.ok(reports.find((r) => r.scheme === 'pop3')?.auth.apop, 'Dovecot offers APOP');
    assert.ok(reports.find((r) => r.scheme === 'submission')?.capabilities.beforeTls?.includes('STARTTLS'));
    assert.equal((await rendered).endpoints, 5);
    const shot = await takeScreenshot('probe-scan');
    if (shot) log(`screenshot: ${shot}`);
  });

  it('compares two check reports in a read-only document, and refuses files that are not reports', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-compare-'));
    try {
      const url = `imaps://${fixture.host}:${fixture.ports.imaps}`;
      const before = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.checkServer', url);
      await dovecotControl('stop');
      let after: ProbeReport[];
      try {
        after = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.checkServer', url);
      } finally {
        await dovecotControl('start');
      }
      assert.equal(after[0].failedPhase, 'connect');
      const file = (name: string, text: string): vscode.Uri => {
        fs.writeFileSync(path.join(dir, name), text);
        return vscode.Uri.file(path.join(dir, name));
      };
      const beforeUri = file('before.json', reportsToJson(before));
      const afterUri = file('after.json', reportsToJson(after));

      const result = await vscode.commands.executeCommand<CompareResult>('mailroom.compareCheckReports', beforeUri, afterUri);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.diff.worse.errors, 1);
      const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.scheme === 'mailroom-check-diff' ? vscode.window.activeTextEditor : undefined), 'the comparison document');
      assert.equal(editor.document.uri.toString(), result.document.toString());
      const text = editor.document.getText();
      assert.match(text, new RegExp(`^${url.replace(/[.:/]/g, '\\$&')}: changed \\(warnings → failed\\) {2}WORSE: a check that passed now fails$`, 'm'));
      assert.match(text, /^ {2}failed phase: — → connect$/m);
      assert.match(text, /^ {2}phase connect: ok → failed \(ConnectionRefused: /m);
      // Typing into it does nothing: the document is read-only, and nothing can be saved over the reports.
      await vscode.commands.executeCommand('type', { text: 'typed over the comparison' });
      assert.equal(editor.document.getText(), text, 'the document is read-only');
      assert.equal(editor.document.isDirty, false);
      const shot = await takeScreenshot('probe-compare');
      if (shot) log(`screenshot: ${shot}`);

      const refused = async (name: string, content: string, pattern: RegExp): Promise<void> => {
        const r = await vscode.commands.executeCommand<CompareResult>('mailroom.compareCheckReports', beforeUri, file(name, content));
        assert.ok(!r.ok, name);
        assert.equal(r.error.code, 'ReportInvalid');
        assert.match(r.error.message, pattern);
      };
      await refused('garbage.json', 'not json at all', /^garbage\.json is not JSON/);
      await refused('v2.json', reportsToJson(before).replace('"schemaVersion": 1', '"schemaVersion": 2'), /v2\.json is a check report of schema version 2; this Mailroom reads version 1/);
      await refused('settings.json', '{"editor.fontSize": 14}', /settings\.json is not a check report: it has no schemaVersion/);
      fs.writeFileSync(path.join(dir, 'huge.json'), '[');
      fs.truncateSync(path.join(dir, 'huge.json'), 50 * 1024 * 1024);
      const huge = await vscode.commands.executeCommand<CompareResult>('mailroom.compareCheckReports', beforeUri, vscode.Uri.file(path.join(dir, 'huge.json')));
      assert.ok(!huge.ok);
      assert.match(huge.error.message, /huge\.json is 50 MB; a check report is far smaller/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reopens a stored report picked in the file dialog, drawn as when it ran; a file that is not a report is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-open-report-'));
    try {
      const url = `imaps://${fixture.host}:${fixture.ports.imaps}`;
      const checkShown = nextRender();
      const checked = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.checkServer', url);
      await checkShown;
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const stored = path.join(dir, 'stored.json');
      fs.writeFileSync(stored, reportsToJson(checked, { transcript: true }));
      const rendered = nextRender();
      let result: OpenReportResult | undefined;
      if (canDriveInput()) {
        // As a person does it: the command, then the file dialog (a quick input in the browser workbench).
        const opening = vscode.commands.executeCommand<OpenReportResult>('mailroom.openCheckReport');
        await waitForQuickInput('Open Check Report');
        await pressKey('Control+A');
        await typeText(stored);
        await takeScreenshot('probe-open-report-dialog');
        await pressKey('Enter');
        result = await Promise.race([
          opening,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the file dialog did not open the typed path within 20 s (see probe-open-report-dialog.png)')), 20_000)),
        ]);
      } else {
        result = await vscode.commands.executeCommand<OpenReportResult>('mailroom.openCheckReport', vscode.Uri.file(stored));
      }
      assert.ok(result?.ok, JSON.stringify(result));
      assert.equal(result.reports.length, 1);
      assert.equal(result.reports[0].url, url);
      const shown = await rendered;
      assert.equal(shown.title, 'Report: stored.json');
      assert.equal(shown.endpoints, 1);
      if (await webviewTexts()) {
        const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes('Report: stored.json'))?.text, 'the stored report in a webview');
        assert.ok(text.includes(`Stored report ${stored}, checked `), text.slice(0, 400));
        assert.match(text, /, checked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. Nothing was checked again\./);
        assert.ok(text.includes(url));
        assert.match(text, /certificate-self-signed/);
        log(`stored report panel shows: ${text.slice(0, 240).replace(/\n/g, ' | ')}`);
      }
      const shot = await takeScreenshot('probe-open-report');
      if (shot) log(`screenshot: ${shot}`);

      fs.writeFileSync(path.join(dir, 'notes.json'), '{"editor.fontSize": 14}');
      const refused = await vscode.commands.executeCommand<OpenReportResult>('mailroom.openCheckReport', vscode.Uri.file(path.join(dir, 'notes.json')));
      assert.ok(refused && !refused.ok, JSON.stringify(refused));
      assert.equal(refused.error.code, 'ReportInvalid');
      assert.match(refused.error.message, /^notes\.json is not a check report: it has no schemaVersion/);
      const garbled = await vscode.commands.executeCommand<OpenReportResult>('mailroom.openCheckReport', vscode.Uri.file(path.join(dir, 'missing.json')));
      assert.ok(garbled && !garbled.ok);
      assert.match(garbled.error.message, /^Cannot read missing\.json/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks a mail domain (its zone on a local DNS server) and shows findings, sections and MX ports', async () => {
    const dns = await startLocalDns({
      mx: { 'panel.test': [{ exchange: 'localhost', priority: 10 }] },
      txt: { 'panel.test': ['v=spf1 include:spf.panel.test +all'], 'spf.panel.test': ['v=spf1 ip4:192.0.2.0/24 -all'], '_smtp._tls.panel.test': ['v=TLSRPTv1; rua=mailto:tls@panel.test'] },
    });
    try {
      const rendered = nextRender();
      const report = await vscode.commands.executeCommand<DomainReport>('mailroom.checkDomain', 'panel.test', { dnsServer: `127.0.0.1:${dns.port}` });
      const codes = report.findings.map((f) => f.code);
      for (const code of ['spf-plus-all', 'dmarc-missing', 'mta-sts-missing'] as const) assert.ok(codes.includes(code), `${code} in ${codes.join(', ')}`);
      assert.ok(!codes.includes('tls-rpt-missing'), 'the TLS-RPT record was read');
      assert.equal(report.spf.dnsLookups, 1);
      assert.deepEqual(report.mx.map((h) => [h.host, h.ports.map((p) => p.port)]), [['localhost', [25, 465, 587]]]);
      const shown = await rendered;
      assert.equal(shown.title, 'Domain: panel.test');
      assert.equal(shown.endpoints, 3);
      if (await webviewTexts()) {
        const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes('Mail domain panel.test'))?.text, 'the domain report in a webview');
        assert.match(text, /spf-plus-all/);
        assert.match(text, /dmarc-missing/);
        assert.match(text, /Fix: Publish "v=DMARC1/);
        assert.match(text, /DNS lookups: 1 of 10 allowed/);
        assert.match(text, /smtp:\/\/localhost:25/);
        log(`domain panel shows: ${text.slice(0, 200).replace(/\n/g, ' | ')}`);
      }
      const shot = await takeScreenshot('probe-domain');
      if (shot) log(`screenshot: ${shot}`);
    } finally {
      await dns.stop();
    }
  });

  it('runs the behaviour checks on a test account and shows each row, leaving no scratch folder behind', async () => {
    const id = 'probe-behaviour';
    const added = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', imapsAccount(fixture, fixture.users.alice, id, 'Behaviour test'));
    assert.equal(added.saved, true, JSON.stringify(added));
    try {
      const rendered = nextRender();
      const reports = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.checkServerBehaviour', id, { confirmed: true, idleWaitMs: 5_000 });
      const b = reports?.[0]?.behaviour;
      assert.ok(b, JSON.stringify(reports?.[0]?.error));
      assert.deepEqual(b.checks.filter((c) => c.outcome !== 'pass').map((c) => [c.id, c.detail]), []);
      assert.equal(b.checks.length, 8);
      assert.equal(b.scratch?.removed, true);
      await rendered;
      if (await webviewTexts()) {
        const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes('imap.idle'))?.text, 'the behaviour rows in the webview');
        assert.match(text, /8 passed, 0 failed, 0 skipped/);
        assert.match(text, /Scratch folders .*removed/);
      }
      const shot = await takeScreenshot('probe-behaviour');
      if (shot) log(`screenshot: ${shot}`);
    } finally {
      await vscode.commands.executeCommand('mailroom.removeAccount', id);
    }
  });
});
