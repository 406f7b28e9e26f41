// The walkthrough's demo step in the real workbench: "Get started with Mailroom" lists "Or try the
// demo" after adding an account, and its button (mailroom.showDemo) opens the README shipped with
// the extension in the Markdown preview, at the section that says how `npm run demo` starts a real
// local mail server. No mailbox is faked: an installed extension has no server to start.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateMailroom, hasBrowserService, takeScreenshot, waitFor, webviewTexts, workbenchTexts } from './harness';

const WALKTHROUGH = 'mailroom.mailroom#mailroom.gettingStarted';

describe('Mailroom walkthrough: the demo step (in the extension host)', function () {
  this.timeout(90_000);

  before(async () => {
    await activateMailroom();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows the demo step, whose command opens the README’s demo instructions in the Markdown preview', async () => {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', { category: WALKTHROUGH, step: 'tryDemo' }, false);
    if (hasBrowserService()) {
      const text = await waitFor(async () => {
        const shown = (await workbenchTexts('.part.editor'))?.join('\n') ?? '';
        return shown.includes('Or try the demo') ? shown : undefined;
      }, 'the walkthrough with its demo step', 30_000).catch(async (err: unknown) => {
        await takeScreenshot('walkthrough-demo-step-missing');
        throw err;
      });
      assert.ok(text.indexOf('Add a mail account') < text.indexOf('Or try the demo'), 'the demo step follows adding an account');
      // The step opened: its description and button are on screen.
      await waitFor(async () => ((await workbenchTexts('.part.editor'))?.join('\n').includes('Show the Demo Instructions') ? true : undefined), 'the demo step opened');
      assert.ok(text.includes('Or try the demo'));
    }
    await takeScreenshot('walkthrough-demo-step');

    const readme = await vscode.commands.executeCommand<vscode.Uri>('mailroom.showDemo');
    assert.equal(readme.path.endsWith('/README.md'), true, readme.toString());
    assert.equal(readme.fragment, 'the-two-commands');
    const tab = await waitFor(
      () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && /README\.md/.test(t.label)),
      'the Markdown preview tab of README.md',
    );
    assert.match(tab.label, /Preview README\.md/);
    if (hasBrowserService()) {
      await waitFor(async () => ((await webviewTexts())?.some((w) => w.text.includes('npm run demo') && w.text.includes('seeded mailbox')) ? true : undefined), 'the demo instructions drawn', 30_000);
    }
    await takeScreenshot('walkthrough-demo-instructions');
  });
});
