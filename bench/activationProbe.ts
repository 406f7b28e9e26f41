// Child process: loads one extension bundle against the fake vscode module, activates it, and
// prints {requireMs, activateMs, cpuMs, sockets, lazyLoaded, codeCache} as JSON (cpuMs: this process's CPU time
// for require + activate, steadier than wall time on a busy machine; lazyLoaded: the lazily loaded
// bundles, engine.js and libs.js, that activation loaded anyway, which should be none; codeCache:
// what src/bootstrap.ts did with its code cache). Run fresh for each sample so the require is cold.
// The global storage is a new temporary directory, or argv[3] to keep it across runs as VS Code
// keeps it across windows (the first run then writes the code cache the next ones read).
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createFakeVscode } from './fakeVscode';

const bundle = path.resolve(process.argv[2] ?? '');
const fake = createFakeVscode();
const moduleWithLoad = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const originalLoad = moduleWithLoad._load;
moduleWithLoad._load = function (request, parent, isMain) {
  return request === 'vscode' ? fake : originalLoad.call(this, request, parent, isMain);
};

let sockets = 0;
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  sockets++;
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

async function main(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extension = require(bundle) as { activate(context: unknown): unknown; flushCodeCache?(): void; codeCacheState?: string };
  const t1 = performance.now();
  // SecretStorage as activation uses it (signInState listens for changes to tokens).
  const secrets = { get: async () => undefined, store: async () => undefined, delete: async () => undefined, onDidChange: () => ({ dispose() {} }) };
  const keep = process.argv[3];
  const storage = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-activation-'));
  const context = {
    subscriptions: [] as unknown[],
    extensionUri: (fake as { Uri: unknown }).Uri,
    globalStorageUri: { fsPath: storage },
    extension: { packageJSON: { version: '0.0.0' } },
    secrets,
  };
  await extension.activate(context);
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await new Promise((resolve) => setTimeout(resolve, 200)); // let fire-and-forget work start
  extension.flushCodeCache?.();
  if (!keep) fs.rmSync(storage, { recursive: true, force: true });
  const lazyLoaded = Object.keys(require.cache)
    .filter((file) => path.dirname(file) === path.dirname(bundle) && /^(engine|libs)\.js$/.test(path.basename(file)))
    .map((file) => path.basename(file));
  process.stdout.write(JSON.stringify({ requireMs: t1 - t0, activateMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, sockets, lazyLoaded, codeCache: extension.codeCacheState ?? 'none' }) + '\n');
}

void main();
