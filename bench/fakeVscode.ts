// A stand-in for the `vscode` module so activate() can run in plain Node for timing. Every member
// is a callable that returns another stand-in; awaiting one resolves to undefined. It measures
// our own activation work, not VS Code's.
export function createFakeVscode(): unknown {
  const make = (): unknown =>
    new Proxy(function () {}, {
      get(_target, prop) {
        if (prop === 'then') return undefined;
        if (prop === Symbol.toPrimitive) return () => '';
        if (prop === 'event') return () => ({ dispose() {} });
        if (prop === 'get') return (_key: string, fallback?: unknown) => fallback;
        // Lists VS Code has at startup (open documents, editors, tabs): empty, as in a fresh window.
        if (prop === 'textDocuments' || prop === 'visibleTextEditors' || prop === 'all') return [];
        return make();
      },
      set: () => true,
      defineProperty: () => true,
      apply: () => make(),
      construct: () => make() as object,
    });
  // esbuild's ESM interop copies the module's own keys, so the namespace members must be real keys.
  const members = ['window', 'workspace', 'commands', 'env', 'extensions', 'EventEmitter', 'Disposable', 'ThemeIcon', 'ThemeColor', 'TreeItem',
    'TreeItemCollapsibleState', 'MarkdownString', 'Uri', 'ProgressLocation', 'ConfigurationTarget', 'ViewColumn', 'StatusBarAlignment',
    'DataTransferItem', 'QuickPickItemKind', 'authentication', 'l10n', 'languages', 'tasks'];
  return Object.fromEntries(members.map((name) => [name, make()]));
}
