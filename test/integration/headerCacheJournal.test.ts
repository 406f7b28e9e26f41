import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import type { FolderCache } from '../../src/protocol/imap/cacheContract';
import { syncFolder } from '../../src/protocol/imap/sync';
import type { ProtocolLog } from '../../src/protocol/log';
import { HeaderCache } from '../../src/store/headerCache';
import { readJournal } from '../../src/store/headerCache/journal';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { buildMessage } from '../fixtures/messages';
import { byUid, cachedFolderState, closeAliceClients, connectAliceClients, serverFolderState } from './aliceClients';
import { requireDovecot } from './requireDovecot';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: (m) => push(`WARN ${m}`), error: push };
}

function message(subject: string, n: number): Buffer {
  return buildMessage({
    from: { name: 'Other Client', address: 'other@example.test' },
    to: [{ address: 'alice@example.test' }],
    subject,
    date: new Date(Date.UTC(2025, 1, 1, 9, n)),
    messageId: `journal-${n}-${Date.now()}@example.test`,
    body: { kind: 'text', text: `${subject}\n` },
  });
}

describe('header cache journal against Dovecot', function () {
  this.timeout(60_000);
  let dovecot: DovecotFixture;
  let mailroom: ImapFlow;
  let other: ImapFlow;
  let dir: string;
  const log = recordingLog();

  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-journal-it-'));
    ({ mailroom, other } = await connectAliceClients(dovecot, log));
  });
  after(async () => {
    await closeAliceClients({ mailroom, other }, dovecot);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The folder's snapshot and journal (named as src/store/headerCache.ts names them). */
  function files(folder: string): { snapshot: string; journal: string } {
    const accountDir = path.join(dir, Buffer.from('alice', 'utf8').toString('base64url'));
    const base = path.join(accountDir, createHash('sha256').update(folder, 'utf8').digest('hex').slice(0, 32));
    return { snapshot: `${base}.json`, journal: `${base}.journal` };
  }

  async function assertConverged(cache: FolderCache, folder: string): Promise<void> {
    assert.deepEqual(byUid(cachedFolderState(cache)), byUid(await serverFolderState(other, folder)));
  }

  it('a flag change from another client reaches the cache through the journal, and a restart reads it back', async () => {
    const store = new HeaderCache({ dir, log });
    const cache = await store.folder('alice', 'INBOX');
    const full = await syncFolder(mailroom, cache, { log });
    assert.equal(full.method, 'full');
    const { snapshot, journal } = files('INBOX');
    const snapshotBefore = fs.readFileSync(snapshot);
    assert.equal(fs.existsSync(journal), false, 'a full sync writes a snapshot only');

    const target = cache.page(0, 100).find((e) => !e.flags.includes('\\Flagged'));
    assert.ok(target);
    const lock = await other.getMailboxLock('INBOX');
    try {
      await other.messageFlagsAdd(String(target.uid), ['\\Flagged'], { uid: true });
    } finally {
      lock.release();
    }
    const delta = await syncFolder(mailroom, cache, { log });
    assert.equal(delta.method, 'qresync');
    assert.deepEqual(delta.changed, [target.uid]);
    assert.ok(cache.get(target.uid)?.flags.includes('\\Flagged'));

    assert.deepEqual(fs.readFileSync(snapshot), snapshotBefore, 'the snapshot was not rewritten for one flag');
    const records = readJournal(fs.readFileSync(journal));
    assert.equal(records.damage, undefined);
    assert.equal(records.batches.length, 1, 'one flush, one record');
    assert.ok(fs.statSync(journal).size < 512, `the journal holds ${fs.statSync(journal).size} bytes`);

    // Restart: a new store reads the snapshot and replays the journal.
    const restarted = await new HeaderCache({ dir, log }).folder('alice', 'INBOX');
    assert.ok(restarted.get(target.uid)?.flags.includes('\\Flagged'));
    assert.deepEqual(restarted.state(), cache.state(), 'HIGHESTMODSEQ came back with the flag');
    assert.deepEqual(restarted.page(0, 1000), cache.page(0, 1000));
    const quiet = await syncFolder(mailroom, restarted, { log });
    assert.equal(quiet.method, 'qresync');
    assert.deepEqual([quiet.added, quiet.changed, quiet.removed], [[], [], []], 'nothing left to fetch after the restart');
    await assertConverged(restarted, 'INBOX');
  });

  it('new mail and an expunge are journaled too; a torn last record is fetched again by the next sync', async () => {
    const store = new HeaderCache({ dir, log });
    const cache = await store.folder('alice', 'INBOX');
    const { journal } = files('INBOX');
    const lock = await other.getMailboxLock('INBOX');
    const victim = cache.page(5, 1)[0].uid;
    try {
      await other.messageDelete(String(victim), { uid: true });
    } finally {
      lock.release();
    }
    await other.append('INBOX', message('Journaled arrival', 1));
    const before = fs.statSync(journal).size;
    const delta = await syncFolder(mailroom, cache, { log });
    assert.deepEqual([delta.added.length, delta.removed], [1, [victim]]);
    const after = fs.readFileSync(journal);
    assert.ok(after.length > before);

    // A crash in the middle of that append: the record is cut short.
    fs.writeFileSync(journal, after.subarray(0, before + Math.floor((after.length - before) / 2)));
    const restartLog = recordingLog();
    const restarted = await new HeaderCache({ dir, log: restartLog }).folder('alice', 'INBOX');
    assert.ok(restarted.get(victim), 'the expunge was in the torn record');
    assert.ok(!restartLog.lines.some((l) => l.startsWith('WARN')), restartLog.lines.join('\n'));
    const resync = await syncFolder(mailroom, restarted, { log });
    assert.equal(resync.method, 'qresync');
    assert.deepEqual([resync.added, resync.removed], [delta.added, [victim]]);
    await assertConverged(restarted, 'INBOX');
    assert.deepEqual((await new HeaderCache({ dir, log }).folder('alice', 'INBOX')).page(0, 1000), restarted.page(0, 1000));
  });

  it('a UIDVALIDITY change drops the journal with everything else and a restart reads the new folder', async () => {
    await other.mailboxCreate('JournalTmp');
    for (let i = 0; i < 3; i++) await other.append('JournalTmp', message(`old ${i}`, 10 + i));
    const store = new HeaderCache({ dir, log });
    const cache = await store.folder('alice', 'JournalTmp');
    await syncFolder(mailroom, cache, { log });
    const lock = await other.getMailboxLock('JournalTmp');
    try {
      await other.messageFlagsAdd('1', ['\\Seen'], { uid: true });
    } finally {
      lock.release();
    }
    await syncFolder(mailroom, cache, { log });
    const { snapshot, journal } = files('JournalTmp');
    assert.ok(fs.existsSync(journal));
    const oldValidity = cache.state()?.uidValidity;
    await syncFolder(mailroom, await store.folder('alice', 'INBOX'), { log }); // select elsewhere first

    await other.mailboxDelete('JournalTmp');
    await new Promise((r) => setTimeout(r, 1100)); // Dovecot derives UIDVALIDITY from the clock
    await other.mailboxCreate('JournalTmp');
    for (let i = 0; i < 2; i++) await other.append('JournalTmp', message(`new ${i}`, 20 + i));
    const result = await syncFolder(mailroom, cache, { log });
    assert.equal(result.uidValidityChanged, true);
    assert.equal(fs.existsSync(journal), false, 'the old journal is gone');
    const written = JSON.parse(fs.readFileSync(snapshot, 'utf8')) as { state: { uidValidity: string } };
    assert.notEqual(written.state.uidValidity, oldValidity);

    const restarted = await new HeaderCache({ dir, log }).folder('alice', 'JournalTmp');
    assert.deepEqual(restarted.page(0, 10).map((e) => e.subject), ['new 1', 'new 0']);
    assert.deepEqual(restarted.state(), cache.state());
    await assertConverged(restarted, 'JournalTmp');
  });
});
