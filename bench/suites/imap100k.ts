/**
 * IMAP at 100,000 messages: the lines of bench/imapSync.ts on a 100k bench mailbox (fewer samples:
 * one full sync moves ~39 MB), then, on the synced cache:
 * - imap.cacheOpen100k: a window opening the folder from the cache on disk and showing its first
 *   page (HeaderCache.folder + page(0, 50)), against reading the same envelopes as plain objects
 *   from one JSON file (readFile + JSON.parse, the least any on-disk form costs);
 * - imap.loadMore100k: the page the tree shows after 20 "Load more" (page(0, 1050)) from the open
 *   cache, against slicing the same rows from an array of plain objects and copying them as a
 *   cache must hand them out (flags, sender and recipients copied, so the caller cannot change it);
 * - imap.unifiedInbox5x100k: the Unified Inbox's first page over five accounts of 100k each,
 *   opened cold from their caches (what MailTreeModel.unifiedChildren does: each INBOX's newest
 *   page, merged by date), against the same from five plain-object JSON files;
 * - imap.flagPersist1at100k: persisting one flag change (with its MODSEQ and the folder's new
 *   HIGHESTMODSEQ) as a sync does, by flush(): a record appended to the folder's journal, against
 *   the full rewrite every flush did before the journal (compact(): the snapshot written again
 *   atomically), in the same run; `bytes` / `baselineBytes` are what each wrote.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CachedEnvelope } from '../../src/protocol/imap/cacheContract';
import { silentLog } from '../../src/protocol/log';
import { HeaderCache } from '../../src/store/headerCache';
import { runImapSyncBench } from '../imapSync';
import { BenchSuite, median } from '../report';

const MESSAGES = 100_000;
const PAGE = 50;
const ACCOUNTS = 5;
const OPEN_SAMPLES = 7;
const PERSIST_SAMPLES = 9;
/** A flag change must cost at most this share of a full rewrite (time), and of its bytes. */
const PERSIST_TARGET = 0.2;
const PERSIST_BYTES_TARGET = 0.001;

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

function copyEnvelope(e: CachedEnvelope): CachedEnvelope {
  return { ...e, flags: e.flags.slice(), ...(e.from ? { from: { ...e.from } } : {}), ...(e.to ? { to: e.to.map((a) => ({ ...a })) } : {}) };
}

function newestByDate(pages: CachedEnvelope[][], limit: number): CachedEnvelope[] {
  return pages
    .flat()
    .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''))
    .slice(0, limit);
}

