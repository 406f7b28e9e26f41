// "Mailroom: Check Server Capabilities…" and "Mailroom: Scan Host…" inside the real extension
// host, against the Dovecot fixture and the SMTP sink: the commands resolve with the reports, the
// report webview draws them, and the code-server runner saves a screenshot of it.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { ProbeFeature } from '../../../src/providers/probe/probeCommands';
import type { ProbeRenderedReport } from '../../../src/providers/probe/probePanel';
import type { ProbeReport } from '../../../src/shared/probeReport';
import type { AddAccountResult } from '../../../src/providers/commands/accountCommands';
import { fixtureInfo, FixtureInfo, imapsAccount, log, takeScreenshot, waitFor, webviewTexts } from './harness';

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
