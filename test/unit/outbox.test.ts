import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../../src/protocol/errors';
import type { BuiltMessage } from '../../src/protocol/smtp/buildMessage';
import { INTERRUPTED_MESSAGE, Outbox, OutboxEntry } from '../../src/store/outbox';

const fields = (extra: Partial<OutboxEntry> = {}): Omit<OutboxEntry, 'id' | 'createdAt' | 'state' | 'attempts'> => ({
  accountId: 'acct',
  subject: 'Hello',
  recipients: ['Ann <ann@x.org>'],
  envelope: { from: 'me@x.org', to: ['ann@x.org', 'zoe@x.org'] },
  ...extra,
});

const wire = Buffer.from('Subject: Hello\r\n\r\nBody ü\r\n');
const built = (bcc = true): BuiltMessage => ({
  wire,
  sentCopy: bcc ? Buffer.concat([Buffer.from('Bcc: zoe@x.org\r\n'), wire]) : wire,
  envelope: { from: 'me@x.org', to: ['ann@x.org', 'zoe@x.org'] },
  messageId: 'id@x.org',
});

async function rejection(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (err) {
    if (MailError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('Outbox', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-outbox-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stores the bytes and the entry durably: a new Outbox on the same folder reads them back', async () => {
    const outbox = new Outbox(dir);
    const entry = await outbox.add(fields({ draftId: 'd1' }), built());
    assert.equal(entry.state, 'queued');
    assert.equal(entry.attempts, 0);
    assert.deepEqual(fs.readdirSync(dir).sort(), [`${entry.id}.bcc`, `${entry.id}.eml`, `${entry.id}.json`]);
    const again = new Outbox(dir);
    assert.deepEqual(await again.list(), [entry]);
    const read = await again.read(entry.id);
    assert.ok(read.wire.equals(wire));
    assert.ok(read.sentCopy.equals(built().sentCopy));
    assert.equal(read.entry.draftId, 'd1');
  });

  it('without Bcc stores no .bcc file and the Sent copy is the wire bytes', async () => {
    const outbox = new Outbox(dir);
    const entry = await outbox.add(fields(), built(false));
    assert.ok(!fs.existsSync(path.join(dir, `${entry.id}.bcc`)));
    assert.ok((await outbox.read(entry.id)).sentCopy.equals(wire));
  });

  it('lists oldest first, updates and removes entries, and announces each change', async () => {
    const outbox = new Outbox(dir);
    let changes = 0;
    outbox.onDidChange(() => changes++);
    const a = await outbox.add(fields({ subject: 'a' }), built());
    const b = await outbox.add(fields({ subject: 'b' }), built());
    assert.deepEqual((await outbox.list()).map((e) => e.subject), ['a', 'b']);
    const updated = await outbox.update(a.id, { state: 'failed', lastError: { code: 'Timeout', message: 'slow' } });
    assert.equal(updated.state, 'failed');
    assert.equal((await new Outbox(dir).read(a.id)).entry.lastError?.code, 'Timeout');
    const cleared = await outbox.update(a.id, { lastError: undefined });
    assert.ok(!('lastError' in cleared));
    await outbox.remove(a.id);
    assert.deepEqual((await outbox.list()).map((e) => e.id), [b.id]);
    assert.ok(!fs.readdirSync(dir).some((n) => n.startsWith(a.id)));
    assert.equal(changes, 5);
  });

  it('turns an entry left in "sending" (a crash mid-send) into "failed" with an explanation', async () => {
    const outbox = new Outbox(dir);
    const entry = await outbox.add(fields(), built());
    await outbox.update(entry.id, { state: 'sending', attempts: 1 });
    const [after] = await new Outbox(dir).list();
    assert.equal(after.state, 'failed');
    assert.equal(after.attempts, 1);
    assert.equal(after.lastError?.message, INTERRUPTED_MESSAGE);
  });

  it('after a write interrupted mid-add keeps the orphan bytes, removes temp files and lists nothing half-written', async () => {
    const id = 'lz0abc-0123456789ab';
    fs.writeFileSync(path.join(dir, `${id}.eml`), wire); // crashed before the .json was written
    fs.writeFileSync(path.join(dir, `.${id}.json.999.deadbeef.tmp`), '{"id":"lz0abc-0123'); // torn temp file
    const outbox = new Outbox(dir);
    assert.deepEqual(await outbox.list(), []);
    assert.deepEqual(await outbox.damaged(), []);
    assert.deepEqual(fs.readdirSync(dir), [`${id}.eml`]);
  });

  it('reports a corrupt entry as StorageFailed and never deletes it', async () => {
    const outbox = new Outbox(dir);
    const good = await outbox.add(fields(), built());
    const bad = await outbox.add(fields({ subject: 'bad' }), built());
    fs.writeFileSync(path.join(dir, `${bad.id}.json`), '{"id": "trunc');
    const other = await outbox.add(fields({ subject: 'no bytes' }), built());
    fs.rmSync(path.join(dir, `${other.id}.eml`));
    const fresh = new Outbox(dir);
    assert.deepEqual((await fresh.list()).map((e) => e.id), [good.id]);
    const damaged = await fresh.damaged();
    assert.deepEqual(damaged.map((d) => d.id).sort(), [bad.id, other.id].sort());
    assert.ok(damaged.every((d) => d.error.code === 'StorageFailed'));
    assert.equal((await rejection(fresh.read(bad.id))).code, 'StorageFailed');
    assert.equal((await rejection(fresh.read(other.id))).code, 'StorageFailed');
    assert.ok(fs.existsSync(path.join(dir, `${bad.id}.json`)));
    assert.ok(fs.existsSync(path.join(dir, `${bad.id}.eml`)));
  });

  it('refuses ids that could name other files', async () => {
    const outbox = new Outbox(dir);
    for (const id of ['../x', 'a/b', '', 'x.json']) {
      assert.equal((await rejection(outbox.read(id))).code, 'StorageFailed');
      assert.equal((await rejection(outbox.remove(id))).code, 'StorageFailed');
    }
  });

  it('serializes concurrent updates so none is lost', async () => {
    const outbox = new Outbox(dir);
    const e = await outbox.add(fields(), built());
    await Promise.all(Array.from({ length: 10 }, (_, i) => outbox.update(e.id, { attempts: i + 1 })));
    assert.equal((await outbox.read(e.id)).entry.attempts, 10);
  });
});
