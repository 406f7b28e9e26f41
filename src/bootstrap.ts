// dist/extension.js, the file VS Code loads: it loads the host bundle (dist/host.js) through a V8
// code cache kept in the extension's global storage, so a window after the first starts Mailroom
// without parsing and compiling the bundle again (compiling it was about half of activation).
// The cache is only ever an optimisation: V8 checks it and ignores a stale or damaged one, and every
// failure here falls back to compiling as Node would. Knows nothing of VS Code beyond the context's
// storage path, and sets nothing process-wide (Node's enableCompileCache would, for every extension).
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

interface HostModule {
  activate(context: { globalStorageUri: { fsPath: string } }, startup: StartupInfo): unknown;
  deactivate?(): unknown;
}

/** What happened to the code cache on this activation (read by tests and the bench). */
export type CodeCacheState = 'absent' | 'accepted' | 'rejected' | 'unavailable';

/** Handed to the host's activate (it logs it; the in-host tests read it from the API). */
export interface StartupInfo {
  readonly codeCache: CodeCacheState;
  /** Where the cache file is (written WRITE_DELAY_MS after activation when it was not accepted). */
  readonly codeCacheDir: string;
}

/** Written this long after activation, so it also holds the functions the first minutes compiled. */
const WRITE_DELAY_MS = 2_000;

let host: HostModule | undefined;
export let codeCacheState: CodeCacheState = 'unavailable';
let pendingWrite: (() => void) | undefined;

export function activate(context: { globalStorageUri: { fsPath: string } }): unknown {
  const codeCacheDir = path.join(context.globalStorageUri.fsPath, 'code-cache');
  host = loadHost(codeCacheDir);
  return host.activate(context, { codeCache: codeCacheState, codeCacheDir });
}

export function deactivate(): unknown {
  pendingWrite?.();
  return host?.deactivate?.();
}

/** Writes a pending code cache now (the bench and tests call this rather than wait). */
export function flushCodeCache(): void {
  pendingWrite?.();
}

function loadHost(cacheDir: string): HostModule {
  const file = path.join(__dirname, 'host.js');
  let source: string;
  let stamp: string;
  try {
    source = fs.readFileSync(file, 'utf8');
    const stat = fs.statSync(file);
    // V8 checks the cache against the source's length only: the name carries what else must match.
    stamp = [process.versions.v8, process.arch, stat.size, Math.trunc(stat.mtimeMs)].join('-').replace(/[^\w.-]/g, '_');
  } catch {
    return requireHost(file);
  }
  const cacheFile = path.join(cacheDir, `host-${stamp}.bin`);
  let cachedData: Buffer | undefined;
  let damaged = false;
  try {
    cachedData = unframe(fs.readFileSync(cacheFile));
    damaged = cachedData === undefined;
  } catch {
    cachedData = undefined;
  }
  let script: vm.Script;
  try {
    script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  } catch {
    return requireHost(file);
  }
  codeCacheState = damaged ? 'rejected' : cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const module = { exports: {} as HostModule, filename: file, id: file, loaded: false };
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  if (codeCacheState !== 'accepted') scheduleWrite(script, cacheDir, cacheFile);
  return module.exports;
}

function requireHost(file: string): HostModule {
  codeCacheState = 'unavailable';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as HostModule;
}

function scheduleWrite(script: vm.Script, cacheDir: string, cacheFile: string): void {
  const write = (): void => {
    clearTimeout(timer);
    pendingWrite = undefined;
    try {
      const data = frame(script.createCachedData());
      fs.mkdirSync(cacheDir, { recursive: true });
      // Whole or not at all: a torn file would only be rejected by V8, but never leave one.
      const temp = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(temp, data);
      fs.renameSync(temp, cacheFile);
      for (const name of fs.readdirSync(cacheDir)) {
        if (name !== path.basename(cacheFile) && /^host-.*\.(bin|tmp)$/.test(name)) fs.rmSync(path.join(cacheDir, name), { force: true });
      }
    } catch {
      // An optimisation only: the next start compiles as Node would.
    }
  };
  const timer = setTimeout(write, WRITE_DELAY_MS);
  timer.unref();
  pendingWrite = write;
}

// The file: MAGIC, the data's length and checksum (little-endian u32 each), then V8's data. V8 in
// release builds does not verify its own checksum, and a damaged cache crashes the process (a
// segfault, measured with Node 20): it is handed only data that is whole and unchanged, as Node's
// own compile cache does with its CRC32.
const MAGIC = 0x3143524d; // 'MRC1'
const HEADER_BYTES = 12;

function frame(data: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(data.length, 4);
  header.writeUInt32LE(checksum(data), 8);
  return Buffer.concat([header, data]);
}

/** V8's data from a cache file, or undefined when the file is not whole and unchanged. */
function unframe(file: Buffer): Buffer | undefined {
  if (file.length < HEADER_BYTES || file.readUInt32LE(0) !== MAGIC) return undefined;
  const data = file.subarray(HEADER_BYTES);
  if (file.readUInt32LE(4) !== data.length || file.readUInt32LE(8) !== checksum(data)) return undefined;
  return data;
}

/**
 * FNV-1a over the little-endian 32-bit words, then the tail bytes one by one: catches torn and
 * damaged files without loading node:crypto (which costs activation more than the cache saves).
 * The words go through FNV_WASM, since the same loop in JavaScript runs interpreted at this point
 * of activation and took 2 ms of it; fnv1aWords is that loop, the reference the tests compare with.
 */
export function checksum(data: Uint8Array): number {
  const wordBytes = data.length & ~3;
  let hash = fnvWasm(data.subarray(0, wordBytes)) ?? fnv1aWords(data.subarray(0, wordBytes));
  for (let i = wordBytes; i < data.length; i++) hash = Math.imul(hash ^ data[i], FNV_PRIME);
  return hash >>> 0;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1aWords(data: Uint8Array): number {
  let hash = FNV_OFFSET;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i + 4 <= data.length; i += 4) hash = Math.imul(hash ^ view.getUint32(i, true), FNV_PRIME);
  return hash >>> 0;
}

/**
 * (module (memory (export "m") 1)
 *   (func (export "h") (param $n i32) (result i32) (local $i i32) (local $h i32)
 *     (local.set $h (i32.const 0x811c9dc5))
 *     (block (loop
 *       (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
 *       (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load (local.get $i))) (i32.const 0x01000193)))
 *       (local.set $i (i32.add (local.get $i) (i32.const 4)))
 *       (br 0)))
 *     (local.get $h)))
 */
const FNV_WASM = 'AGFzbQEAAAABBgFgAX8BfwMCAQAFAwEAAQcJAgFtAgABaAAACjYBNAECf0HFu/KIeCECAkADQCABIABPDQEgAiABKAIAc0GTg4AIbCECIAFBBGohAQwACwsgAgs=';

// The part of the WebAssembly API used here (the project's TypeScript libs do not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** fnv1aWords in WebAssembly; undefined where WebAssembly cannot run (the caller falls back). */
export function fnvWasm(words: Uint8Array): number | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(FNV_WASM, 'base64')));
    const memory = instance.exports.m as WasmMemory;
    const pages = Math.ceil(words.length / 65_536);
    if (pages > 1) memory.grow(pages - 1);
    new Uint8Array(memory.buffer).set(words);
    return (instance.exports.h as (length: number) => number)(words.length) >>> 0;
  } catch {
    return undefined;
  }
}
