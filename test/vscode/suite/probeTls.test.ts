// "Mailroom: Check Server TLS in Depth…" inside the real extension host against the Dovecot
// fixture: the command resolves with the report and its deep check, and the report webview shows
// the collapsible TLS deep check section.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ProbeFeature } from '../../../src/providers/probe/probeCommands';
import type { ProbeRenderedReport } from '../../../src/providers/probe/probePanel';
import type { ProbeReport } from '../../../src/shared/probeReport';
import { activateMailroom, fixtureInfo, FixtureInfo, log, takeScreenshot, waitFor, webviewTexts } from './harness';

describe('Mailroom TLS deep check (in the extension host)', function () {
  this.timeout(120_000);
  let fixture: FixtureInfo;
  let probe: ProbeFeature;

  before(async () => {
    fixture = fixtureInfo();
    const api = await activateMailroom();
    assert.ok(api.probe, 'the API exposes the server check feature');
    probe = api.probe;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('checks TLS in depth on the Dovecot IMAPS port and shows the section', async () => {
    const rendered = new Promise<ProbeRenderedReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the report webview never rendered')), 90_000);
      const sub = probe.onDidRenderReport((r) => {
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
    const url = `imaps://${fixture.host}:${fixture.ports.imaps}`;
    const reports = await vscode.commands.executeCommand<ProbeReport[]>('mailroom.checkServerTls', url);
    assert.equal(reports.length, 1);
    const deep = reports[0].tlsDeep;
    assert.ok(deep, 'the report carries the deep check');
    assert.deepEqual(deep.versions.map((v) => `${v.version}:${v.result}`), ['TLSv1:refused', 'TLSv1.1:refused', 'TLSv1.2:accepted', 'TLSv1.3:accepted']);
    assert.ok((deep.ciphers.find((c) => c.version === 'TLSv1.3')?.accepted.length ?? 0) >= 3);
    assert.equal(deep.chain?.source, 'served');
    assert.equal(deep.chain?.certificates[0].sha256, fixture.certSha256);
    // The fixture's certificate is self-signed (CA:FALSE): a complete chain of one, not a missing intermediate.
    assert.equal(deep.chain?.complete, true, deep.chain?.incompleteReason);
    assert.ok(!reports[0].warnings.some((w) => w.code === 'tls-chain-incomplete'));
    assert.ok((await rendered).textLength > 200);
    if (await webviewTexts()) {
      const text = await waitFor(async () => (await webviewTexts())?.find((t) => t.text.includes(url))?.text, 'the report text in a webview');
      assert.match(text, /TLS deep check · \d+ connections/);
      assert.match(text, /TLS_AES_256_GCM_SHA384/);
      assert.match(text, /leaf first, each followed by its issuer/);
    }
    const shot = await takeScreenshot('probe-tls-deep');
    if (shot) log(`screenshot: ${shot}`);
  });
});
