// The official VS Code bundling recipe (code.visualstudio.com/api/working-with-extensions/bundling-extension):
// one bundle for the extension host, one per webview; --production minifies, --watch rebuilds
// and prints the lines the `$esbuild-watch` problem matcher reads.
const fs = require('node:fs');
const esbuild = require('esbuild');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').Plugin} */
const esbuildProblemMatcherPlugin = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => {
      console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/**
 * Keeps src/protocol/libs.ts (imapflow, mailparser) out of the host bundle: the host requires
 * ./libs.js at run time, on first connect, so activation does not parse ~2.5 MB of libraries.
 * @type {import('esbuild').Plugin}
 */
const lazyLibsPlugin = {
  name: 'mailroom-lazy-libs',
  setup(build) {
    build.onResolve({ filter: /^\.\/libs$/ }, (args) =>
      args.importer.endsWith('loadMailLibraries.ts') ? { path: './libs.js', external: true } : undefined,
    );
    // ical.js the same way, as dist/calendar.js: read only when a message with an invitation opens.
    build.onResolve({ filter: /^\.\/icalLib$/ }, (args) =>
      args.importer.endsWith('loadIcal.ts') ? { path: './calendar.js', external: true } : undefined,
    );
  },
};

/**
 * Keeps src/engine.ts (sync, stores, POP3, the prober, discovery, OAuth, compose) out of the host
 * bundle: the host requires ./engine.js at run time through src/loadEngine.ts, on first use, so
 * activation parses only the wiring. The engine bundle carries its own copy of what both share
 * (errors.ts: MailError identity is structural for this reason).
 * @type {import('esbuild').Plugin}
 */
const lazyEnginePlugin = {
  name: 'mailroom-lazy-engine',
  setup(build) {
    build.onResolve({ filter: /^\.\/engine$/ }, (args) =>
      args.importer.endsWith('loadEngine.ts') ? { path: './engine.js', external: true } : undefined,
    );
  },
};

/**
 * `import * as vscode from 'vscode'` compiles, per importing module, to esbuild's __toESM(require('vscode')),
 * which copies the whole API object (hundreds of properties) into a new namespace object: some 50
 * copies at every activation, the largest single cost left in it after the code cache (measured with
 * --cpu-prof through bench/activationProbe.ts). TypeScript's `import vscode = require('vscode')` means
 * the same to the type checker and compiles to the plain require, so the host's sources are read
 * with that line rewritten (same line, so source maps stay right).
 * @type {import('esbuild').Plugin}
 */
const plainVscodeRequirePlugin = {
  name: 'mailroom-plain-vscode-require',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      return { contents: source.replace(/^import \* as (\w+) from 'vscode';$/m, "import $1 = require('vscode');"), loader: 'ts' };
    });
  },
};

/**
 * '@vscode/l10n' is VS Code's own vscode.l10n in the host bundle (src/providers/hostL10n.ts):
 * the modules written against @vscode/l10n (so they also run in plain Node) get VS Code's bundle
 * without the library being loaded at activation. Webviews and the CLI keep the library.
 * @type {import('esbuild').Plugin}
 */
const vscodeL10nInHostPlugin = {
  name: 'mailroom-vscode-l10n-in-host',
  setup(build) {
    build.onResolve({ filter: /^@vscode\/l10n$/ }, () => ({ path: require('node:path').join(__dirname, 'src', 'providers', 'hostL10n.ts') }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'silent',
  plugins: [esbuildProblemMatcherPlugin],
};

const builds = [
  {
    // The host: the wiring, the tree, the panels. Loaded by dist/extension.js (below) through a V8 code cache.
    ...common,
    entryPoints: ['src/extension.ts'],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: 'dist/host.js',
    external: ['vscode'],
    plugins: [...common.plugins, lazyLibsPlugin, lazyEnginePlugin, plainVscodeRequirePlugin, vscodeL10nInHostPlugin],
  },
  {
    // package.json "main": src/bootstrap.ts, which loads dist/host.js with its code cache.
    ...common,
    entryPoints: ['src/bootstrap.ts'],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: 'dist/extension.js',
  },
  {
    // Loaded by the host on first use (src/loadEngine.ts); itself loads dist/libs.js on first use.
    ...common,
    entryPoints: ['src/engine.ts'],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: 'dist/engine.js',
    external: ['vscode'],
    plugins: [...common.plugins, lazyLibsPlugin],
  },
  {
    ...common,
    entryPoints: ['src/protocol/libs.ts'],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: 'dist/libs.js',
  },
  {
    ...common,
    entryPoints: { message: 'media/message/main.ts', conversation: 'media/conversation/main.ts', probe: 'media/probe/main.ts', headers: 'media/headers/main.ts' },
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    outdir: 'dist/webviews',
  },
  {
    // `mailroom-check`, the capability probe on the command line (package.json "bin").
    ...common,
    entryPoints: ['src/cli/mailroomCheck.ts'],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: 'dist/cli/mailroom-check.js',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // ical.js for invitations (src/protocol/calendar/), loaded lazily like libs.js. Last, so the
    // bench's positional reading of `builds` (host, libs, webviews) stays as it is.
    ...common,
    entryPoints: ['src/protocol/calendar/icalLib.ts'],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outfile: 'dist/calendar.js',
  },
];

async function main() {
  // A production build starts clean so no stale source maps end up in the package.
  if (production) fs.rmSync('dist', { recursive: true, force: true });
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  if (watch) {
    await Promise.all(contexts.map((ctx) => ctx.watch()));
    return;
  }
  try {
    const results = await Promise.all(contexts.map((ctx) => ctx.rebuild()));
    if (results.some((r) => r.errors.length)) process.exitCode = 1;
    if (fs.existsSync('dist/cli/mailroom-check.js')) fs.chmodSync('dist/cli/mailroom-check.js', 0o755);
  } finally {
    await Promise.all(contexts.map((ctx) => ctx.dispose()));
  }
}

module.exports = { builds, common, lazyLibsPlugin, lazyEnginePlugin };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
