import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CachedEnvelope, FolderCache } from '../../src/protocol/imap/cacheContract';
import { MailError } from '../../src/protocol/errors';
import type { ProtocolLog } from '../../src/protocol/log';
import { HeaderCache } from '../../src/store/headerCache';
import { JOURNAL_SHARE, MIN_JOURNAL_BYTES } from '../../src/store/headerCache/folderFiles';
import { crc32, encodeRecord, journalHeader, readJournal } from '../../src/store/headerCache/journal';
import { FORMAT_VERSION } from '../../src/store/headerCache/snapshot';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: (m) => push(`WARN ${m}`), error: push };
}

function envelope(uid: number, extra: Partial<CachedEnvelope> = {}): CachedEnvelope {
  return {
    uid,
    flags: uid % 3 ? ['\\Seen'] : [],
    size: 1000 + uid,
    subject: `Subject ${uid}`,
    date: new Date(Date.UTC(2025, 0, 1) + uid * 60_000).toISOString(),
    from: { name: `Sender ${uid % 7}`, address: `s${uid % 7}@example.test` },
    to: [{ name: '', address: 'me@example.test' }],
    messageId: `m${uid}@example.test`,
    references: uid > 1 ? [`m${uid - 1}@example.test`] : [],
    modseq: String(uid),
    ...extra,
  };
}

/** Everything a reader sees of a folder, for comparing two caches. */
function view(cache: FolderCache): unknown {
  return { state: cache.state(), rows: cache.page(0, cache.count() + 1), threads: cache.threadFields(), unseen: cache.unseenCount(), needs: cache.needsThreadHeaders() };
}

