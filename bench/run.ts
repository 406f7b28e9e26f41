// `npm run bench [suite...]`: prints one JSON line per measurement, {name, value, unit, baseline,
// ratio}, each against a baseline measured in this same run. Suites: this file's own `bundle`
// (bundle sizes and activation), then every `bench/suites/<name>.ts` in name order. With
// arguments, only the suites named.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLES = 7;
import { BenchContext, BenchSuite, benchContext, median } from './report';

type BuildOptions = import('esbuild').BuildOptions;
interface BuildConfig {
  builds: BuildOptions[];
}


/** Builds one of esbuild.js's own configurations, minified as in --production, into `outfile`. */
async function buildAs(config: BuildOptions, outfile: string): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const { outdir: _outdir, plugins, ...rest } = config;
  await esbuild.build({
    ...rest,
    absWorkingDir: ROOT,
    outfile,
    minify: true,
    sourcemap: false,
    plugins: (plugins ?? []).filter((p) => p.name !== 'esbuild-problem-matcher'),
  });
  return fs.statSync(outfile).size;
}

async function bundle(entry: string, outfile: string, format: 'cjs' | 'iife', platform: 'node' | 'browser'): Promise<number> {
  return buildAs({ entryPoints: [entry], bundle: true, format, platform, external: ['vscode'], logLevel: 'silent' }, outfile);
}

type ActivationSample = { requireMs: number; activateMs: number; cpuMs: number; sockets: number; lazyLoaded: string[]; codeCache: string };
interface Activation {
  activateMs: number;
  totalMs: number;
  cpuMs: number;
  sockets: number;
  lazyLoaded: string[];
  codeCache: string[];
}

/**
 * SAMPLES fresh processes activating `bundlePath`. With `storage`, they share one global storage
 * directory as VS Code's windows do: one unmeasured run first writes the code cache, and the
 * samples then start as every window after the first does.
 */
