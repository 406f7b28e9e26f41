import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { AccountConfig } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import { ImapCommandError } from '../../src/protocol/imap/operations/command';
import { MAX_REPLAY_ATTEMPTS, replayQueue } from '../../src/protocol/imap/replay';
import { ProtocolLog } from '../../src/protocol/log';
import { NewOfflineOperation, OfflineQueue } from '../../src/store/offlineQueue';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { buildMessage } from '../fixtures/messages';
import { requireDovecot } from './requireDovecot';

type RecordingLog = ProtocolLog & { lines: string[] };

function recordingLog(): RecordingLog {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

interface Harness {
  dovecot: DovecotFixture;
  /** Our connection (the code under test). */
  open(): Promise<ImapFlow>;
  /** Another IMAP client: seeds, changes mail meanwhile, verifies the result independently. */
  other(): Promise<ImapFlow>;
  /** A fresh queue directory. */
  queue(accountId?: string): Promise<OfflineQueue>;
}

function harness(configExtra?: string): () => Harness {
  let h: Harness | undefined;
  const clients: ImapFlow[] = [];
  let dovecot: DovecotFixture | undefined;
  let tmp: string | undefined;
  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot(configExtra ? { configExtra } : {});
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-replay-'));
    const d = dovecot;
    const account: AccountConfig = {
      id: 'alice',
      protocol: 'imap',
      host: d.host,
      port: d.ports.imaps,
      security: 'tls',
      user: d.users.alice.user,
      trustedCertificateSha256: d.certSha256,
    };
    const connect = async (): Promise<ImapFlow> => {
      const client = await connectImap({ account, password: d.users.alice.password, log: recordingLog(), timeoutMs: 10_000 });
      clients.push(client);
      return client;
    };
    let witness: ImapFlow | undefined;
    let queues = 0;
    h = {
      dovecot: d,
      open: connect,
      other: async () => (witness?.usable ? witness : (witness = await connect())),
      queue: (accountId = 'alice') => OfflineQueue.open({ dir: path.join(tmp!, String(++queues)), accountId, log: recordingLog() }),
    };
  });
  after(async () => {
    await Promise.all(clients.map((c) => (c.usable ? c.logout().catch(() => c.close()) : c.close())));
    await dovecot?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });
  return () => {
    if (!h) throw new Error('Dovecot harness not started');
    return h;
  };
}

async function seedFolder(other: ImapFlow, folder: string, tag: string, count: number): Promise<number[]> {
  await other.mailboxCreate(folder);
  for (let i = 1; i <= count; i++) {
    await other.append(
      folder,
      buildMessage({
        from: { address: 'seeder@example.test' },
        to: [{ address: 'alice@example.test' }],
        subject: `${tag} ${i}`,
        date: new Date(Date.UTC(2025, 1, i)),
        messageId: `${tag}-${i}@replay.test`,
        body: { kind: 'text', text: `${tag} ${i}\n` },
      }),
    );
  }
  return [...(await folderState(other, folder)).values()].map((m) => m.uid).sort((a, b) => a - b);
}

/** Message-ID → UID and flags (without the per-session \Recent), read after a NOOP. */
async function folderState(other: ImapFlow, folder: string): Promise<Map<string, { uid: number; flags: Set<string> }>> {
  const lock = await other.getMailboxLock(folder, { readOnly: true });
  try {
    await other.noop();
    const out = new Map<string, { uid: number; flags: Set<string> }>();
    if (!other.mailbox || other.mailbox.exists === 0) return out;
    for (const row of await other.fetchAll('1:*', { uid: true, flags: true, envelope: true })) {
      out.set(row.envelope?.messageId?.replace(/^<|>$/g, '') ?? `uid-${row.uid}`, { uid: row.uid, flags: new Set([...(row.flags ?? [])].filter((f) => f !== '\\Recent')) });
    }
    return out;
  } finally {
    lock.release();
  }
}

async function uidValidity(other: ImapFlow, folder: string): Promise<string> {
  const status = await other.status(folder, { uidValidity: true });
  assert.ok(status && status.uidValidity !== undefined);
  return status.uidValidity.toString();
}

async function expungeByOther(other: ImapFlow, folder: string, uids: number[]): Promise<void> {
  const lock = await other.getMailboxLock(folder);
  try {
    assert.ok(await other.messageDelete(uids.join(','), { uid: true }));
  } finally {
    lock.release();
  }
}

