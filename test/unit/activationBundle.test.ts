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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { builds } = require(path.join(ROOT, 'esbuild.js')) as { builds: BuildOptions[] };
  const out = { host: path.join(dir, 'extension.js'), engine: path.join(dir, 'engine.js') };
  for (const [from, to] of [['dist/extension.js', out.host], ['dist/engine.js', out.engine]] as const) {
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
