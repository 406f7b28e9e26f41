// Demo and test wiring stays out of the shipped extension: runners prepare settings and secrets from
// outside (the demo through its own seeder extension, the in-host tests through mailroom.addAccount).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(__dirname, '..', '..', '..', 'src');
const OVERRIDE = path.join(SRC, 'protocol', 'discovery', 'envOverrides.ts');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('The shipped extension (src/, without the mailroom-check CLI)', () => {
  it('reads no MAILROOM_* variable from the environment: no demo or test hook in activation', () => {
    // The one exception: discovery's developer override (MAILROOM_DISCOVERY_*, DEVELOPERS.md), read
    // in one file, and only when Add Account runs a discovery (checked below), never at activation.
    const files = sources(SRC).filter((f) => !f.startsWith(path.join(SRC, 'cli') + path.sep) && f !== OVERRIDE);
    assert.ok(files.length > 50, `found the sources (${files.length} files under ${SRC})`);
    const hooks = files.flatMap((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${path.relative(SRC, f)}:${i + 1}` }))
        .filter(({ line }) => /MAILROOM_[A-Z_]+/.test(line))
        .map(({ line, at }) => `${at}: ${line.trim()}`),
    );
    assert.deepEqual(hooks, []);
  });

  it('reads discovery’s developer override only where a discovery runs (Add Account and mailroom-check)', () => {
    const readers = sources(SRC)
      .filter((f) => f !== OVERRIDE && /\bdiscoveryOverridesFromEnv\(/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(SRC, f));
    assert.deepEqual(readers.sort(), ['cli/mailroomCheck.ts', 'providers/commands/discoveryRun.ts']);
    const run = fs.readFileSync(path.join(SRC, 'providers', 'commands', 'discoveryRun.ts'), 'utf8');
    assert.match(run, /export async function runDiscovery\([^)]*\)[^{]*\{[^{}]*\{\s*overrides = loadEngine\(\)\.discoveryOverridesFromEnv\(process\.env\);/, 'read at the start of runDiscovery');
  });
});