const flagsOf = (state: Map<string, { flags: Set<string> }>, id: string): string[] => [...(state.get(id)?.flags ?? ['(missing)'])].sort();

describe('offline queue replay against Dovecot', function () {
  this.timeout(60_000);
  const h = harness();

  it('applies flags, move, copy and delete in the order they were queued', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Ordered', 'ord', 4);
    await other.mailboxCreate('OrderedDst');
    const v = await uidValidity(other, 'Ordered');
    const queue = await h().queue();
    const ops: NewOfflineOperation[] = [
      { kind: 'flags', path: 'Ordered', uidValidity: v, uids: [uids[0], uids[1]], add: ['\\Flagged'] },
      // Queued after the flag change: the moved message must arrive flagged.
      { kind: 'move', path: 'Ordered', uidValidity: v, uids: [uids[0]], to: 'OrderedDst' },
      { kind: 'copy', path: 'Ordered', uidValidity: v, uids: [uids[1]], to: 'OrderedDst' },
      { kind: 'delete', path: 'Ordered', uidValidity: v, uids: [uids[2]], to: 'Trash' },
      { kind: 'flags', path: 'Ordered', uidValidity: v, uids: [uids[3]], add: ['\\Seen'], remove: ['\\Flagged'] },
    ];
    for (const op of ops) await queue.enqueue(op);
    const log = recordingLog();
    const report = await replayQueue(await h().open(), queue, log);

    assert.deepEqual(report.applied.map((a) => a.operation.kind), ['flags', 'move', 'copy', 'delete', 'flags']);
    assert.deepEqual([report.dropped.length, report.failed.length, report.remaining, report.stoppedBy], [0, 0, 0, undefined]);
    assert.equal(queue.size, 0);
    const src = await folderState(other, 'Ordered');
    const dst = await folderState(other, 'OrderedDst');
    assert.deepEqual([...src.keys()].sort(), ['ord-2@replay.test', 'ord-4@replay.test']);
    assert.deepEqual(flagsOf(dst, 'ord-1@replay.test'), ['\\Flagged']);
    assert.deepEqual(flagsOf(dst, 'ord-2@replay.test'), ['\\Flagged']);
    assert.deepEqual(flagsOf(src, 'ord-4@replay.test'), ['\\Seen']);
    assert.ok((await folderState(other, 'Trash')).has('ord-3@replay.test'));
    assert.equal(log.lines.filter((l) => l.includes('offline replay: applied')).length, 5);
  });

  it('drops the UIDs another client expunged meanwhile and applies the rest', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Vanish', 'van', 3);
    const queue = await h().queue();
    await queue.enqueue({ kind: 'flags', path: 'Vanish', uidValidity: await uidValidity(other, 'Vanish'), uids, add: ['\\Flagged'] });
    await expungeByOther(other, 'Vanish', [uids[1]]);
    // New mail arrives meanwhile; it gets a new UID and must stay untouched.
    await seedFolder(other, 'Vanish', 'late', 1);

    const log = recordingLog();
    const report = await replayQueue(await h().open(), queue, log);
    assert.deepEqual(report.applied.map((a) => a.uids), [[uids[0], uids[2]]]);
    assert.deepEqual(report.dropped.map((d) => [d.reason, d.uids]), [['vanished', [uids[1]]]]);
    const state = await folderState(other, 'Vanish');
    assert.deepEqual(flagsOf(state, 'van-1@replay.test'), ['\\Flagged']);
    assert.deepEqual(flagsOf(state, 'van-3@replay.test'), ['\\Flagged']);
    assert.deepEqual(flagsOf(state, 'late-1@replay.test'), []);
    assert.ok(log.lines.some((l) => l.includes(`UIDs ${uids[1]} no longer exist`)), log.lines.join('\n'));
  });

  it('drops an operation whose UIDs all vanished', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'AllGone', 'gone', 2);
    await other.mailboxCreate('AllGoneDst');
    const queue = await h().queue();
    await queue.enqueue({ kind: 'move', path: 'AllGone', uidValidity: await uidValidity(other, 'AllGone'), uids, to: 'AllGoneDst' });
    await expungeByOther(other, 'AllGone', uids);
    const report = await replayQueue(await h().open(), queue, recordingLog());
    assert.deepEqual(report.dropped.map((d) => [d.reason, d.uids]), [['vanished', uids]]);
    assert.equal(report.applied.length, 0);
    assert.equal((await folderState(other, 'AllGoneDst')).size, 0);
    assert.equal(queue.size, 0);
  });

  it('never applies an operation to other messages after a UIDVALIDITY change', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Reborn', 'first', 2);
    const queue = await h().queue();
    const oldValidity = await uidValidity(other, 'Reborn');
    await queue.enqueue({ kind: 'flags', path: 'Reborn', uidValidity: oldValidity, uids, add: ['\\Flagged', '\\Seen'] });
    await queue.enqueue({ kind: 'delete', path: 'Reborn', uidValidity: oldValidity, uids });
    // Another client deletes the folder and makes a new one of the same name: the same UIDs now
    // name different messages.
    await other.mailboxDelete('Reborn');
    const newUids = await seedFolder(other, 'Reborn', 'second', 2);
    assert.deepEqual(newUids, uids, 'the same UIDs exist again');
    assert.notEqual(await uidValidity(other, 'Reborn'), oldValidity);

    const log = recordingLog();
    const report = await replayQueue(await h().open(), queue, log);
    assert.deepEqual(report.dropped.map((d) => d.reason), ['uidvalidity-changed', 'uidvalidity-changed']);
    assert.equal(report.applied.length, 0);
    const state = await folderState(other, 'Reborn');
    assert.deepEqual([...state.keys()].sort(), ['second-1@replay.test', 'second-2@replay.test']);
    for (const id of state.keys()) assert.deepEqual(flagsOf(state, id), []);
    assert.equal(log.lines.filter((l) => l.includes('UIDVALIDITY changed')).length, 2);
  });

  it('drops operations on a folder that no longer exists', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Doomed', 'doom', 1);
    const queue = await h().queue();
    await queue.enqueue({ kind: 'flags', path: 'Doomed', uidValidity: await uidValidity(other, 'Doomed'), uids, add: ['\\Seen'] });
    await other.mailboxDelete('Doomed');
    const report = await replayQueue(await h().open(), queue, recordingLog());
    assert.deepEqual(report.dropped.map((d) => d.reason), ['folder-missing']);
    assert.equal(queue.size, 0);
  });

  it('removes an operation the server refuses for good (TRYCREATE) and goes on with the next', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Refused', 'ref', 2);
    const v = await uidValidity(other, 'Refused');
    const queue = await h().queue();
    await queue.enqueue({ kind: 'move', path: 'Refused', uidValidity: v, uids: [uids[0]], to: 'No such folder' });
    await queue.enqueue({ kind: 'flags', path: 'Refused', uidValidity: v, uids: [uids[1]], add: ['\\Flagged'] });
    const log = recordingLog();
    const report = await replayQueue(await h().open(), queue, log);
    assert.equal(report.failed.length, 1);
    const failed = report.failed[0];
    assert.equal(failed.kept, false);
    assert.ok(failed.error instanceof ImapCommandError);
    assert.equal(failed.error.responseCode, 'TRYCREATE');
    assert.deepEqual(report.applied.map((a) => a.operation.kind), ['flags']);
    assert.equal(queue.size, 0);
    const state = await folderState(other, 'Refused');
    assert.deepEqual(flagsOf(state, 'ref-1@replay.test'), [], 'the refused move touched nothing');
    assert.deepEqual(flagsOf(state, 'ref-2@replay.test'), ['\\Flagged']);
    assert.ok(log.lines.some((l) => l.includes('retrying cannot help')));
  });

  it('stops with the rest still queued when the connection drops mid-replay, and finishes after a restart from the reopened queue file', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Outage', 'out', 3);
    const v = await uidValidity(other, 'Outage');
    const queue = await h().queue('outage-account');
    await queue.enqueue({ kind: 'flags', path: 'Outage', uidValidity: v, uids: [uids[0]], add: ['\\Flagged'] });
    await queue.enqueue({ kind: 'flags', path: 'Outage', uidValidity: v, uids: [uids[1]], add: ['\\Seen'] });
    await queue.enqueue({ kind: 'delete', path: 'Outage', uidValidity: v, uids: [uids[2]] });
    const client = await h().open();
    // The connection drops right after the first operation was applied and removed from the queue.
    const cut = queue.onDidChange(() => {
      cut.dispose();
      client.close();
    });
    const report = await replayQueue(client, queue, recordingLog());
    assert.ok(report.stoppedBy, 'replay stopped');
    assert.ok(['ConnectionClosed', 'Timeout'].includes(report.stoppedBy.code), report.stoppedBy.code);
    assert.equal(report.applied.length, 1);
    assert.deepEqual(report.failed.map((f) => [f.operation.uids, f.kept]), [[[uids[1]], true]]);
    assert.equal(report.remaining, 2);

    // "VS Code restarted": the queue is read back from its file, and replay finishes the job once.
    const reopened = await OfflineQueue.open({ dir: path.dirname(queue.file), accountId: 'outage-account', log: recordingLog() });
    assert.deepEqual(reopened.list().map((o) => o.uids), [[uids[1]], [uids[2]]]);
    const rest = await replayQueue(await h().open(), reopened, recordingLog());
    assert.deepEqual(rest.applied.map((a) => a.operation.kind), ['flags', 'delete']);
    assert.equal(reopened.size, 0);
    const state = await folderState(await h().other(), 'Outage');
    assert.deepEqual([...state.keys()].sort(), ['out-1@replay.test', 'out-2@replay.test']);
    assert.deepEqual(flagsOf(state, 'out-1@replay.test'), ['\\Flagged']);
    assert.deepEqual(flagsOf(state, 'out-2@replay.test'), ['\\Seen']);
  });
});

