// What '@vscode/l10n' is in the host bundle (esbuild.js, `vscodeL10nInHostPlugin`): VS
// Code's own vscode.l10n. Modules that also run in plain Node (unit tests, the CLI) translate
// through @vscode/l10n; inside VS Code they get the same bundle from VS Code directly, so activation
// neither loads the library (and its fs/promises) nor configures a second copy of the bundle.
import * as vscode from 'vscode';

type Translate = (...args: unknown[]) => string;

export function t(...args: unknown[]): string {
  return (vscode.l10n.t as Translate)(...args);
}

/** VS Code loads its bundle itself: nothing to configure. */
export function config(): void {}
