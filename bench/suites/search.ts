/**
 * search.local100k: local search over 100,000 cached headers (a synthetic mailbox: subjects,
 * senders and recipients drawn from word lists with a fixed seed, written through the real
 * HeaderCache). Measured in this run:
 * - search.local100k.p50 / .p95: per keystroke query (a query typed one character at a time,
 *   every prefix searched, top 50 ranked), against a linear scan of the same headers with
 *   String.includes (every word must be in subject, sender or recipients), the baseline;
 * - search.local100k.build: building the index from the header cache, against loading that cache;
 * - search.local100k.reopen: loading the index file after a restart, against loading the cache;
 * - search.local100k.indexBytes: the index file against the header cache's bytes on disk;
 * - search.indexHeap100k: memory the index keeps after building it from the header cache, against
 *   what the loaded header cache keeps; .reopen: the same after loading the index file. Measured
 *   in a fresh `node --expose-gc` child (median of HEAP_SAMPLES), as heap used plus ArrayBuffer
 *   memory (typed arrays live outside the JS heap and count the same), after a full GC.
 * With Node 24's node:sqlite (code-server's extension host), SQLite FTS5 is measured beside it
 * (search.fts5.*), the same queries as prefix MATCH queries; elsewhere it prints why it is skipped.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CachedEnvelope } from '../../src/protocol/imap/cacheContract';
import { silentLog } from '../../src/protocol/log';
import { isEmptyQuery, MailQuery, parseMailQuery } from '../../src/protocol/searchQuery';
import { HeaderCache } from '../../src/store/headerCache';
import { indexFileOf } from '../../src/store/search/indexFile';
import { LocalSearchIndex, SearchSources } from '../../src/store/search/localIndex';
import { tokenize } from '../../src/store/search/textIndex';
import { BenchContext, BenchSuite, median } from '../report';

const MESSAGES = 100_000;
const P95_GOAL_MS = 50;
/** The index may keep at most this much memory per byte the header cache keeps (issue 14 §2). */
const HEAP_GOAL_RATIO = 1;
const HEAP_SAMPLES = 3;
/** Typed one character at a time. */
const TYPED = ['quarterly budget', 'from:oliver invoice', 'meeting notes is:unread', 'subject:release since:2024-03-01', 'x', 'kubernetes migration plan'];

const WORDS =
  'quarterly budget review meeting notes invoice payment release plan migration kubernetes deploy incident report weekly update team offsite travel hotel flight agenda minutes contract renewal customer feedback roadmap design proposal draft final question answer support ticket server database backup security patch holiday party lunch dinner conference talk slides video recording newsletter digest summary launch beta feature request bug crash performance latency memory cache index search mail client invitation calendar reminder deadline approval signature document spreadsheet presentation hiring interview candidate offer onboarding training'.split(' ');
const NAMES = 'Oliver Amelia Noah Isla Liam Ava Lucas Mia Ethan Sofia Mateo Chloe Leo Hana Yuki Ravi Priya Zoe Jonas Ingrid Pablo Lucia Ahmed Fatima Chen Wei'.split(' ');
const SURNAMES = 'Smith Garcia Müller Rossi Tanaka Kim Nguyen Patel Johansson Dubois Kowalski Silva Okafor Novak Haddad'.split(' ');
const DOMAINS = ['example.com', 'corp.example.org', 'mail.example.net', 'lists.example.io'];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function envelopes(n: number): CachedEnvelope[] {
  const r = rng(14);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const person = (): { name: string; address: string } => {
    const first = pick(NAMES);
    const last = pick(SURNAMES);
    return { name: `${first} ${last}`, address: `${first}.${last}@${pick(DOMAINS)}`.toLowerCase() };
  };
  const out: CachedEnvelope[] = [];
  const start = Date.UTC(2023, 0, 1);
  for (let uid = 1; uid <= n; uid++) {
    const words = Array.from({ length: 3 + Math.floor(r() * 5) }, () => pick(WORDS));
    const subject = `${r() < 0.3 ? 'Re: ' : ''}${words.join(' ')} #${Math.floor(r() * 10000)}`;
    const flags = [...(r() < 0.8 ? ['\\Seen'] : []), ...(r() < 0.05 ? ['\\Flagged'] : [])];
    out.push({ uid, flags, size: 2000 + Math.floor(r() * 50_000), subject, date: new Date(start + uid * 400_000).toISOString(), from: person(), to: [person()], messageId: `${uid}@bench.example` });
  }
  return out;
}