describe('header cache journal', () => {
  let dir: string;
  let accountDir: () => string;
  const file = (ext: '.json' | '.journal'): string => {
    const name = fs.readdirSync(accountDir()).find((f) => f.endsWith(ext) && f !== 'index.json');
    return name === undefined ? '' : path.join(accountDir(), name);
  };
  const open = (log: ProtocolLog = recordingLog(), folder = 'INBOX'): Promise<FolderCache> => new HeaderCache({ dir, log }).folder('acc', folder);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-journal-'));
    accountDir = () => path.join(dir, fs.readdirSync(dir)[0]);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A synced folder of `n` messages, flushed once (a snapshot, no journal yet). */
  async function synced(n: number, store = new HeaderCache({ dir, log: recordingLog() })): Promise<{ store: HeaderCache; cache: FolderCache }> {
    const cache = await store.folder('acc', 'INBOX');
    cache.reset({ uidValidity: '7' });
    cache.upsert(Array.from({ length: n }, (_, i) => envelope(i + 1)));
    cache.setState({ uidValidity: '7', highestModseq: String(n), uidNext: n + 1 });
    await cache.flush();
    return { store, cache };
  }

  it('CRC-32 is the IEEE one', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
  });

  it('appends a flag change to the journal, leaves the snapshot alone, and reads it back', async () => {
    const { cache } = await synced(500);
    const snapshot = fs.readFileSync(file('.json'));
    assert.equal(JSON.parse(snapshot.toString('utf8')).v, FORMAT_VERSION);
    assert.equal(file('.journal'), '', 'no journal before the first change');

    cache.setFlags(42, ['\\Seen', '\\Flagged'], '501');
    cache.setState({ uidValidity: '7', highestModseq: '501', uidNext: 501 });
    await cache.flush();
    assert.deepEqual(fs.readFileSync(file('.json')), snapshot, 'the snapshot is not rewritten');
    const journalBytes = fs.statSync(file('.journal')).size;
    assert.ok(journalBytes < 300, `one flag change wrote ${journalBytes} bytes`);

    const again = await open();
    assert.deepEqual(again.get(42)?.flags, ['\\Seen', '\\Flagged']);
    assert.equal(again.get(42)?.modseq, '501');
    assert.deepEqual(again.state(), { uidValidity: '7', highestModseq: '501', uidNext: 501 });
    assert.deepEqual(view(again), view(cache));
    await again.flush();
    assert.equal(fs.statSync(file('.journal')).size, journalBytes, 'replayed changes are not written again');
  });

  it('replays records in order: later changes of the same message win, across and within flushes', async () => {
    const { cache } = await synced(300);
    cache.setFlags(5, ['\\Flagged'], '301');
    cache.upsert([envelope(301, { subject: 'new' })]);
    await cache.flush();
    cache.setFlags(5, ['\\Answered'], '302');
    cache.remove([301, 7]);
    cache.upsert([envelope(301, { subject: 'again', flags: ['$Custom'] })]);
    cache.setThreadHeaders(9, 'p@x', ['r@x', 'p@x']);
    await cache.flush();
    cache.upsert([envelope(7, { subject: 'back below' })]);
    cache.setFlags(5, ['\\Seen'], '18446744073709551000');
    cache.setState({ uidValidity: '7', highestModseq: '18446744073709551000', uidNext: 302 });
    await cache.flush();
    assert.equal(readJournal(fs.readFileSync(file('.journal'))).batches.length, 3);

    const again = await open();
    assert.deepEqual(again.get(5)?.flags, ['\\Seen']);
    assert.equal(again.get(5)?.modseq, '18446744073709551000');
    assert.equal(again.get(301)?.subject, 'again');
    assert.equal(again.get(7)?.subject, 'back below');
    assert.deepEqual(again.get(9)?.references, ['r@x', 'p@x']);
    assert.deepEqual(view(again), view(cache));
  });

  it('ignores a torn last record at every byte offset and keeps the flushes before it', async () => {
    const { cache } = await synced(200);
    cache.setFlags(3, ['\\Flagged'], '201');
    cache.setState({ uidValidity: '7', highestModseq: '201', uidNext: 201 });
    await cache.flush();
    const before = view(await open());
    cache.setFlags(4, ['\\Flagged'], '202');
    cache.upsert([envelope(201, { subject: 'arrived' })]);
    cache.remove([10]);
    cache.setState({ uidValidity: '7', highestModseq: '202', uidNext: 202 });
    await cache.flush();
    const after = view(cache);
    const journal = file('.journal');
    const full = fs.readFileSync(journal);
    const lastStart = readJournal(full.subarray(0, full.length - 1)).validBytes;
    assert.ok(lastStart > 0 && lastStart < full.length);

    for (let cut = lastStart; cut < full.length; cut++) {
      fs.writeFileSync(journal, full.subarray(0, cut));
      const log = recordingLog();
      const torn = await open(log);
      assert.deepEqual(view(torn), before, `cut at ${cut} of ${full.length}`);
      assert.ok(!log.lines.some((l) => l.startsWith('WARN')), `a torn tail is no warning (cut at ${cut}): ${log.lines.join('\n')}`);
      if (cut > lastStart) assert.ok(log.lines.some((l) => l.includes('flushes before it are kept')), log.lines.join('\n'));
    }
    fs.writeFileSync(journal, full);
    assert.deepEqual(view(await open()), after);

    // After a torn tail the next flush writes a snapshot, so nothing is appended behind the bad bytes.
    fs.writeFileSync(journal, full.subarray(0, full.length - 3));
    const resumed = await open();
    resumed.setFlags(20, ['$Later'], '203');
    await resumed.flush();
    assert.equal(file('.journal'), '', 'the torn journal went with the compaction');
    const reread = await open();
    assert.deepEqual(reread.get(20)?.flags, ['$Later']);
    assert.equal(reread.get(201), undefined, 'the torn flush stays lost: the next sync fetches it');
  });

  it('stops at a record with a bad checksum, warns, and never applies what follows', async () => {
    const { cache } = await synced(200);
    const snapshotView = view(cache);
    cache.setFlags(3, ['\\Flagged'], '201');
    await cache.flush();
    cache.setFlags(4, ['\\Flagged'], '202');
    await cache.flush();
    const journal = file('.journal');
    const bytes = fs.readFileSync(journal);
    const headerLength = encodeRecord(journalHeader('0123456789abcdef')).length;
    // Flip a byte inside the first change record's payload ("\\Flagged" -> "\\Flagges").
    const at = bytes.indexOf('Flagged', headerLength) + 6;
    const damaged = Buffer.from(bytes);
    damaged[at] ^= 0x01;
    fs.writeFileSync(journal, damaged);
    const log = recordingLog();
    const reloaded = await open(log);
    assert.deepEqual(view(reloaded), snapshotView, 'neither the damaged record nor the one after it is applied');
    assert.ok(log.lines.some((l) => l.startsWith('WARN') && l.includes('checksum mismatch')), log.lines.join('\n'));
    const read = readJournal(damaged);
    assert.deepEqual([read.batches.length, read.damage?.kind, read.damage?.record], [0, 'damaged', 1]);
  });

  it('refuses a record whose checksum holds but whose changes are malformed, as a whole', () => {
    const header = encodeRecord(journalHeader('0123456789abcdef'));
    const good = encodeRecord(JSON.stringify([['f', 1, ['\\Seen'], '5']]));
    const bad = encodeRecord(JSON.stringify([['f', 2, ['\\Seen'], '6'], ['u', [{ uid: -1 }]]]));
    const read = readJournal(Buffer.concat([header, good, bad]));
    assert.equal(read.of, '0123456789abcdef');
    assert.deepEqual(read.batches, [[['f', 1, ['\\Seen'], '5']]]);
    assert.deepEqual([read.damage?.kind, read.damage?.reason], ['torn', 'malformed changes']);
    assert.equal(read.validBytes, header.length + good.length);
    assert.equal(readJournal(Buffer.concat([encodeRecord('{"v":99,"of":"x"}'), good])).of, undefined);
  });

  it('compacts: the journal stays under its share of the snapshot, and the reload matches', async () => {
    const { cache } = await synced(1200);
    let rewrites = 0;
    let snapshotInode = fs.statSync(file('.json')).ino;
    let largest = 0;
    for (let round = 0; round < 16; round++) {
      for (let k = 0; k < 200; k++) {
        const uid = 1 + ((round * 200 + k) % 1200);
        cache.setFlags(uid, round % 2 ? ['\\Seen', '$Round' + round] : ['$Round' + round], String(2000 + round));
      }
      cache.setState({ uidValidity: '7', highestModseq: String(2000 + round), uidNext: 1201 });
      await cache.flush();
      const snapshot = fs.statSync(file('.json'));
      if (snapshot.ino !== snapshotInode) rewrites++; // an atomic rewrite renames a new file over it
      snapshotInode = snapshot.ino;
      const journal = file('.journal');
      const journalSize = journal ? fs.statSync(journal).size : 0;
      largest = Math.max(largest, journalSize);
      assert.ok(journalSize <= Math.max(MIN_JOURNAL_BYTES, snapshot.size * JOURNAL_SHARE), `round ${round}: journal ${journalSize}, snapshot ${snapshot.size}`);
    }
    assert.ok(rewrites >= 1 && rewrites < 8, `${rewrites} snapshot rewrites in 16 flushes`);
    assert.ok(largest > 0);
    assert.deepEqual(view(await open()), view(cache));
  });

  it('ignores (and removes) a journal left from before a compaction', async () => {
    const { store, cache } = await synced(300);
    cache.setFlags(1, ['\\Flagged'], '301');
    await cache.flush();
    const stale = fs.readFileSync(file('.journal'));
    cache.setFlags(1, ['\\Answered'], '302');
    await (await store.table('acc', 'INBOX')).compact();
    assert.equal(file('.journal'), '');
    // A crash between the snapshot's rename and the journal's removal leaves the old journal.
    fs.writeFileSync(file('.json').replace(/\.json$/, '.journal'), stale);
    const log = recordingLog();
    const reloaded = await open(log);
    assert.deepEqual(reloaded.get(1)?.flags, ['\\Answered']);
    assert.equal(file('.journal'), '');
    assert.ok(!log.lines.some((l) => l.startsWith('WARN')), log.lines.join('\n'));
  });

  it('writes a snapshot instead of a journal record for a UIDVALIDITY change and for a full sync', async () => {
    const { cache } = await synced(400);
    cache.setFlags(2, ['\\Flagged'], '401');
    await cache.flush();
    assert.notEqual(file('.journal'), '');
    cache.reset({ uidValidity: '8' });
    cache.upsert([envelope(1, { subject: 'after' })]);
    await cache.flush();
    assert.equal(file('.journal'), '', 'the journal went with everything else');
    const reloaded = await open();
    assert.deepEqual(reloaded.state(), { uidValidity: '8' });
    assert.deepEqual([...reloaded.uids()], [1]);

    reloaded.upsert(Array.from({ length: 2000 }, (_, i) => envelope(i + 2)));
    await reloaded.flush();
    assert.equal(file('.journal'), '', '2,000 new rows go to a snapshot');
    assert.equal((await open()).count(), 2001);
  });

  it('keeps journaled changes across a rename, and drops the journal with its folder', async () => {
    const { store, cache } = await synced(100);
    cache.setFlags(8, ['\\Flagged'], '101');
    await cache.flush();
    await store.renameFolder('acc', 'INBOX', 'Archive');
    const moved = await open(recordingLog(), 'Archive');
    assert.deepEqual(moved.get(8)?.flags, ['\\Flagged']);
    moved.setFlags(9, ['\\Flagged'], '102');
    await moved.flush();
    const fresh = new HeaderCache({ dir, log: recordingLog() });
    await fresh.dropFolder('acc', 'Archive');
    assert.deepEqual(fs.readdirSync(accountDir()), ['index.json']);
  });

  it('reads a version 2 file, ignores a journal beside it, and writes version 3 at the next flush', async () => {
    await synced(50);
    const snapshotFile = file('.json');
    const v2 = JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as Record<string, unknown>;
    v2.v = 2;
    delete v2.journal;
    fs.writeFileSync(snapshotFile, JSON.stringify(v2));
    fs.writeFileSync(snapshotFile.replace(/\.json$/, '.journal'), Buffer.concat([encodeRecord(journalHeader('0123456789abcdef')), encodeRecord('[["x",[1,2,3]]]')]));
    const upgraded = await open();
    assert.equal(upgraded.count(), 50, 'the stray journal is not applied');
    assert.equal(file('.journal'), '');
    await upgraded.flush();
    assert.equal(JSON.parse(fs.readFileSync(snapshotFile, 'utf8')).v, FORMAT_VERSION);
  });

  it('two windows on one folder: a flush that finds the files changed by the other writes its own snapshot, never a mix', async () => {
    await synced(300);
    const a = await open();
    const b = await open();
    a.setFlags(1, ['\\Flagged'], '301');
    await a.flush();
    b.setFlags(2, ['\\Answered'], '302');
    await b.flush(); // b starts the journal over: what is on disk is what b holds
    assert.deepEqual(view(await open()), view(b));
    a.setFlags(3, ['$Again'], '303');
    const flushing = a.flush(); // the journal is not as a left it: a writes what it holds, whole
    for (let tick = 0; tick < 5; tick++) await Promise.resolve(); // the flush is waiting for its file checks now
    a.setFlags(6, ['$During'], '305'); // changed meanwhile: in the snapshot, not again in the journal
    await flushing;
    await a.flush();
    assert.equal(file('.journal'), '', 'nothing left for the journal: the change during the flush is in the snapshot');
    const last = await open();
    assert.deepEqual(view(last), view(a));
    assert.deepEqual(last.get(1)?.flags, ['\\Flagged']);
    assert.deepEqual(last.get(2)?.flags, envelope(2).flags, "b's change, which a never saw, is not mixed in");
    b.setFlags(4, ['$B'], '304');
    await b.flush(); // the snapshot is not the one b knows
    assert.equal(file('.journal'), '');
    assert.deepEqual(view(await open()), view(b));
  });

  it('a failed append fails the flush with StorageFailed; the next flush writes a snapshot with everything', async () => {
    const { cache } = await synced(100);
    const journal = file('.json').replace(/\.json$/, '.journal');
    fs.mkdirSync(journal);
    cache.setFlags(1, ['\\Flagged'], '101');
    await assert.rejects(cache.flush(), (e: unknown) => MailError.is(e, 'StorageFailed'));
    fs.rmdirSync(journal);
    cache.setFlags(2, ['\\Flagged'], '102');
    await cache.flush();
    assert.equal(file('.journal'), '');
    const reloaded = await open();
    assert.deepEqual([reloaded.get(1)?.flags, reloaded.get(2)?.flags], [['\\Flagged'], ['\\Flagged']]);
  });
});
