// The .vsix holds only what the extension needs at run time (dist/, the media it loads, README,
// LICENSE, manifest): `vsce ls` lists exactly what `npm run package` would pack.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function manifestMain(): string {
  return path.posix.normalize((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string }).main);
}

describe('the packaged extension', function () {
  this.timeout(60_000);

  it('contains only dist/, the media webviews load, README, LICENSE and the manifest', function () {
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'extension.js')), 'build first (npm run build)');
    const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
    const listed = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .sort();
    assert.deepEqual(listed, [
      'LICENSE',
      'README.md',
      'dist/calendar.js',
      'dist/cli/mailroom-check.js',
      'dist/engine.js',
      'dist/extension.js',
      'dist/host.js',
      'dist/libs.js',
      'dist/webviews/conversation.js',
      'dist/webviews/headers.js',
      'dist/webviews/message.js',
      'dist/webviews/probe.js',
      'l10n/bundle.l10n.de.json',
      'l10n/bundle.l10n.json',
      'language-configuration/mailroom-compose.json',
      'media/conversation/conversation.css',
      'media/headers/headers.css',
      'media/icons/mail.svg',
      'media/message/message.css',
      'media/probe/probe.css',
      'media/walkthrough/account.svg',
      'media/walkthrough/check.svg',
      'media/walkthrough/read.svg',
      'package.json',
      'package.nls.de.json',
      'package.nls.json',
      'syntaxes/mailroom-compose.tmLanguage.json',
    ]);
  });

  it('the manifest\'s entry point, CLI, view icon, language configuration, grammar and walkthrough media exist', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      main: string;
      bin: Record<string, string>;
      contributes: {
        viewsContainers: { activitybar: Array<{ icon: string }> };
        languages: Array<{ configuration: string }>;
        grammars: Array<{ path: string }>;
        walkthroughs: Array<{ steps: Array<{ media: { svg?: string; markdown?: string; image?: string } }> }>;
      };
    };
    const { contributes } = manifest;
    for (const file of [
      manifest.main,
      ...Object.values(manifest.bin),
      ...contributes.viewsContainers.activitybar.map((c) => c.icon),
      ...contributes.languages.map((l) => l.configuration),
      ...contributes.grammars.map((g) => g.path),
      ...contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.media.svg ?? s.media.markdown ?? s.media.image ?? 'a step without media')),
    ]) {
      assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} exists`);
    }
  });

  it('every bundle the packaged code loads at run time is in the package', () => {
    const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
    const packaged = new Set(execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).split('\n').map((line) => line.trim()).filter(Boolean));
    // The lazily loaded bundles are required by relative path (./engine.js, ./libs.js, ./host.js…), so
    // vsce cannot know of them: a missing one only shows when a user's first use of it fails.
    const loaded: string[] = [];
    for (const file of [...packaged].filter((f) => f.startsWith('dist/') && f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      // src/bootstrap.ts reads host.js by path. (libs.js names pino's worker.js the same way, for log
      // transports imapflow never configures.)
      const pattern = file === manifestMain() ? /__dirname, ?["']([^"']+\.js)["']\)|require\(["'](\.{1,2}\/[^"']+)["']\)/g : /()require\(["'](\.{1,2}\/[^"']+)["']\)/g;
      for (const match of text.matchAll(pattern)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1] || match[2]));
        loaded.push(target.endsWith('.js') ? target : `${target}.js`);
      }
    }
    assert.ok(loaded.includes('dist/engine.js') && loaded.includes('dist/libs.js') && loaded.includes('dist/host.js'), `found the lazy loads: ${loaded.join(', ')}`);
    assert.deepEqual(loaded.filter((target) => !packaged.has(target)), [], 'loaded at run time but not packaged');
  });
});