/** Every prefix of what is typed, as the Quick Pick searches it. */
function keystrokes(): MailQuery[] {
  const out: MailQuery[] = [];
  for (const text of TYPED) {
    for (let i = 1; i <= text.length; i++) {
      const q = parseMailQuery(text.slice(0, i), { complete: false });
      if (typeof q !== 'string' && !isEmptyQuery(q)) out.push(q); // the Quick Pick searches nothing for these
    }
  }
  return out;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Wall time and this process's CPU time (what a loaded machine does not inflate) of `work`. */
const timed = async <T>(work: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> => {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { ms: ms(start), cpuMs: Math.round((used.user + used.system) / 1000), value };
};

interface HeapResult {
  cache: number;
  built: number;
  reopened: number;
}

/**
 * Heap used plus ArrayBuffer memory after full GCs (the child runs with --expose-gc). Freed
 * ArrayBuffers are released after the GC, off the main thread: GC again until two readings agree.
 */
async function retained(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const read = (): number => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  let last = read();
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = read();
    if (Math.abs(now - last) < 64 * 1024) return now;
    last = now;
  }
  return last;
}

/** In the child: what the header cache keeps, then what the index keeps beside it, built and reopened. */
async function heapChild(headersDir: string, searchDir: string): Promise<void> {
  const start = await retained();
  const headers = new HeaderCache({ dir: headersDir, log: silentLog });
  const folder = await headers.folder('bench', 'INBOX');
  const withCache = await retained();
  let index: LocalSearchIndex | undefined = new LocalSearchIndex({ dir: searchDir, sources: benchSources(headers), log: silentLog });
  await index.refresh();
  const built = (await retained()) - withCache;
  await index.flush();
  index = undefined;
  const before = await retained();
  index = new LocalSearchIndex({ dir: searchDir, sources: benchSources(headers), log: silentLog });
  await index.refresh();
  const reopened = (await retained()) - before;
  const result: HeapResult = { cache: withCache - start, built, reopened };
  process.stdout.write(`${JSON.stringify({ ...result, docs: index.size, messages: folder.count() })}\n`);
}

function measureHeap(headersDir: string, searchDir: string): HeapResult {
  fs.rmSync(searchDir, { recursive: true, force: true });
  const out = execFileSync(process.execPath, ['--expose-gc', __filename, 'heap-child', headersDir, searchDir], { encoding: 'utf8', maxBuffer: 1024 * 1024 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as HeapResult;
}

/** The header cache as the only source (no bodies, no POP3). */
function benchSources(headers: HeaderCache): SearchSources {
  return {
    accounts: () => [{ id: 'bench', protocol: 'imap' }],
    knownFolders: (id) => headers.knownFolders(id),
    folder: (id, p) => headers.folder(id, p),
    cachedBodies: () => Promise.resolve([]),
    readBody: () => Promise.resolve(undefined),
    pop3Messages: () => Promise.resolve([]),
    readPop3: () => Promise.reject(new Error('no POP3 here')),
    parseBody: () => Promise.reject(new Error('no bodies here')),
  };
}

/** The baseline: every query a scan of lower-cased header text with String.includes. */
function linearScan(rows: Array<{ text: string; from: string; subject: string; date: number; unseen: boolean }>, q: MailQuery): number {
  const words = q.words.flatMap(tokenize);
  const from = tokenize(q.from ?? '');
  const subject = tokenize(q.subject ?? '');
  const since = q.since?.getTime();
  let n = 0;
  for (const r of rows) {
    if (since !== undefined && r.date < since) continue;
    if (q.unread !== undefined && r.unseen !== q.unread) continue;
    if (!words.every((w) => r.text.includes(w)) || !from.every((w) => r.from.includes(w)) || !subject.every((w) => r.subject.includes(w))) continue;
    n++;
  }
  return n;
}

export const run: BenchSuite = async (ctx) => {
  const dir = path.join(ctx.tmp, 'headers');
  const all = envelopes(MESSAGES);
  {
    const writer = new HeaderCache({ dir, log: silentLog });
    const folder = await writer.folder('bench', 'INBOX');
    folder.reset({ uidValidity: '1' });
    folder.upsert(all);
    await folder.flush();
  }
  const cachedBytes = fs.readdirSync(path.join(dir, fs.readdirSync(dir)[0])).reduce((sum, f) => sum + fs.statSync(path.join(dir, fs.readdirSync(dir)[0], f)).size, 0);

  let headers = new HeaderCache({ dir, log: silentLog });
  const cacheLoadMs = (await timed(() => headers.folder('bench', 'INBOX'))).ms;
  const searchDir = path.join(ctx.tmp, 'search');
  const built = await timed(async () => {
    const index = new LocalSearchIndex({ dir: searchDir, sources: benchSources(headers), log: silentLog });
    await index.refresh();
    return index;
  });
  const buildMs = built.ms;
  await built.value.flush();
  const indexBytes = fs.statSync(indexFileOf(searchDir, 'bench')).size;

  headers = new HeaderCache({ dir, log: silentLog });
  await headers.folder('bench', 'INBOX');
  const reopened = await timed(async () => {
    const index = new LocalSearchIndex({ dir: searchDir, sources: benchSources(headers), log: silentLog });
    await index.refresh();
    return index;
  });
  const index = reopened.value;

  const queries = keystrokes();
  const rows = all.map((e) => {
    const from = `${e.from?.name ?? ''} ${e.from?.address ?? ''}`.toLowerCase();
    const subject = e.subject.toLowerCase();
    return { from, subject, text: `${subject} ${from} ${(e.to ?? []).map((a) => `${a.name} ${a.address}`).join(' ').toLowerCase()}`, date: Date.parse(e.date ?? ''), unseen: !e.flags.includes('\\Seen') };
  });
  const mine: number[] = [];
  const mineCpu: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      const cpu = process.cpuUsage();
      let t = process.hrtime.bigint();
      index.search(q);
      mine.push(ms(t));
      const used = process.cpuUsage(cpu);
      mineCpu.push((used.user + used.system) / 1000);
      t = process.hrtime.bigint();
      linearScan(rows, q);
      base.push(ms(t));
    }
  }
  const extra = { messages: MESSAGES, queries: queries.length * 3 };
  ctx.emit('search.local100k.p50', median(mine), 'ms', median(base), extra);
  // cpuP95Ms: the same queries in CPU time of this process (what a loaded machine does not inflate).
  ctx.emit('search.local100k.p95', percentile(mine, 95), 'ms', percentile(base, 95), { ...extra, goalMs: P95_GOAL_MS, cpuP95Ms: Math.round(percentile(mineCpu, 95) * 100) / 100, loadAverage: Math.round(os.loadavg()[0] * 10) / 10 });
  ctx.emit('search.local100k.build', buildMs, 'ms', cacheLoadMs, { messages: MESSAGES, cpuMs: built.cpuMs });
  ctx.emit('search.local100k.reopen', reopened.ms, 'ms', cacheLoadMs, { messages: MESSAGES, cpuMs: reopened.cpuMs });
  ctx.emit('search.local100k.indexBytes', indexBytes, 'bytes', cachedBytes, { messages: MESSAGES });
  const heaps = Array.from({ length: HEAP_SAMPLES }, () => measureHeap(dir, path.join(ctx.tmp, 'search-heap')));
  const heap = (key: keyof HeapResult): number => median(heaps.map((h) => h[key]));
  const mb = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10;
  ctx.emit('search.indexHeap100k', heap('built'), 'bytes', heap('cache'), { messages: MESSAGES, indexMB: mb(heap('built')), cacheMB: mb(heap('cache')), goalRatio: HEAP_GOAL_RATIO });
  ctx.emit('search.indexHeap100k.reopen', heap('reopened'), 'bytes', heap('cache'), { messages: MESSAGES, indexMB: mb(heap('reopened')), cacheMB: mb(heap('cache')) });
  if (Math.max(heap('built'), heap('reopened')) > HEAP_GOAL_RATIO * heap('cache')) ctx.fail(`search.indexHeap100k: the index keeps ${mb(Math.max(heap('built'), heap('reopened')))} MB, over ${HEAP_GOAL_RATIO}x the header cache's ${mb(heap('cache'))} MB`);
  if (percentile(mine, 95) > P95_GOAL_MS) ctx.fail(`search.local100k: p95 ${percentile(mine, 95).toFixed(1)} ms per keystroke is over the ${P95_GOAL_MS} ms goal`);
  fts5(ctx, all, queries, median(base), percentile(base, 95));
};

/** What this suite uses of node:sqlite (Node 22.5+; @types/node 20 has no declarations for it). */
interface SqliteModule {
  DatabaseSync: new (file: string) => {
    exec(sql: string): void;
    prepare(sql: string): { run(...values: unknown[]): unknown; all(...values: unknown[]): unknown[] };
    close(): void;
  };
}

/** The same queries against SQLite FTS5 (node:sqlite), when this Node has it. */
function fts5(ctx: BenchContext, all: CachedEnvelope[], queries: MailQuery[], baseP50: number, baseP95: number): void {
  let sqlite: SqliteModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sqlite = require('node:sqlite') as SqliteModule;
  } catch {
    process.stderr.write(`bench: search.fts5 skipped: node:sqlite is not available in Node ${process.version}\n`);
    return;
  }
  const file = path.join(ctx.tmp, 'fts.sqlite');
  const db = new sqlite.DatabaseSync(file);
  const start = process.hrtime.bigint();
  db.exec("CREATE VIRTUAL TABLE m USING fts5(subject, sender, rcpt, date UNINDEXED, unseen UNINDEXED, tokenize='unicode61 remove_diacritics 2')");
  const insert = db.prepare('INSERT INTO m(rowid, subject, sender, rcpt, date, unseen) VALUES (?, ?, ?, ?, ?, ?)');
  db.exec('BEGIN');
  for (const e of all) insert.run(e.uid, e.subject, `${e.from?.name ?? ''} ${e.from?.address ?? ''}`, (e.to ?? []).map((a) => `${a.name} ${a.address}`).join(' '), Date.parse(e.date ?? ''), e.flags.includes('\\Seen') ? 0 : 1);
  db.exec('COMMIT');
  const buildMs = ms(start);
  const select = db.prepare('SELECT rowid FROM m WHERE m MATCH ? ORDER BY bm25(m, 3.0, 2.5, 1.5), date DESC LIMIT 50');
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      const terms = [
        ...q.words.flatMap(tokenize).map((t) => `"${t}"*`),
        ...tokenize(q.from ?? '').map((t) => `sender:"${t}"*`),
        ...tokenize(q.subject ?? '').map((t) => `subject:"${t}"*`),
      ];
      if (!terms.length) continue; // filter-only queries are not a MATCH
      const t = process.hrtime.bigint();
      select.all(terms.join(' AND '));
      times.push(ms(t));
    }
  }
  db.close();
  ctx.emit('search.fts5.p50', median(times), 'ms', baseP50, { messages: all.length });
  ctx.emit('search.fts5.p95', percentile(times, 95), 'ms', baseP95, { messages: all.length });
  ctx.emit('search.fts5.build', buildMs, 'ms', buildMs, { messages: all.length });
  ctx.emit('search.fts5.bytes', fs.statSync(file).size, 'bytes', fs.statSync(file).size, { messages: all.length });
}

if (require.main === module && process.argv[2] === 'heap-child') {
  heapChild(process.argv[3], process.argv[4]).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
