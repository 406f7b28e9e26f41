import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProtocolLog } from '../../src/protocol/log';
import { BodyCache } from '../../src/store/bodyCache';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

const body = (n: number, size = 100): Buffer => Buffer.alloc(size, String.fromCharCode(65 + (n % 26)));

describe('BodyCache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-bodies-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns what was put, keyed by account, folder, UIDVALIDITY and UID', async () => {
    const cache = new BodyCache({ dir, maxBytes: 10_000 });
    await cache.put('a', 'INBOX', '1', 7, body(7));
    assert.deepEqual(await cache.get('a', 'INBOX', '1', 7), body(7));
    assert.equal(await cache.get('a', 'INBOX', '2', 7), undefined);
    assert.equal(await cache.get('a', 'Sent', '1', 7), undefined);
    assert.equal(await cache.get('b', 'INBOX', '1', 7), undefined);
  });

  it('evicts the least recently used bodies beyond maxBytes', async () => {
    const cache = new BodyCache({ dir, maxBytes: 300 });
    await cache.put('a', 'INBOX', '1', 1, body(1));
    await cache.put('a', 'INBOX', '1', 2, body(2));
    await cache.put('a', 'INBOX', '1', 3, body(3));
    assert.ok(await cache.get('a', 'INBOX', '1', 1)); // 1 is now the most recent
    await cache.put('a', 'INBOX', '1', 4, body(4));
    assert.equal(await cache.get('a', 'INBOX', '1', 2), undefined);
    for (const uid of [1, 3, 4]) assert.ok(await cache.get('a', 'INBOX', '1', uid), `uid ${uid} kept`);
    assert.equal(await cache.size(), 300);
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).length, 3);
  });

  it('does not cache a body larger than the whole cache', async () => {
    const cache = new BodyCache({ dir, maxBytes: 50 });
    await cache.put('a', 'INBOX', '1', 1, body(1, 51));
    assert.equal(await cache.get('a', 'INBOX', '1', 1), undefined);
    assert.equal(await cache.size(), 0);
  });

  it('survives a restart with the recency order kept', async () => {
    const first = new BodyCache({ dir, maxBytes: 200 });
    await first.put('a', 'INBOX', '1', 1, body(1));
    await first.put('a', 'INBOX', '1', 2, body(2));
    assert.ok(await first.get('a', 'INBOX', '1', 1));
    await first.flush();

    const second = new BodyCache({ dir, maxBytes: 200 });
    assert.deepEqual(await second.get('a', 'INBOX', '1', 2), body(2));
    assert.deepEqual(await second.get('a', 'INBOX', '1', 1), body(1));
    await second.put('a', 'INBOX', '1', 3, body(3)); // evicts 2, used before 1
    assert.equal(await second.get('a', 'INBOX', '1', 2), undefined);
    assert.ok(await second.get('a', 'INBOX', '1', 1));
  });

  it('drops a folder (optionally one UIDVALIDITY) and an account', async () => {
    const cache = new BodyCache({ dir, maxBytes: 10_000 });
    await cache.put('a', 'INBOX', '1', 1, body(1));
    await cache.put('a', 'INBOX', '2', 1, body(2));
    await cache.put('a', 'Sent', '1', 1, body(3));
    await cache.put('b', 'INBOX', '1', 1, body(4));
    await cache.dropFolder('a', 'INBOX', '1');
    assert.equal(await cache.get('a', 'INBOX', '1', 1), undefined);
    assert.ok(await cache.get('a', 'INBOX', '2', 1));
    await cache.dropAccount('a');
    assert.equal(await cache.get('a', 'Sent', '1', 1), undefined);
    assert.ok(await cache.get('b', 'INBOX', '1', 1));
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).length, 1);
  });

  it('drops a corrupt index with a log line and removes the orphaned files', async () => {
    const first = new BodyCache({ dir, maxBytes: 10_000 });
    await first.put('a', 'INBOX', '1', 1, body(1));
    fs.writeFileSync(path.join(dir, 'index.json'), '{"v":1,"entries":[["a"');
    const log = recordingLog();
    const second = new BodyCache({ dir, maxBytes: 10_000, log });
    assert.equal(await second.get('a', 'INBOX', '1', 1), undefined);
    assert.ok(log.lines.some((l) => l.includes('body cache index dropped')), log.lines.join('\n'));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.eml')), []);
  });

  it('drops an entry whose file was damaged instead of returning wrong bytes', async () => {
    const cache = new BodyCache({ dir, maxBytes: 10_000, log: recordingLog() });
    await cache.put('a', 'INBOX', '1', 1, body(1));
    const [file] = fs.readdirSync(dir).filter((f) => f.endsWith('.eml'));
    fs.writeFileSync(path.join(dir, file), 'short');
    assert.equal(await cache.get('a', 'INBOX', '1', 1), undefined);
    assert.equal(await cache.size(), 0);
  });
});