export const run: BenchSuite = (ctx) =>
  runImapSyncBench(ctx, {
    messages: MESSAGES,
    samples: 3,
    pageSamples: 9,
    names: {
      firstPage: 'imap.firstPage50at100k',
      headerSync: 'imap.headerSync100k',
      resyncNoChange: 'imap.resyncNoChange100k',
      resyncTenChanges: 'imap.resyncTenChanges100k',
      cacheRss: 'imap.cacheRss100k',
    },
    targets: { 'imap.firstPage50at100k': 1.2, 'imap.headerSync100k': 1.2, 'imap.cacheRss100k': 1 },
    more: async ({ store, dir, cache }) => {
      await store.flushAll();
      const plain = cache.page(0, cache.count()).reverse(); // ascending, as the server numbers them
      const objectsFile = path.join(ctx.tmp, 'plain-100k.json');
      fs.writeFileSync(objectsFile, JSON.stringify(plain));

      // --- open from disk + first page ------------------------------------------------------
      const open: number[] = [];
      const openBase: number[] = [];
      for (let i = 0; i <= OPEN_SAMPLES; i++) {
        const mine = await timed(async () => (await new HeaderCache({ dir, log: silentLog }).folder('bench', 'INBOX')).page(0, PAGE));
        const base = await timed(async () => (JSON.parse(await fs.promises.readFile(objectsFile, 'utf8')) as CachedEnvelope[]).slice(-PAGE).reverse());
        if (mine.result.length !== PAGE || mine.result[0].uid !== base.result[0].uid) throw new Error('cache open: first pages differ');
        if (i > 0) {
          open.push(mine.ms);
          openBase.push(base.ms);
        }
      }
      ctx.emit('imap.cacheOpen100k', median(open), 'ms', median(openBase));

      // --- Load more (20 times) from the open cache -------------------------------------------
      const shown = PAGE * 21;
      const more: number[] = [];
      const moreBase: number[] = [];
      for (let i = 0; i < 21; i++) {
        more.push((await timed(() => cache.page(0, shown))).ms);
        moreBase.push((await timed(() => plain.slice(-shown).reverse().map(copyEnvelope))).ms);
      }
      ctx.emit('imap.loadMore100k', median(more), 'ms', median(moreBase), { rows: shown });

      // --- Unified Inbox over five accounts, cold ---------------------------------------------
      const unifiedRoot = path.join(ctx.tmp, 'unified');
      const seedStore = new HeaderCache({ dir: unifiedRoot, log: silentLog });
      const plainFiles: string[] = [];
      for (let a = 0; a < ACCOUNTS; a++) {
        const folder = await seedStore.folder(`acct${a}`, 'INBOX');
        const state = cache.state();
        if (!state) throw new Error('bench cache has no state');
        folder.reset(state);
        folder.upsert(plain.map((e) => ({ ...e, date: e.date && new Date(Date.parse(e.date) + a * 7_000).toISOString() })));
        const file = path.join(ctx.tmp, `plain-${a}.json`);
        fs.writeFileSync(file, JSON.stringify(folder.page(0, MESSAGES * 2).reverse()));
        plainFiles.push(file);
      }
      await seedStore.flushAll();
      const unified: number[] = [];
      const unifiedBase: number[] = [];
      for (let i = 0; i <= 5; i++) {
        const mine = await timed(async () => {
          const headers = new HeaderCache({ dir: unifiedRoot, log: silentLog });
          const folders = await Promise.all(Array.from({ length: ACCOUNTS }, (_, a) => headers.folder(`acct${a}`, 'INBOX')));
          return newestByDate(folders.map((f) => f.page(0, PAGE)), PAGE);
        });
        const base = await timed(async () => {
          const lists = await Promise.all(plainFiles.map(async (f) => JSON.parse(await fs.promises.readFile(f, 'utf8')) as CachedEnvelope[]));
          return newestByDate(lists.map((l) => l.slice(-PAGE).reverse()), PAGE);
        });
        if (mine.result.length !== PAGE || mine.result[0].date !== base.result[0].date) throw new Error('unified: first pages differ');
        if (i > 0) {
          unified.push(mine.ms);
          unifiedBase.push(base.ms);
        }
      }
      ctx.emit('imap.unifiedInbox5x100k', median(unified), 'ms', median(unifiedBase), { accounts: ACCOUNTS, messagesEach: MESSAGES });

      // --- one flag change persisted: journal append against a full rewrite ---------------------
      const table = await store.table('bench', 'INBOX');
      const accountDir = path.join(dir, fs.readdirSync(dir)[0]);
      const sizeOf = (ext: string): number => {
        const name = fs.readdirSync(accountDir).find((f) => f.endsWith(ext) && f !== 'index.json');
        return name === undefined ? 0 : fs.statSync(path.join(accountDir, name)).size;
      };
      const uids = table.uids();
      let modseq = BigInt(table.state()?.highestModseq ?? '1');
      const touched = new Set<number>();
      const flip = (uid: number): void => {
        touched.add(uid);
        const flags = table.get(uid)?.flags ?? [];
        modseq++;
        table.setFlags(uid, flags.includes('\\Flagged') ? flags.filter((f) => f !== '\\Flagged') : [...flags, '\\Flagged'], String(modseq));
        const state = table.state();
        if (state) table.setState({ ...state, highestModseq: String(modseq) });
      };
      const persist: number[] = [];
      const persistBase: number[] = [];
      const persistBytes: number[] = [];
      const rewriteBytes: number[] = [];
      for (let i = 0; i <= PERSIST_SAMPLES; i++) {
        const uid = uids[(i * 9973) % uids.length];
        flip(uid);
        const base = await timed(() => table.compact());
        rewriteBytes.push(sizeOf('.json'));
        // The first append after a compaction starts the journal; time the steady state after it.
        flip(uids[(i * 7919 + 1) % uids.length]);
        await table.flush();
        flip(uid);
        const before = sizeOf('.journal');
        const mine = await timed(() => table.flush());
        persistBytes.push(sizeOf('.journal') - before);
        if (persistBytes[persistBytes.length - 1] <= 0) throw new Error('flag change: nothing appended to the journal');
        if (i > 0) {
          persist.push(mine.ms);
          persistBase.push(base.ms);
        }
      }
      const reread = await new HeaderCache({ dir, log: silentLog }).folder('bench', 'INBOX');
      if (reread.state()?.highestModseq !== String(modseq) || [...touched].some((u) => JSON.stringify(reread.get(u)) !== JSON.stringify(table.get(u)))) throw new Error('flag change: the cache read back differs');
      const [bytes, baselineBytes] = [median(persistBytes), median(rewriteBytes)];
      ctx.emit('imap.flagPersist1at100k', median(persist), 'ms', median(persistBase), { bytes, baselineBytes });
      if (median(persist) / median(persistBase) > PERSIST_TARGET) ctx.fail(`imap.flagPersist1at100k: ratio ${(median(persist) / median(persistBase)).toFixed(2)} over ${PERSIST_TARGET}`);
      if (bytes / baselineBytes > PERSIST_BYTES_TARGET) ctx.fail(`imap.flagPersist1at100k: ${bytes} bytes against ${baselineBytes}, over ${PERSIST_BYTES_TARGET}`);
    },
  });
