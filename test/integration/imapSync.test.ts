import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { FolderCache } from '../../src/protocol/imap/cacheContract';
import { fetchNewestPage, syncFolder, SyncMethod, SyncResult } from '../../src/protocol/imap/sync';
import type { ProtocolLog } from '../../src/protocol/log';
import { HeaderCache } from '../../src/store/headerCache';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { buildMessage } from '../fixtures/messages';
import { byUid, cachedFolderState, closeAliceClients, connectAliceClients, serverFolderState } from './aliceClients';
import { requireDovecot } from './requireDovecot';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

/** Capabilities without QRESYNC (and, for the second list, without CONDSTORE). */
const BASE_CAPS = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS MOVE UNSELECT CHILDREN NAMESPACE LIST-EXTENDED SPECIAL-USE';
const MODES: Array<{ title: string; method: SyncMethod; configExtra?: string; compress?: boolean }> = [
  { title: 'QRESYNC', method: 'qresync' },
  { title: 'CONDSTORE without QRESYNC', method: 'condstore', configExtra: `imap_capability = ${BASE_CAPS} ESEARCH CONDSTORE` },
  { title: 'neither CONDSTORE nor QRESYNC', method: 'uidnext+flags', configExtra: `imap_capability = ${BASE_CAPS}` },
  {
    title: 'QRESYNC over COMPRESS=DEFLATE',
    method: 'qresync',
    compress: true,
    configExtra: 'mail_plugins = $mail_plugins zlib\nprotocol imap {\n  mail_plugins = $mail_plugins imap_zlib\n}',
  },
];

let appended = 0;
function newMessage(subject: string): Buffer {
  appended++;
  return buildMessage({
    from: { name: 'Other Client', address: 'other@example.test' },
    to: [{ address: 'alice@example.test' }],
    subject,
    date: new Date(Date.UTC(2024, 5, 1, 12, appended)),
    messageId: `sync-${appended}-${Date.now()}@example.test`,
    body: { kind: 'text', text: `${subject}\n` },
  });
}

