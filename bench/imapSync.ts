/**
 * IMAP sync against Dovecot's bench mailbox (user "bench", INBOX, N messages: suites imap (10k)
 * and imap100k), over implicit TLS on loopback, each line against the bare-socket client in
 * test/fixtures/imapBaseline.ts (already logged in, same commands, reads until the tagged OK,
 * parses nothing), samples alternating between the two. Names carry the size (`names`):
 * - firstPage: EXAMINE INBOX + the newest 50 envelopes (fetchNewestPage);
 * - headerSync: full sync of N envelopes into an empty header cache, flushed to disk
 *   (syncFolder); the baseline sends the same EXAMINE and UID FETCH 1:*;
 * - resyncNoChange: syncFolder on the synced cache with nothing changed; `bytes` is what the
 *   server sent on Mailroom's connection (counted on the socket), `baselineBytes` what it sent
 *   the bare client for the same EXAMINE INBOX (QRESYNC (...));
 * - resyncTenChanges: the same after another client appended 1 message and flagged 10;
 * - cacheRss: RSS growth of a child process loading the synced cache from disk, against a child
 *   holding the same N envelopes as plain objects (CachedEnvelope[] from JSON).
 * Before every timed sample both clients select another folder, so each sample SELECTs INBOX.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { connectImap } from '../src/protocol/imap/connect';
import { fetchNewestPage, syncFolder } from '../src/protocol/imap/sync';
import { silentLog } from '../src/protocol/log';
import type { FolderCache } from '../src/protocol/imap/cacheContract';
import { HeaderCache } from '../src/store/headerCache';
import { DovecotFixture, dovecotAvailable, startDovecot } from '../test/fixtures/dovecot';
import { BaselineImap } from '../test/fixtures/imapBaseline';
import { buildMessage } from '../test/fixtures/messages';
import { BenchContext, median } from './report';

// The same items as the sync (src/protocol/imap/sync.ts ENVELOPE_ITEMS), References included.
const ITEMS = '(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)])';
const ITEMS_MODSEQ = '(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)] MODSEQ)';

export type ImapMeasure = 'firstPage' | 'headerSync' | 'resyncNoChange' | 'resyncTenChanges' | 'cacheRss';

export interface ImapSyncBenchOptions {
  /** Messages in the bench mailbox. */
  messages: number;
  /** Timed samples per measure (medians); the first page takes `pageSamples`. */
  samples: number;
  pageSamples: number;
  /** The JSON line name of each measure. */
  names: Record<ImapMeasure, string>;
  /** Ratio over which the run fails, by line name. */
  targets: Record<string, number>;
  /** Called with the synced store before the fixture stops (more measures on the same cache). */
  more?(synced: { store: HeaderCache; dir: string; cache: FolderCache }): Promise<void>;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

/** Select another folder so the next sample has to SELECT INBOX again. */
async function selectElsewhere(client: ImapFlow): Promise<void> {
  const lock = await client.getMailboxLock('Sent', { readOnly: true });
  lock.release();
}

