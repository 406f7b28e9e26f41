import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../../src/protocol/errors';
import { offlineOperationProblem } from '../../src/protocol/imap/operations/offlineOperation';
import { uidSetChunks } from '../../src/protocol/imap/operations/uidSet';
import { ProtocolLog } from '../../src/protocol/log';
import { dropOfflineQueue, MAX_UIDS_PER_OPERATION, NewOfflineOperation, OfflineQueue, queueFilePath } from '../../src/store/offlineQueue';

type RecordingLog = ProtocolLog & { lines: string[] };

function recordingLog(): RecordingLog {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

const flagsOp = (uids: number[] = [1, 2], extra: Partial<NewOfflineOperation> = {}): NewOfflineOperation => ({
  kind: 'flags',
  path: 'INBOX',
  uidValidity: '1700000000',
  uids,
  add: ['\\Seen'],
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (err) {
    if (MailError.is(err)) return err;
    throw new Error(`not a MailError: ${String(err)}`);
  }
  throw new Error('expected a failure');
}

describe('OfflineQueue', () => {
  let dir: string;
  let clock: number;
  const open = (accountId = 'acct-1', log: ProtocolLog = recordingLog()): Promise<OfflineQueue> => OfflineQueue.open({ dir, accountId, log, now: () => clock });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-queue-'));
    clock = Date.UTC(2026, 0, 2, 3, 4, 5);
  });
  afterEach(() => {
    fs.chmodSync(dir, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts empty when there is no file and creates none until something is queued', async () => {
    const queue = await open();
    assert.equal(queue.size, 0);
    assert.equal(queue.peek(), undefined);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('queues in FIFO order with id, account and time filled in', async () => {
    const queue = await open();
    const a = await queue.enqueue(flagsOp([1]));
    clock += 1000;
    const b = await queue.enqueue({ kind: 'move', path: 'INBOX', uidValidity: '7', uids: [3], to: 'Archive' });
    assert.notEqual(a.id, b.id);
    assert.equal(a.accountId, 'acct-1');
    assert.equal(b.createdAt - a.createdAt, 1000);
    assert.deepEqual(queue.list().map((o) => o.kind), ['flags', 'move']);
    assert.equal(queue.peek()?.id, a.id);
    assert.equal(queue.get(b.id)?.to, 'Archive');
  });

  it('survives a restart: a reopened queue has the same operations in the same order', async () => {
    const queue = await open();
    const ops = [flagsOp([5]), { kind: 'copy', path: 'Überweisungen', uidValidity: '42', uids: [1, 9], to: '日本語' } as NewOfflineOperation, { kind: 'delete', path: 'Trash', uidValidity: '42', uids: [4] } as NewOfflineOperation];
    for (const op of ops) await queue.enqueue(op);
    const reopened = await open();
    assert.deepEqual(reopened.list(), queue.list());
  });

  it('removes and updates operations durably', async () => {
    const queue = await open();
    const a = await queue.enqueue(flagsOp([1, 2, 3]));
    const b = await queue.enqueue(flagsOp([4]));
    assert.equal(await queue.update(a.id, { uids: [2, 3], attempts: 2, lastError: 'NO [INUSE]' }), true);
    assert.equal(await queue.remove(b.id), true);
    assert.equal(await queue.remove(b.id), false, 'already gone');
    assert.equal(await queue.update('nope', { attempts: 1 }), false);
    const reopened = await open();
    assert.deepEqual(reopened.list().map((o) => [o.uids, o.attempts, o.lastError]), [[[2, 3], 2, 'NO [INUSE]']]);
  });

  it('refuses to update an operation to no UIDs (remove it instead), leaving it as it was', async () => {
    const queue = await open();
    const a = await queue.enqueue(flagsOp([1]));
    assert.equal((await failure(queue.update(a.id, { uids: [] }))).code, 'StorageFailed');
    assert.deepEqual((await open()).list()[0].uids, [1]);
  });

  it('fires onDidChange after the change is on disk', async () => {
    const queue = await open();
    const seen: Array<{ size: number; onDisk: number }> = [];
    queue.onDidChange((ops) => {
      const file = JSON.parse(fs.readFileSync(queue.file, 'utf8')) as { operations: unknown[] };
      seen.push({ size: ops.length, onDisk: file.operations.length });
    });
    const a = await queue.enqueue(flagsOp());
    await queue.remove(a.id);
    await queue.remove(a.id); // no change, no event
    assert.deepEqual(seen, [
      { size: 1, onDisk: 1 },
      { size: 0, onDisk: 0 },
    ]);
  });

  it('keeps every one of many concurrent enqueues, in call order', async () => {
    const queue = await open();
    await Promise.all(Array.from({ length: 25 }, (_, i) => queue.enqueue(flagsOp([i + 1]))));
    assert.deepEqual(queue.list().map((o) => o.uids[0]), Array.from({ length: 25 }, (_, i) => i + 1));
    assert.equal((await open()).size, 25);
  });

  it('rejects malformed operations with a typed error and queues nothing', async () => {
    const queue = await open();
    await queue.enqueue(flagsOp([1]));
    const before = fs.readFileSync(queue.file, 'utf8');
    const bad: unknown[] = [
      flagsOp([0]),
      flagsOp([1.5]),
      flagsOp([1], { uidValidity: 'abc' }),
      flagsOp([1], { add: [] }),
      { kind: 'move', path: 'INBOX', uidValidity: '1', uids: [1] },
      { kind: 'explode', path: 'INBOX', uidValidity: '1', uids: [1] },
      flagsOp([1], { path: '' }),
    ];
    for (const op of bad) {
      const err = await failure(queue.enqueue(op as NewOfflineOperation));
      assert.equal(err.code, 'StorageFailed', JSON.stringify(op));
    }
    assert.equal(queue.size, 1);
    assert.equal(fs.readFileSync(queue.file, 'utf8'), before, 'file untouched');
  });

  it('refuses an operation with more UIDs than the limit', async () => {
    const queue = await open();
    const uids = Array.from({ length: MAX_UIDS_PER_OPERATION + 1 }, (_, i) => i + 1);
    assert.equal((await failure(queue.enqueue(flagsOp(uids)))).code, 'LimitExceeded');
    assert.equal(queue.size, 0);
  });

  it('a failed write throws StorageFailed and leaves the queue in memory as it was', async () => {
    const queue = await open();
    await queue.enqueue(flagsOp([1]));
    // The directory is replaced by a plain file: no write can succeed.
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, 'not a directory');
    try {
      assert.equal((await failure(queue.enqueue(flagsOp([2])))).code, 'StorageFailed');
      assert.deepEqual(queue.list().map((o) => o.uids), [[1]]);
      assert.equal((await failure(queue.remove(queue.peek()!.id))).code, 'StorageFailed');
      assert.equal(queue.size, 1);
    } finally {
      fs.rmSync(dir);
      fs.mkdirSync(dir);
    }
  });

  it('moves a corrupt file aside as .corrupt-<time>, logs it, starts empty and keeps working', async () => {
    const file = queueFilePath(dir, 'acct-1');
    fs.writeFileSync(file, '{"version":1,"accountId":"acct-1","operations":[{"id":');
    const log = recordingLog();
    const queue = await open('acct-1', log);
    assert.equal(queue.size, 0);
    const aside = fs.readdirSync(dir).filter((n) => n.includes('.corrupt-'));
    assert.deepEqual(aside, [`${path.basename(file)}.corrupt-2026-01-02T03-04-05-000Z`]);
    assert.ok(log.lines.some((l) => /not valid JSON.*moved aside/.test(l)), log.lines.join('\n'));
    await queue.enqueue(flagsOp());
    assert.equal((await open()).size, 1);
  });

  it('moves aside a file of another version or another account', async () => {
    fs.writeFileSync(queueFilePath(dir, 'a'), JSON.stringify({ version: 99, accountId: 'a', operations: [] }));
    fs.writeFileSync(queueFilePath(dir, 'b'), JSON.stringify({ version: 1, accountId: 'someone-else', operations: [] }));
    fs.writeFileSync(queueFilePath(dir, 'c'), 'null');
    for (const id of ['a', 'b', 'c']) {
      const log = recordingLog();
      assert.equal((await open(id, log)).size, 0);
      assert.ok(log.lines.some((l) => l.includes('moved aside')), id);
    }
    assert.equal(fs.readdirSync(dir).filter((n) => n.includes('.corrupt-')).length, 3);
  });

  it('keeps the readable operations of a partly damaged file and sets the original aside', async () => {
    const queue = await open();
    const good = await queue.enqueue(flagsOp([1]));
    const raw = JSON.parse(fs.readFileSync(queue.file, 'utf8')) as { operations: unknown[] };
    raw.operations.push({ ...good, id: 'x2', uids: 'all' }, { ...good, id: 'x3', kind: 'nuke' }, good);
    fs.writeFileSync(queue.file, JSON.stringify(raw));
    const log = recordingLog();
    const reopened = await open('acct-1', log);
    assert.deepEqual(reopened.list().map((o) => o.id), [good.id]);
    assert.ok(log.lines.some((l) => l.includes('3 unreadable operation(s)') && l.includes('1 kept')), log.lines.join('\n'));
    assert.equal(fs.readdirSync(dir).filter((n) => n.includes('.corrupt-')).length, 1);
    assert.deepEqual((await open()).list().map((o) => o.id), [good.id], 'the cleaned queue was written back');
  });

  it('does not crash when the queue path is unreadable (a directory): sets it aside', async () => {
    fs.mkdirSync(queueFilePath(dir, 'acct-1'));
    const log = recordingLog();
    const queue = await open('acct-1', log);
    assert.equal(queue.size, 0);
    assert.ok(log.lines.some((l) => l.includes('cannot be read')));
    await queue.enqueue(flagsOp());
    assert.equal((await open()).size, 1);
  });

  it('keeps accounts apart, with any account id as a safe file name', async () => {
    const weird = await open('../../etc/passwd ü/日本');
    const plain = await open('plain');
    await weird.enqueue(flagsOp([1]));
    await plain.enqueue(flagsOp([2]));
    await plain.enqueue(flagsOp([3]));
    assert.equal(path.dirname(weird.file), dir);
    assert.equal((await open('../../etc/passwd ü/日本')).size, 1);
    assert.equal((await open('plain')).size, 2);
    await dropOfflineQueue(dir, 'plain');
    assert.equal((await open('plain')).size, 0);
    assert.equal((await open('../../etc/passwd ü/日本')).size, 1);
  });

  it('removes its own leftover temp files on open and leaves other files alone', async () => {
    const file = queueFilePath(dir, 'acct-1');
    const own = path.join(dir, `.${path.basename(file)}.123.abcd.tmp`);
    const foreign = path.join(dir, `.${path.basename(queueFilePath(dir, 'other'))}.123.abcd.tmp`);
    fs.writeFileSync(own, 'half');
    fs.writeFileSync(foreign, 'half');
    await open();
    assert.equal(fs.existsSync(own), false);
    assert.equal(fs.existsSync(foreign), true);
  });

  it('clear() empties the queue durably', async () => {
    const queue = await open();
    await queue.enqueue(flagsOp());
    await queue.clear();
    assert.equal((await open()).size, 0);
  });
});

describe('offline operation validation and UID sets (used by the queue and replay)', () => {
  it('accepts a well-formed operation and names the problem of a bad one', () => {
    const ok = { id: 'a', kind: 'flags', accountId: 'x', path: 'INBOX', uidValidity: '1', uids: [1], add: ['\\Seen'], createdAt: 1 };
    assert.equal(offlineOperationProblem(ok), undefined);
    assert.match(offlineOperationProblem({ ...ok, uidValidity: '01' }) ?? '', /uidValidity/);
    assert.match(offlineOperationProblem({ ...ok, uids: [2 ** 32] }) ?? '', /uids/);
    assert.match(offlineOperationProblem({ ...ok, createdAt: 'yesterday' }) ?? '', /createdAt/);
    assert.match(offlineOperationProblem([]) ?? '', /not an object/);
  });

  it('packs UIDs into compact sets and splits long ones', () => {
    assert.deepEqual(uidSetChunks([5, 1, 2, 3, 9, 3, 0, -1, 1.5]), ['1:3,5,9']);
    assert.deepEqual(uidSetChunks([]), []);
    const chunks = uidSetChunks(Array.from({ length: 100 }, (_, i) => 2 * i + 1), 50);
    assert.ok(chunks.length > 1 && chunks.every((c) => c.length <= 50));
    assert.deepEqual(chunks.join(',').split(',').map(Number), Array.from({ length: 100 }, (_, i) => 2 * i + 1));
  });
});
