// Installs the demo seeder extension (test/vscode/demo/seeder.ts, compiled) into the demo's own
// --extensions-dir, as an unpacked extension VS Code picks up when it first scans that folder.
// (code-server loads only one extensionDevelopmentPath from the URL.) Never packaged or shipped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './tools';

/** Creates `<extensionsDir>/mailroom.mailroom-demo-seeder-0.0.0` (package.json + extension.js). */
export function writeDemoSeeder(extensionsDir: string): string {
  const compiled = path.join(repoRoot(), 'out', 'test', 'vscode', 'demo', 'seeder.js');
  if (!fs.existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run compile-tests\``);
  const mailroom = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { engines: { vscode: string } };
  const target = path.join(extensionsDir, 'mailroom.mailroom-demo-seeder-0.0.0');
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(compiled, path.join(target, 'extension.js'));
  const manifest = {
    name: 'mailroom-demo-seeder',
    displayName: 'Mailroom demo seeder',
    description: 'npm run demo only: stores the demo accounts\' passwords through mailroom.addAccount.',
    version: '0.0.0',
    publisher: 'mailroom',
    private: true,
    engines: { vscode: mailroom.engines.vscode },
    main: './extension.js',
    activationEvents: ['onStartupFinished'],
  };
  fs.writeFileSync(path.join(target, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return target;
}
