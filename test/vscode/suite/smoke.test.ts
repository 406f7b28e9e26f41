// Minimal in-host check that the extension loads; also proves the runner's screenshot service.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { takeScreenshot } from './harness';

describe('smoke', () => {
  it('finds and activates mailroom.mailroom', async () => {
    const extension = vscode.extensions.getExtension('mailroom.mailroom');
    assert.ok(extension, 'extension mailroom.mailroom is not installed in the host');
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('takes a screenshot of the workbench', async () => {
    const file = await takeScreenshot('smoke');
    if (file === undefined) {
      return; // No screenshot service (desktop test-cli).
    }
    assert.ok(fs.existsSync(file), `screenshot ${file} was not written`);
  });
});
