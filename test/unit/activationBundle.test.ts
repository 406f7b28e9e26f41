// The activation probe (bench/activationProbe.ts) run once against freshly built bundles, so the
// `bundle` bench cannot silently stop measuring again: activate() must run against the stand-in
// vscode without throwing, connect nowhere, and leave the lazily loaded bundles unloaded. No timing
// is asserted here; activation.total.ms lives in the bench.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PROBE = path.join(ROOT, 'out', 'bench', 'activationProbe.js');

type BuildOptions = import('esbuild').BuildOptions;

/** esbuild.js's own host and engine builds, written to `dir` instead of dist/. */
async function buildBundles(dir: string): Promise<{ host: string; engine: string }> {
  // host: what VS Code loads (src/bootstrap.ts), which loads host.js beside it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { builds } = require(path.join(ROOT, 'esbuild.js')) as { builds: BuildOptions[] };
  const out = { host: path.join(dir, 'extension.js'), engine: path.join(dir, 'engine.js') };
  for (const [from, to] of [['dist/extension.js', out.host], ['dist/host.js', path.join(dir, 'host.js')], ['dist/engine.js', out.engine]] as const) {
    const config = builds.find((b) => b.outfile === from);
    assert.ok(config, `esbuild.js builds ${from}`);
    const { plugins, ...rest } = config;
    await esbuild.build({ ...rest, absWorkingDir: ROOT, outfile: to, sourcemap: false, logLevel: 'silent', plugins: (plugins ?? []).filter((p) => p.name !== 'esbuild-problem-matcher') });
  }
  return out;
}

describe('Activation of the built extension (the bench’s activation probe, once)', function () {
  this.timeout(120_000);
  let dir: string;
  let bundles: { host: string; engine: string };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-activation-test-'));
    bundles = await buildBundles(dir);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('activates without throwing, opens 0 sockets and loads neither engine.js nor libs.js', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [PROBE, bundles.host], { encoding: 'utf8', timeout: 60_000 });
    const result = JSON.parse(stdout) as { requireMs: number; activateMs: number; sockets: number; lazyLoaded: string[] };
    assert.equal(typeof result.activateMs, 'number', 'activate() returned');
    assert.equal(result.sockets, 0, 'activation connects nowhere');
    assert.deepEqual(result.lazyLoaded, [], 'the engine and the mail libraries load on first use, not at activation');
  });

  it('keeps a V8 code cache in the global storage: written by the first window, read by the next, a damaged one ignored and replaced', async () => {
    const storage = fs.mkdtempSync(path.join(dir, 'storage-'));
    const cacheDir = path.join(storage, 'code-cache');
    const activate = async (): Promise<{ codeCache: string; sockets: number }> =>
      JSON.parse((await promisify(execFile)(process.execPath, [PROBE, bundles.host, storage], { encoding: 'utf8', timeout: 60_000 })).stdout) as { codeCache: string; sockets: number };
    const cacheFiles = (): string[] => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []);

    assert.equal((await activate()).codeCache, 'absent');
    assert.equal(cacheFiles().length, 1, 'the first window wrote one cache file');
    assert.match(cacheFiles()[0], /^host-.*\.bin$/);
    assert.equal((await activate()).codeCache, 'accepted', 'the next window compiles nothing it has cached');

    const file = path.join(cacheDir, cacheFiles()[0]);
    const bytes = fs.readFileSync(file);
    bytes.fill(0x5a, 64, 4096);
    fs.writeFileSync(file, bytes);
    // V8 in release builds would not notice, and crashes on it (a segfault, seen with Node 20).
    const damaged = await activate();
    assert.equal(damaged.codeCache, 'rejected', 'the damaged cache is refused and the bundle compiles from source');
    assert.equal(damaged.sockets, 0);
    assert.equal((await activate()).codeCache, 'accepted', 'the damaged cache was replaced');
    // Torn by a crash mid-write (the file is renamed into place whole, but a disk can still lose its tail).
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    assert.equal((await activate()).codeCache, 'rejected', 'a torn cache is refused');
    assert.equal((await activate()).codeCache, 'accepted');
    assert.deepEqual(cacheFiles().filter((name) => !name.endsWith('.bin')), [], 'no temporary file is left behind');

    // A rebuilt host.js (another size or time) must never run against the old cache: it gets a new file.
    const hostJs = path.join(dir, 'host.js');
    fs.utimesSync(hostJs, new Date(), new Date(Date.now() + 60_000));
    assert.equal((await activate()).codeCache, 'absent');
    assert.equal(cacheFiles().length, 1, 'the old cache file was removed');
  });

  it('builds an engine bundle that loads on its own and exports every entry point the host asks for', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engine = require(bundles.engine) as Record<string, unknown>;
    const missing = Object.entries(engine).filter(([, value]) => value === undefined).map(([name]) => name);
    assert.deepEqual(missing, []);
    for (const name of ['ImapAccount', 'HeaderCache', 'Pop3Cache', 'checkMail', 'probeEndpoint', 'discoverServers', 'deliver', 'ComposeStore', 'parseMessageStream']) {
      assert.equal(typeof engine[name], 'function', name);
    }
  });
});
