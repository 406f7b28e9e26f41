// Minimal in-host check that the extension loads; also proves the runner's screenshot service.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import { takeScreenshot, waitFor } from './harness';

describe('smoke', () => {
  it('finds and activates mailroom.mailroom', async () => {
    const extension = vscode.extensions.getExtension('mailroom.mailroom');
    assert.ok(extension, 'extension mailroom.mailroom is not installed in the host');
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('starts through dist/extension.js, which writes the code cache the next window reads', async () => {
    const api = (await vscode.extensions.getExtension('mailroom.mailroom')?.activate()) as MailroomApi;
    assert.ok(api.startup, 'the host was loaded by src/bootstrap.ts');
    // A fresh user-data directory has nothing cached, so this window writes the cache; a window the
    // runner reloaded would have read it. Rejected or unavailable would mean the cache never works here.
    assert.ok(['absent', 'accepted'].includes(api.startup.codeCache), `code cache ${api.startup.codeCache}`);
    const dir = api.startup.codeCacheDir;
    await waitFor(() => fs.existsSync(dir) && fs.readdirSync(dir).some((name) => /^host-.*\.bin$/.test(name)), 'the code cache file', 15_000);
    assert.deepEqual(fs.readdirSync(dir).filter((name) => !/^host-.*\.bin$/.test(name)), [], 'only the cache file, no temporary one');
  });

  it('takes a screenshot of the workbench', async () => {
    const file = await takeScreenshot('smoke');
    if (file === undefined) {
      return; // No screenshot service (desktop test-cli).
    }
    assert.ok(fs.existsSync(file), `screenshot ${file} was not written`);
  });
});
