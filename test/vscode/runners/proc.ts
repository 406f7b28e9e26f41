// Process and lifecycle helpers shared by the VS Code runners (code-server, desktop, demo).
// Every child is spawned in its own process group so that killing it also kills what it spawned.
import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export type Cleanup = () => void | Promise<void>;

const cleanups: Array<{ what: string; fn: Cleanup }> = [];
let cleaningUp: Promise<void> | undefined;

/** Registers a cleanup step; steps run in reverse order of registration. */
export function onCleanup(what: string, fn: Cleanup): void {
  cleanups.push({ what, fn });
}

export function isCleaningUp(): boolean {
  return cleaningUp !== undefined;
}

/** Runs every registered cleanup step once (later calls return the same promise). */
export function runCleanups(): Promise<void> {
  cleaningUp ??= (async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop()!;
      try {
        await withTimeout(Promise.resolve(step.fn()), 15_000, `cleanup: ${step.what}`);
      } catch (err) {
        log(`cleanup of ${step.what} failed: ${errorText(err)}`);
      }
    }
  })();
  return cleaningUp;
}

/** Cleans up and exits; installs SIGINT/SIGTERM handlers and a last-resort handler for crashes. */
export function installExitHandlers(): void {
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    process.on(signal, () => {
      log(`received ${signal}, cleaning up`);
      void runCleanups().finally(() => process.exit(code));
    });
  };
  onSignal('SIGINT', 130);
  onSignal('SIGTERM', 143);
  process.on('uncaughtException', (err) => {
    log(`uncaught exception: ${err.stack ?? String(err)}`);
    void runCleanups().finally(() => process.exit(1));
  });
  process.on('unhandledRejection', (err) => {
    log(`unhandled rejection: ${errorText(err)}`);
    void runCleanups().finally(() => process.exit(1));
  });
}

/** Runs main, cleans up, exits with its code (1 and a message on error). Never returns. */
export function runMain(name: string, main: () => Promise<number>): void {
  installExitHandlers();
  main()
    .catch((err: unknown) => {
      log(`${name} failed: ${errorText(err)}`);
      return 1;
    })
    .then(async (code) => {
      await runCleanups();
      process.exit(code);
    }, () => process.exit(1));
}

export function log(message: string): void {
  process.stderr.write(`[runner] ${message}\n`);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with "<what> timed out after Ns" when p does not settle within ms. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)}s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A free TCP port on 127.0.0.1 (or the preferred one when it is free). */
export function freePort(preferred = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(preferred, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Spawns a child in its own process group and registers its killing as a cleanup step. */
export function spawnManaged(what: string, command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  child.once('error', (err) => log(`${what}: ${err.message}`));
  onCleanup(what, () => killGroup(child, what));
  return child;
}

/** SIGTERM to the child's process group, SIGKILL after 5 s if it is still there. */
export async function killGroup(child: ChildProcess, what: string): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child.pid, 'SIGTERM');
  try {
    await withTimeout(exited, 5_000, `${what} exit`);
  } catch {
    log(`${what} did not stop on SIGTERM, sending SIGKILL`);
    signalGroup(child.pid, 'SIGKILL');
    await withTimeout(exited, 5_000, `${what} exit after SIGKILL`).catch(() => undefined);
  }
  // Grandchildren may outlive the leader; make sure the group is gone.
  signalGroup(child.pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group no longer exists.
  }
}

/** Resolves with the first output line of the child that matches, rejects on exit or timeout. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
  return withTimeout(new Promise<RegExpMatchArray>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) {
          resolve(match);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (code ${code}, signal ${signal}) before it was ready`)));
  }), timeoutMs, what);
}

/** Polls GET url until it answers with a status below 500. */
export async function waitForHttp(url: string, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await httpOk(url)) {
      return;
    }
    await sleep(250);
  }
  throw new Error(`${what} did not answer at ${url} within ${Math.round(timeoutMs / 1000)}s`);
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Appends the child's stdout and stderr to a file (created fresh). */
export function logChildTo(child: ChildProcess, file: string): void {
  const out = fs.createWriteStream(file, { flags: 'w' });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  child.once('exit', () => out.end());
}

export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(`temp dir ${dir}`, () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