function activation(bundlePath: string, storage?: string): Activation {
  const probe = path.join(__dirname, 'activationProbe.js');
  const run = (): ActivationSample =>
    JSON.parse(execFileSync(process.execPath, [probe, bundlePath, ...(storage ? [storage] : [])], { encoding: 'utf8' })) as ActivationSample;
  if (storage) run();
  const samples = Array.from({ length: SAMPLES }, run);
  return {
    activateMs: median(samples.map((s) => s.activateMs)),
    totalMs: median(samples.map((s) => s.requireMs + s.activateMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    sockets: Math.max(...samples.map((s) => s.sockets)),
    lazyLoaded: [...new Set(samples.flatMap((s) => s.lazyLoaded))],
    codeCache: [...new Set(samples.map((s) => s.codeCache))],
  };
}

async function bundleSuite({ tmp, emit, fail }: BenchContext): Promise<void> {
  {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(path.join(ROOT, 'esbuild.js')) as BuildConfig;
    const build = (outfile: string): BuildOptions => {
      const found = config.builds.find((b) => b.outfile === outfile);
      if (!found) throw new Error(`esbuild.js has no build for ${outfile}`);
      return found;
    };
    const hostBuild = build('dist/host.js');
    const bootstrapBuild = build('dist/extension.js');
    const engineBuild = build('dist/engine.js');
    const libsBuild = build('dist/libs.js');
    const webviewBuild = config.builds.find((b) => b.outdir === 'dist/webviews');
    if (!webviewBuild) throw new Error('esbuild.js has no webview build');

    const baselineBundle = path.join(tmp, 'baseline.js');
    const baselineBytes = await bundle(path.join(ROOT, 'bench', 'fixtures', 'baselineExtension.ts'), baselineBundle, 'cjs', 'node');
    // What activation parses: the host bundle, with the mail libraries split off into libs.js.
    const host = await buildAs(hostBuild, path.join(tmp, 'host.js'));
    emit('bundle.extension.bytes', host, 'bytes', baselineBytes);
    // What VS Code loads first: src/bootstrap.ts, which loads host.js through its code cache.
    const bootstrap = await buildAs(bootstrapBuild, path.join(tmp, 'extension.js'));
    emit('bundle.bootstrap.bytes', bootstrap, 'bytes', baselineBytes);
    // What the first use of mail loads (sync, stores, POP3, the prober, compose), against the host.
    const engine = await buildAs(engineBuild, path.join(tmp, 'engine.js'));
    emit('bundle.engine.bytes', engine, 'bytes', host);

    const imapflowEntry = path.join(tmp, 'imapflow-entry.js');
    fs.writeFileSync(imapflowEntry, `module.exports = require(${JSON.stringify(require.resolve('imapflow', { paths: [ROOT] }))});\n`);
    const imapflowAlone = await bundle(imapflowEntry, path.join(tmp, 'imapflow.js'), 'cjs', 'node');
    const libs = await buildAs(libsBuild, path.join(tmp, 'libs.js'));
    emit('bundle.libs.bytes', libs, 'bytes', imapflowAlone);

    const webview = await buildAs({ ...webviewBuild, entryPoints: [path.join(ROOT, 'media', 'message', 'main.ts')] }, path.join(tmp, 'message.js'));
    const sharedEntry = path.join(ROOT, 'src', 'shared', 'messageView.ts');
    const sharedAlone = await bundle(sharedEntry, path.join(tmp, 'shared.js'), 'iife', 'browser');
    emit('bundle.webview.message.bytes', webview, 'bytes', sharedAlone);

    // Every window after the first: the code cache written by the first is in the global storage.
    const mine = activation(path.join(tmp, 'extension.js'), fs.mkdtempSync(path.join(tmp, 'storage-')));
    const base = activation(baselineBundle);
    emit('activation.total.ms', mine.totalMs, 'ms', base.totalMs, { codeCache: mine.codeCache.join(',') });
    emit('activation.activate.ms', mine.activateMs, 'ms', base.activateMs);
    emit('activation.cpu.ms', mine.cpuMs, 'ms', base.cpuMs);
    if (mine.codeCache.join() !== 'accepted') fail(`the code cache was ${mine.codeCache.join(', ')} after the first window; it should be accepted`);
    // The first window after an install or update, and every one if the cache could not be written.
    const cold = activation(path.join(tmp, 'extension.js'));
    emit('activation.cold.total.ms', cold.totalMs, 'ms', base.totalMs, { codeCache: cold.codeCache.join(',') });
    emit('activation.cold.cpu.ms', cold.cpuMs, 'ms', base.cpuMs);
    for (const run of [mine, cold]) {
      if (run.sockets !== 0) fail(`activation opened ${run.sockets} socket(s); it must connect nowhere`);
      if (run.lazyLoaded.length) fail(`activation loaded ${run.lazyLoaded.join(' and ')}; those load on first use`);
    }
    emit('activation.sockets', mine.sockets, 'count', 1); // ratio 0: activation connects nowhere
  }
}

function suites(): Array<[string, BenchSuite]> {
  const dir = path.join(__dirname, 'suites');
  const found: Array<[string, BenchSuite]> = [['bundle', bundleSuite]];
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    if (!file.endsWith('.js')) continue;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as { run?: BenchSuite };
    if (typeof mod.run === 'function') found.push([file.slice(0, -3), mod.run]);
  }
  return found;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const all = suites();
  const unknown = wanted.filter((w) => !all.some(([name]) => name === w));
  if (unknown.length) throw new Error(`unknown bench suite(s): ${unknown.join(', ')}; known: ${all.map(([n]) => n).join(', ')}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bench-'));
  try {
    for (const [name, suite] of all) {
      if (wanted.length && !wanted.includes(name)) continue;
      process.stderr.write(`bench: ${name}\n`);
      await suite(benchContext(ROOT, fs.mkdtempSync(path.join(tmp, `${name}-`))));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
