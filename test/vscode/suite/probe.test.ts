// "Mailroom: Check Server Capabilities…" and "Mailroom: Scan Host…" inside the real extension
// host, against the Dovecot fixture and the SMTP sink: the commands resolve with the reports, the
// report webview draws them, and the code-server runner saves a screenshot of it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { ProbeFeature } from '../../../src/providers/probe/probeCommands';
import type { ProbeRenderedReport } from '../../../src/providers/probe/probePanel';
import type { ProbeReport } from '../../../src/shared/probeReport';
import { fixtureInfo, FixtureInfo, log, takeScreenshot, waitFor, webviewTexts } from './harness';

describe('Mailroom server check (in the extension host)', function () {
  this.timeout(120_000);
  let fixture: FixtureInfo;
  let probe: ProbeFeature;

  before(async () => {
    fixture = fixtureInfo();
    const extension = vscode.extensions.getExtension<MailroomApi & { probe?: ProbeFeature }>('mailroom.mailroom');
    assert.ok(extension, 'the extension is loaded');
    const api = await extension.activate();
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
});