for (const mode of MODES) {
  describe(`syncFolder against Dovecot (${mode.title})`, function () {
    this.timeout(60_000);
    let dovecot: DovecotFixture;
    let mailroom: ImapFlow;
    let other: ImapFlow;
    let dir: string;
    const log = recordingLog();

    before(async function () {
      requireDovecot(this);
      dovecot = await startDovecot(mode.configExtra ? { configExtra: mode.configExtra } : {});
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-sync-'));
      ({ mailroom, other } = await connectAliceClients(dovecot, log));
    });
    after(async () => {
      await closeAliceClients({ mailroom, other }, dovecot);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The server's view through the other client: uid → "flags|subject". */
    async function assertConverged(cache: FolderCache, folder = 'INBOX'): Promise<void> {
      const server = await serverFolderState(other, folder);
      assert.deepEqual(new Map(byUid(cachedFolderState(cache))), new Map(byUid(server)));
      assert.equal(cache.unseenCount(), [...server.values()].filter((v) => !v.split('|')[0].split(' ').includes('\\Seen')).length);
    }
    async function changeFromOtherClient(change: { addFlagged?: number[]; unseen?: number[]; seen?: number[]; expunge?: number[]; append?: string[] }): Promise<number[]> {
      const lock = await other.getMailboxLock('INBOX');
      try {
        if (change.addFlagged?.length) await other.messageFlagsAdd(change.addFlagged.join(','), ['\\Flagged'], { uid: true });
        if (change.unseen?.length) await other.messageFlagsRemove(change.unseen.join(','), ['\\Seen'], { uid: true });
        if (change.seen?.length) await other.messageFlagsAdd(change.seen.join(','), ['\\Seen'], { uid: true });
        if (change.expunge?.length) await other.messageDelete(change.expunge.join(','), { uid: true });
      } finally {
        lock.release();
      }
      const uids: number[] = [];
      for (const subject of change.append ?? []) {
        const res = await other.append('INBOX', newMessage(subject), ['$Custom']);
        if (res && res.uid) uids.push(res.uid);
      }
      return uids;
    }
    const sync = (cache: FolderCache): Promise<SyncResult> => syncFolder(mailroom, cache, { log });

    it('first sync fetches every envelope and matches the server', async () => {
      if (mode.compress) assert.ok([...mailroom.capabilities.keys()].includes('COMPRESS=DEFLATE'), 'the server offers COMPRESS=DEFLATE');
      const cache = await new HeaderCache({ dir, log }).folder('alice', 'INBOX');
      let progress = 0;
      const result = await syncFolder(mailroom, cache, { log, onProgress: (done) => (progress = done) });
      assert.equal(result.method, 'full');
      assert.equal(result.added.length, 60);
      assert.equal(progress, 60);
      await assertConverged(cache);
      assert.ok(log.lines.some((l) => l.includes('rows read by the lean reader')), 'the bulk FETCH went through the lean reader');
      const state = cache.state();
      assert.match(state?.uidValidity ?? '', /^\d+$/);
      assert.equal(state?.highestModseq !== undefined, mode.method !== 'uidnext+flags');
    });

    it(`converges after another client changes flags, expunges and appends (${mode.method})`, async () => {
      const store = new HeaderCache({ dir, log });
      const cache = await store.folder('alice', 'INBOX');
      const before = cache.get(10);
      const newUids = await changeFromOtherClient({ addFlagged: [1, 2, 3], unseen: [4], seen: [5], expunge: [20, 21], append: ['Appended one', 'Appended two'] });
      assert.equal(newUids.length, 2);
      const result = await sync(cache);
      assert.equal(result.method, mode.method);
      assert.deepEqual(result.removed, [20, 21]);
      assert.deepEqual(result.added, newUids);
      for (const uid of [1, 2, 3]) assert.ok(result.changed.includes(uid), `uid ${uid} reported changed`);
      assert.deepEqual(cache.get(10), before, 'an untouched message is unchanged');
      assert.deepEqual(cache.get(newUids[0])?.flags, ['$Custom']);
      await assertConverged(cache);
    });

    it('converges again while the folder is still selected on the same connection', async () => {
      const cache = await new HeaderCache({ dir, log }).folder('alice', 'INBOX');
      const newUids = await changeFromOtherClient({ addFlagged: [6], expunge: [30, newUidsOf(cache)[0]], append: ['Appended three'] });
      const result = await sync(cache);
      assert.equal(result.method, mode.method);
      assert.equal(result.removed.length, 2);
      assert.deepEqual(result.added, newUids);
      await assertConverged(cache);
      const quiet = await sync(cache);
      assert.deepEqual([quiet.added, quiet.changed, quiet.removed], [[], [], []]);
    });

    it('keeps the cache across a reload from disk and resumes with a delta', async () => {
      const first = new HeaderCache({ dir, log });
      const cache = await first.folder('alice', 'INBOX');
      await sync(cache);
      await first.flushAll();
      const reloaded = await new HeaderCache({ dir, log }).folder('alice', 'INBOX');
      assert.deepEqual(reloaded.state(), cache.state());
      assert.deepEqual(reloaded.page(0, 1000), cache.page(0, 1000));
      const target = reloaded.page(0, 1000).find((e) => e.flags.includes('\\Seen') && e.uid > 40);
      assert.ok(target);
      await changeFromOtherClient({ unseen: [target.uid] });
      const result = await sync(reloaded);
      assert.equal(result.method, mode.method);
      assert.deepEqual(result.changed, [target.uid]);
      await assertConverged(reloaded);
    });

    if (mode.method !== 'qresync' || mode.compress) return;

    it('drops the cache when UIDVALIDITY changes (folder deleted and created again)', async () => {
      await other.mailboxCreate('SyncTmp');
      for (const s of ['tmp 1', 'tmp 2', 'tmp 3']) await other.append('SyncTmp', newMessage(s));
      const store = new HeaderCache({ dir, log });
      const cache = await store.folder('alice', 'SyncTmp');
      await sync(cache);
      assert.equal(cache.count(), 3);
      const oldValidity = cache.state()?.uidValidity;
      await sync(await store.folder('alice', 'INBOX')); // select elsewhere before the folder goes away

      await other.mailboxDelete('SyncTmp');
      await new Promise((r) => setTimeout(r, 1100)); // Dovecot derives UIDVALIDITY from the clock
      await other.mailboxCreate('SyncTmp');
      for (const s of ['new 1', 'new 2']) await other.append('SyncTmp', newMessage(s));

      const result = await sync(cache);
      assert.equal(result.uidValidityChanged, true);
      assert.equal(result.method, 'full');
      assert.notEqual(cache.state()?.uidValidity, oldValidity);
      assert.deepEqual(cache.page(0, 10).map((e) => e.subject), ['new 2', 'new 1']);
      await assertConverged(cache, 'SyncTmp');
    });

    it('drops a corrupt cache file with a log line and syncs from scratch', async () => {
      const store = new HeaderCache({ dir, log });
      await store.flushAll();
      const accountDir = path.join(dir, fs.readdirSync(dir)[0]);
      for (const f of fs.readdirSync(accountDir)) if (f !== 'index.json') fs.writeFileSync(path.join(accountDir, f), '{"v":1,"uids":[1,2');
      const corruptLog = recordingLog();
      const cache = await new HeaderCache({ dir, log: corruptLog }).folder('alice', 'INBOX');
      assert.equal(cache.count(), 0);
      assert.ok(corruptLog.lines.some((l) => /header cache for "INBOX" dropped/.test(l)), corruptLog.lines.join('\n'));
      const result = await syncFolder(mailroom, cache, { log: corruptLog });
      assert.equal(result.method, 'full');
      await assertConverged(cache);
    });

    it('fetchNewestPage shows the newest envelopes of a folder never synced, without marking it synced', async () => {
      const cache = await new HeaderCache({ dir: fs.mkdtempSync(path.join(dir, 'page-')), log }).folder('alice', 'INBOX');
      const page = await fetchNewestPage(mailroom, cache, { limit: 10, log });
      const server = [...(await serverFolderState(other, 'INBOX')).keys()].sort((a, b) => b - a).slice(0, 10);
      assert.deepEqual(page.envelopes.map((e) => e.uid), server);
      assert.equal(page.total, (await serverFolderState(other, 'INBOX')).size);
      assert.equal(cache.state(), undefined);
      assert.equal(cache.count(), 10);
      const full = await sync(cache);
      assert.equal(full.method, 'full');
      await assertConverged(cache);
    });

    it('a full sync after a first page keeps the page on top from the first batch on, and drops a row the server does not have', async () => {
      const cache = await new HeaderCache({ dir: fs.mkdtempSync(path.join(dir, 'under-')), log }).folder('alice', 'INBOX');
      const page = await fetchNewestPage(mailroom, cache, { limit: 5, log });
      // A row of a page fetched under another UIDVALIDITY, or of a message since expunged.
      cache.upsert([{ uid: 9_999_999, flags: [], size: 1, subject: 'stale' }]);
      const tops: number[][] = [];
      const result = await syncFolder(mailroom, cache, { log, onProgress: () => void tops.push(cache.page(1, 5).map((e) => e.uid)) });
      assert.equal(result.method, 'full');
      assert.ok(tops.length > 0);
      for (const t of tops) assert.deepEqual(t, page.envelopes.map((e) => e.uid), 'the first page stays the newest rows during the sync');
      assert.equal(cache.get(9_999_999), undefined);
      assert.deepEqual(result.removed, [9_999_999]);
      await assertConverged(cache);
    });
  });
}

/** UIDs of the messages appended by the other client so far (subjects starting "Appended"). */
function newUidsOf(cache: FolderCache): number[] {
  return cache
    .page(0, 1_000_000)
    .filter((e) => e.subject.startsWith('Appended'))
    .map((e) => e.uid)
    .sort((a, b) => a - b);
}
