/**
 * "Mailroom: How to Try the Demo", the walkthrough's demo step. The demo is a real mail server:
 * `npm run demo`, from a clone of Mailroom's repository, starts Dovecot with seeded mail and a VS
 * Code connected to it. An installed extension has no server to start and shows no mail it did not
 * fetch, so the step shows the README's instructions (the README ships in the extension) at their
 * heading, in the Markdown preview.
 */
import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';

/** The README's section with `npm run demo`, as the Markdown preview's fragment (its heading's slug). */
export const DEMO_SECTION = 'the-two-commands';

export function registerDemoCommand(extensionUri: vscode.Uri, log: ProtocolLog): vscode.Disposable {
  return vscode.commands.registerCommand('mailroom.showDemo', () => showDemoInstructions(extensionUri, log));
}

async function showDemoInstructions(extensionUri: vscode.Uri, log: ProtocolLog): Promise<vscode.Uri> {
  const readme = vscode.Uri.joinPath(extensionUri, 'README.md').with({ fragment: DEMO_SECTION });
  try {
    await vscode.commands.executeCommand('markdown.showPreview', readme);
  } catch (err) {
    // Without the built-in Markdown extension (disabled by the user): the file itself.
    log.warn(`demo instructions: no Markdown preview (${String(err)}); opening README.md as text`);
    await vscode.window.showTextDocument(readme.with({ fragment: '' }), { preview: true });
  }
  return readme;
}