export async function runImapSyncBench(ctx: BenchContext, options: ImapSyncBenchOptions): Promise<void> {
  const { messages: MESSAGES, samples: SAMPLES, pageSamples: PAGE_SAMPLES, names, targets: TARGETS } = options;
  if (!dovecotAvailable()) {
    ctx.fail('imap: Dovecot is not installed (/usr/sbin/dovecot)');
    return;
  }
  const dovecot = await startDovecot({ benchMessages: MESSAGES });
  let mailroom: ImapFlow | undefined;
  let other: ImapFlow | undefined;
  let bare: BaselineImap | undefined;
  try {
    const user = dovecot.users.bench;
    if (!user) throw new Error('no bench user');
    mailroom = await connectImap({
      account: { id: 'bench', protocol: 'imap', host: dovecot.host, port: dovecot.ports.imaps, security: 'tls', user: user.user, trustedCertificateSha256: dovecot.certSha256 },
      password: user.password,
      log: silentLog,
      timeoutMs: 10_000,
    });
    let serverBytes = 0;
    // The socket imapflow reads from (the TLS socket: decrypted IMAP bytes).
    (mailroom as unknown as { socket?: NodeJS.ReadableStream }).socket?.on('data', (chunk: Buffer) => (serverBytes += chunk.length));
    other = await connectImap({
      account: { id: 'other', protocol: 'imap', host: dovecot.host, port: dovecot.ports.imaps, security: 'tls', user: user.user, trustedCertificateSha256: dovecot.certSha256 },
      password: user.password,
      log: silentLog,
      timeoutMs: 10_000,
    });
    bare = await BaselineImap.connect({ host: dovecot.host, port: dovecot.ports.imaps, tls: true });
    await bare.login(user.user, user.password);
    await bare.command('ENABLE QRESYNC');
    await mailroom.list(); // the folder list is known before a folder is opened, as in the tree
    const bareSelectElsewhere = async (): Promise<void> => void (await bare?.command('EXAMINE Sent'));

    // Warm Dovecot's caches (envelopes are parsed once and kept in its index cache).
    await bare.command('EXAMINE INBOX');
    await bare.command(`UID FETCH 1:* ${ITEMS_MODSEQ}`);
    await bareSelectElsewhere();

    const results = new Map<string, { mine: number[]; base: number[]; bytes: number[]; baseBytes: number[] }>();
    const record = (name: string, mine: number, base: number, bytes = 0, baseBytes = 0): void => {
      const r = results.get(name) ?? { mine: [], base: [], bytes: [], baseBytes: [] };
      r.mine.push(mine);
      r.base.push(base);
      r.bytes.push(bytes);
      r.baseBytes.push(baseBytes);
      results.set(name, r);
    };

    // --- first page ----------------------------------------------------------------------
    // A few milliseconds each: more samples, and the order alternates, against machine noise.
    for (let i = 0; i <= PAGE_SAMPLES; i++) {
      await selectElsewhere(mailroom);
      await bareSelectElsewhere();
      const cache = await new HeaderCache({ dir: fs.mkdtempSync(path.join(ctx.tmp, 'page-')), log: silentLog }).folder('bench', 'INBOX');
      const measureMine = (): Promise<{ ms: number; result: { envelopes: unknown[] } }> => timed(() => fetchNewestPage(mailroom as ImapFlow, cache, { limit: 50, log: silentLog }));
      const measureBase = (): Promise<{ ms: number }> =>
        timed(async () => {
          await bare?.command('EXAMINE INBOX');
          return bare?.command(`FETCH ${MESSAGES - 49}:${MESSAGES} ${ITEMS}`);
        });
      const base = i % 2 ? await measureBase() : undefined;
      const mine = await measureMine();
      const base2 = base ?? (await measureBase());
      if (mine.result.envelopes.length !== 50) throw new Error(`first page had ${mine.result.envelopes.length} envelopes`);
      if (i > 0) record(names.firstPage, mine.ms, base2.ms); // sample 0 warms up
    }

    // --- full header sync ----------------------------------------------------------------
    let synced: { store: HeaderCache; dir: string } | undefined;
    for (let i = 0; i < SAMPLES; i++) {
      await selectElsewhere(mailroom);
      const dir = fs.mkdtempSync(path.join(ctx.tmp, 'headers-'));
      const store = new HeaderCache({ dir, log: silentLog });
      const cache = await store.folder('bench', 'INBOX');
      const mine = await timed(() => syncFolder(mailroom as ImapFlow, cache, { log: silentLog }));
      if (cache.count() !== MESSAGES || mine.result.method !== 'full') throw new Error(`full sync cached ${cache.count()} (${mine.result.method})`);
      await bareSelectElsewhere();
      const base = await timed(async () => {
        await bare?.command('EXAMINE INBOX');
        return bare?.command(`UID FETCH 1:* ${ITEMS_MODSEQ}`);
      });
      record(names.headerSync, mine.ms, base.ms);
      if (i < SAMPLES - 1) fs.rmSync(dir, { recursive: true, force: true });
      else synced = { store, dir };
    }
    if (!synced) throw new Error('no synced cache');
    const cache = await synced.store.folder('bench', 'INBOX');

    // --- resync, nothing changed -----------------------------------------------------------
    for (let i = 0; i < SAMPLES; i++) {
      const state = cache.state();
      await selectElsewhere(mailroom);
      serverBytes = 0;
      const mine = await timed(() => syncFolder(mailroom as ImapFlow, cache, { log: silentLog }));
      const bytes = serverBytes;
      if (mine.result.method !== 'qresync' || mine.result.added.length + mine.result.changed.length + mine.result.removed.length !== 0) throw new Error('no-change resync changed something');
      await bareSelectElsewhere();
      const base = await timed(() => (bare as BaselineImap).command(`EXAMINE INBOX (QRESYNC (${state?.uidValidity} ${state?.highestModseq}))`));
      record(names.resyncNoChange, mine.ms, base.ms, bytes, base.result.bytes);
    }

    // --- resync after 1 append + 10 flag changes by another client --------------------------
    for (let i = 0; i < SAMPLES; i++) {
      const state = cache.state();
      const all = cache.uids();
      const top = all[all.length - 1];
      await selectElsewhere(mailroom);
      const lock = await other.getMailboxLock('INBOX');
      try {
        await other.messageFlagsAdd(`${i * 10 + 1}:${i * 10 + 10}`, ['\\Flagged'], { uid: true });
      } finally {
        lock.release();
      }
      await other.append('INBOX', buildMessage({ from: { address: 'new@example.test' }, to: [{ address: 'bench@example.test' }], subject: `New ${i}`, date: new Date(), messageId: `new-${i}@bench.test`, body: { kind: 'text', text: 'new\n' } }));
      await bareSelectElsewhere();
      const base = await timed(async () => {
        const select = await (bare as BaselineImap).command(`EXAMINE INBOX (QRESYNC (${state?.uidValidity} ${state?.highestModseq}))`);
        const fetch = await (bare as BaselineImap).command(`UID FETCH ${top + 1}:* ${ITEMS_MODSEQ}`);
        return select.bytes + fetch.bytes;
      });
      serverBytes = 0;
      const mine = await timed(() => syncFolder(mailroom as ImapFlow, cache, { log: silentLog }));
      const bytes = serverBytes;
      if (mine.result.added.length !== 1 || mine.result.changed.length !== 10) throw new Error(`ten-change resync: +${mine.result.added.length} ~${mine.result.changed.length}`);
      record(names.resyncTenChanges, mine.ms, base.ms, bytes, base.result);
    }

    for (const [name, r] of results) {
      const value = median(r.mine);
      const baseline = median(r.base);
      const extra = r.bytes.some((b) => b > 0) ? { bytes: median(r.bytes), baselineBytes: median(r.baseBytes) } : undefined;
      ctx.emit(name, value, 'ms', baseline, extra);
      const target = TARGETS[name];
      if (target !== undefined && value / baseline > target) ctx.fail(`${name}: ratio ${(value / baseline).toFixed(2)} over ${target}`);
    }

    // --- memory of the synced cache --------------------------------------------------------
    await synced.store.flushAll();
    const objectsFile = path.join(ctx.tmp, 'envelopes.json');
    fs.writeFileSync(objectsFile, JSON.stringify(cache.page(0, MESSAGES + 100)));
    const child = (mode: string, target: string): number =>
      Number(execFileSync(process.execPath, ['--expose-gc', __filename, '--rss-child', mode, target], { encoding: 'utf8' }).trim());
    const mineRss: number[] = [];
    const baseRss: number[] = [];
    for (let i = 0; i < 3; i++) {
      mineRss.push(child('cache', synced.dir));
      baseRss.push(child('objects', objectsFile));
    }
    ctx.emit(names.cacheRss, median(mineRss), 'bytes', median(baseRss), { messages: cache.count() });
    const rssTarget = TARGETS[names.cacheRss];
    if (rssTarget !== undefined && median(mineRss) / median(baseRss) > rssTarget) ctx.fail(`${names.cacheRss}: ratio ${(median(mineRss) / median(baseRss)).toFixed(2)} over ${rssTarget}`);
    await options.more?.({ store: synced.store, dir: synced.dir, cache });
  } finally {
    await mailroom?.logout().catch(() => undefined);
    await other?.logout().catch(() => undefined);
    await bare?.logout().catch(() => undefined);
    await dovecot.stop();
  }
}

/** Child process: prints the RSS growth of loading the cache (or the plain objects), after GC. */
async function rssChild(mode: string, target: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const settle = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    return process.memoryUsage().rss;
  };
  const store = new HeaderCache({ dir: target, log: silentLog });
  JSON.parse('{"warm":[1,"x"]}');
  const before = await settle();
  let held: unknown;
  if (mode === 'cache') held = await store.folder('bench', 'INBOX');
  else held = JSON.parse(fs.readFileSync(target, 'utf8'));
  const after = await settle();
  process.stdout.write(`${after - before}\n`);
  if (!held) process.exitCode = 1;
}

if (require.main === module && process.argv[2] === '--rss-child') {
  void rssChild(process.argv[3], process.argv[4]);
}

export type { DovecotFixture };
