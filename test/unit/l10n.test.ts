// The localization pipeline (issue 15): the manifest's %keys% resolve in package.nls.json, the
// German package.nls.de.json and l10n/bundle.l10n.de.json translate every string with the same
// placeholders, and l10n/bundle.l10n.json is what `npm run l10n:export` extracts from src/ and media/
// today (a string added without re-exporting, or without its German, fails here).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;

/** {0}, {1}… of a bundle string, sorted (each once). */
function placeholders(text: string): string[] {
  return [...new Set(text.match(/\{\d+\}/g) ?? [])].sort();
}

/** $(icon) references of a string: a translation keeps the same codicons. */
function codicons(text: string): string[] {
  return (text.match(/\$\([\w~-]+\)/g) ?? []).sort();
}

function assertComplete(english: Record<string, string>, german: Record<string, string>, what: string): void {
  const missing = Object.keys(english).filter((k) => !(k in german));
  const extra = Object.keys(german).filter((k) => !(k in english));
  assert.deepEqual(missing, [], `${what}: strings without a German translation`);
  assert.deepEqual(extra, [], `${what}: German strings no English one has`);
  for (const [key, text] of Object.entries(english)) {
    const translated = german[key];
    assert.ok(translated.trim().length > 0 || text.trim().length === 0, `${what}: "${key}" is empty in German`);
    assert.deepEqual(placeholders(translated), placeholders(text), `${what}: placeholders of "${key}"`);
    assert.deepEqual(codicons(translated), codicons(text), `${what}: codicons of "${key}"`);
  }
}

describe('localization', function () {
  this.timeout(60_000);

  it('every %key% of package.json is in package.nls.json, and every nls key is used', () => {
    const manifest = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
    const used = new Set([...manifest.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]));
    const nls = readJson<Record<string, string>>('package.nls.json');
    assert.ok(used.size > 100, `${used.size} localized manifest strings`);
    assert.deepEqual([...used].filter((k) => !(k in nls)), [], 'keys missing from package.nls.json');
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), [], 'package.nls.json keys no manifest field uses');
    assert.equal(readJson<{ l10n?: string }>('package.json').l10n, './l10n');
  });

  it('package.nls.de.json translates every manifest string', () => {
    assertComplete(readJson('package.nls.json'), readJson('package.nls.de.json'), 'package.nls.de.json');
  });

  it('l10n/bundle.l10n.de.json translates every string of the default bundle, with the same placeholders', () => {
    const english = readJson<Record<string, string>>('l10n/bundle.l10n.json');
    assert.ok(Object.keys(english).length > 400, `${Object.keys(english).length} host and webview strings`);
    assertComplete(english, readJson('l10n/bundle.l10n.de.json'), 'bundle.l10n.de.json');
  });

  it('l10n/bundle.l10n.json is what @vscode/l10n-dev exports from src/ and media/ now (npm run l10n:export)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-l10n-'));
    try {
      const cli = path.join(ROOT, 'node_modules', '.bin', 'vscode-l10n-dev');
      execFileSync(cli, ['export', '--outDir', out, './src', './media'], { cwd: ROOT, stdio: 'pipe' });
      const exported = JSON.parse(fs.readFileSync(path.join(out, 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
      const committed = readJson<Record<string, string>>('l10n/bundle.l10n.json');
      assert.deepEqual(Object.keys(exported).filter((k) => !(k in committed)), [], 'strings in the code but not in l10n/bundle.l10n.json: run `npm run l10n:export` and translate them in bundle.l10n.de.json');
      assert.deepEqual(Object.keys(committed).filter((k) => !(k in exported)), [], 'strings in l10n/bundle.l10n.json no code uses any more: run `npm run l10n:export`');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
