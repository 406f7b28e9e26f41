import * as assert from 'node:assert/strict';
import { PendingWrites } from '../../src/store/pop3/pendingWrites';

/** A write the test settles by hand. */
function manualWrite(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PendingWrites: the POP3 download waits for room among the writes to disk, not for each', () => {
  it('has room below the count, and waits at it until one write settles', async () => {
    const writes = new PendingWrites();
    const all = [manualWrite(), manualWrite(), manualWrite()];
    all.slice(0, 2).forEach((w) => writes.add(w.promise, 10));
    let roomAfterTwo = false;
    await writes.room(3, 1_000).then(() => (roomAfterTwo = true));
    assert.equal(roomAfterTwo, true, 'two pending, three allowed');
    writes.add(all[2].promise, 10);
    let room = false;
    void writes.room(3, 1_000).then(() => (room = true));
    await tick();
    assert.equal(room, false, 'three pending: no room');
    all[1].resolve();
    await tick();
    assert.equal(room, true, 'a write settled: room again');
    assert.equal(writes.pending, 2);
  });

  it('waits while the pending bytes are over the cap, but never for the only pending write', async () => {
    const writes = new PendingWrites();
    const big = manualWrite();
    writes.add(big.promise, 5_000);
    let alone = false;
    await writes.room(100, 1_000).then(() => (alone = true));
    assert.equal(alone, true, 'one write over the cap alone still leaves room (a message larger than the cap)');
    const second = manualWrite();
    writes.add(second.promise, 10);
    let room = false;
    void writes.room(100, 1_000).then(() => (room = true));
    await tick();
    assert.equal(room, false, '5,010 bytes pending over a 1,000 cap');
    big.resolve();
    await tick();
    assert.equal(room, true);
  });

  it('keeps the first failure for the download to throw, and drain waits for every write', async () => {
    const writes = new PendingWrites();
    const [a, b, c] = [manualWrite(), manualWrite(), manualWrite()];
    for (const w of [a, b, c]) writes.add(w.promise, 1);
    writes.throwIfFailed();
    b.reject(new Error('disk full'));
    await tick();
    assert.throws(() => writes.throwIfFailed(), /disk full/);
    let drained = false;
    const draining = writes.drain().then(() => (drained = true));
    a.resolve();
    await tick();
    assert.equal(drained, false, 'one write still pending');
    c.reject(new Error('second failure'));
    await draining;
    assert.equal(drained, true);
    assert.throws(() => writes.throwIfFailed(), /disk full/, 'the first failure, not a later one');
  });
});