describe('offline queue replay when the server is over quota', function () {
  this.timeout(60_000);
  // Alice's seed holds 82 messages; the first test adds 3 and copies 2 more.
  const h = harness(['mail_plugins = $mail_plugins quota', 'plugin {', '  quota = maildir:User quota', '  quota_rule = *:messages=86', '}'].join('\n'));

  it('keeps a copy refused with OVERQUOTA (attempt counted), stops there to keep the order, and applies it once there is room', async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Full', 'full', 3);
    const v = await uidValidity(other, 'Full');
    const queue = await h().queue();
    await queue.enqueue({ kind: 'copy', path: 'Full', uidValidity: v, uids, to: 'Archive' });
    await queue.enqueue({ kind: 'flags', path: 'Full', uidValidity: v, uids: [uids[0]], add: ['\\Flagged'] });

    const client = await h().open();
    const first = await replayQueue(client, queue, recordingLog());
    assert.equal(first.failed.length, 1);
    assert.equal(first.failed[0].kept, true);
    assert.ok(first.failed[0].error instanceof ImapCommandError);
    assert.equal(first.failed[0].error.responseCode, 'OVERQUOTA');
    assert.equal(first.applied.length, 0, 'the later flag change waits behind it');
    assert.equal(first.remaining, 2);
    assert.equal(queue.peek()?.attempts, 1);
    assert.match(queue.peek()?.lastError ?? '', /OVERQUOTA/);

    // The user makes room on another device.
    await expungeByOther(other, 'INBOX', [1, 2, 3, 4, 5]);
    const second = await replayQueue(client, queue, recordingLog());
    assert.deepEqual(second.applied.map((a) => a.operation.kind), ['copy', 'flags']);
    assert.equal(queue.size, 0);
    const archive = await folderState(other, 'Archive');
    assert.ok(['full-1@replay.test', 'full-2@replay.test', 'full-3@replay.test'].every((id) => archive.has(id)));
  });

  it(`gives up on an operation after ${MAX_REPLAY_ATTEMPTS} temporary failures`, async () => {
    const other = await h().other();
    const uids = await seedFolder(other, 'Stuck', 'stuck', 1);
    const queue = await h().queue();
    await queue.enqueue({ kind: 'copy', path: 'Stuck', uidValidity: await uidValidity(other, 'Stuck'), uids, to: 'Archive' });
    const client = await h().open();
    let last;
    for (let i = 0; i < MAX_REPLAY_ATTEMPTS + 2 && queue.size > 0; i++) {
      // Keep the account full: top it up to the limit before each attempt.
      await fillQuota(other, 86);
      last = await replayQueue(client, queue, recordingLog());
    }
    assert.equal(queue.size, 0);
    assert.equal(last?.failed[0]?.kept, false);
    assert.equal(last?.failed[0]?.operation.attempts, MAX_REPLAY_ATTEMPTS - 1);
  });
});

/** Appends to INBOX until the account holds `limit` messages. */
async function fillQuota(other: ImapFlow, limit: number): Promise<void> {
  let total = 0;
  for (const folder of await other.list({ statusQuery: { messages: true } })) total += folder.status?.messages ?? 0;
  for (let i = total; i < limit; i++) {
    await other.append('INBOX', buildMessage({ from: { address: 'f@example.test' }, to: [{ address: 'alice@example.test' }], subject: `filler ${i}`, date: new Date(), messageId: `filler-${i}-${Date.now()}@replay.test`, body: { kind: 'text', text: 'x\n' } }));
  }
}
