import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { messageIds, rowToEnvelope, threadHeaders, toFetchRow } from '../../src/protocol/imap/sync/envelope';
import { parseFetch, type ImapValue } from '../../src/protocol/imap/sync/fetchParser';
import type { ProtocolLog } from '../../src/protocol/log';
import { HeaderCache } from '../../src/store/headerCache';
import { FORMAT_VERSION } from '../../src/store/headerCache/snapshot';

const log: ProtocolLog = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('threading headers in the header cache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-threadcache-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads In-Reply-To from ENVELOPE and References from the header fields literal', () => {
    const refs = 'References: <a@x>\r\n <b@x> (a comment)\r\n\t<c@x>\r\n\r\n';
    const buf = Buffer.from(
      `* 1 FETCH (UID 9 FLAGS () RFC822.SIZE 10 ENVELOPE ("Mon, 1 Jan 2024 10:00:00 +0000" "Re: x" NIL NIL NIL NIL NIL NIL "<c@x>" "<d@x>") BODY[HEADER.FIELDS (REFERENCES)] {${Buffer.byteLength(refs)}}\r\n${refs})\r\n`,
      'latin1',
    );
    const fetch = parseFetch(buf, 0, buf.length);
    assert.ok(fetch);
    const envelope = rowToEnvelope(toFetchRow(fetch.seq, fetch.items));
    assert.equal(envelope?.messageId, 'd@x');
    assert.equal(envelope?.inReplyTo, 'c@x');
    assert.deepEqual(envelope?.references, ['a@x', 'b@x', 'c@x']);
    // imapflow's own reader names the item only "BODY".
    const slow = rowToEnvelope(toFetchRow(1, new Map<string, ImapValue>([['UID', '9'], ['ENVELOPE', [null, 'x', null, null, null, null, null, null, null, '<e@x>']], ['BODY', 'References: <a@x>\r\n\r\n']])));
    assert.deepEqual(slow?.references, ['a@x']);
    assert.equal(slow?.inReplyTo, undefined);
  });

  it('keeps only the newest References of a huge header and ignores junk between ids', () => {
    const many = Array.from({ length: 500 }, (_, i) => `<r${i}@x>`).join(' ');
    const parsed = threadHeaders(`In-Reply-To: junk <p@x> more\r\nReferences: ${many}\r\n`);
    assert.equal(parsed.inReplyTo, 'p@x');
    assert.equal(parsed.references.length, 100);
    assert.equal(parsed.references[99], 'r499@x');
    assert.deepEqual(messageIds('no ids here <> <a b@x>', 5), []);
  });

  it('stores In-Reply-To and References and gives them to threading without building envelopes', async () => {
    const cache = await new HeaderCache({ dir, log }).folder('acc', 'INBOX');
    cache.upsert([
      { uid: 1, flags: [], size: 1, subject: 'a', messageId: 'a@x', date: '2024-01-01T00:00:00.000Z' },
      { uid: 2, flags: [], size: 1, subject: 'Re: a', messageId: 'b@x', inReplyTo: 'a@x', references: ['a@x'] },
    ]);
    cache.setState({ uidValidity: '1' });
    await cache.flush();
    const again = await new HeaderCache({ dir, log }).folder('acc', 'INBOX');
    assert.deepEqual(again.get(2)?.references, ['a@x']);
    const fields = again.threadFields();
    assert.deepEqual(fields[0], { uid: 1, messageId: 'a@x', references: [], date: Date.UTC(2024, 0, 1), subject: 'a' });
    assert.deepEqual({ ...fields[1], date: 0 }, { uid: 2, messageId: 'b@x', inReplyTo: 'a@x', references: ['a@x'], date: 0, subject: 'Re: a' });
    assert.ok(Number.isNaN(fields[1].date));
    assert.equal(again.needsThreadHeaders(), false);
  });

  it('upgrades a version 1 cache in place: every envelope kept, the thread headers marked missing until fetched', async () => {
    const store = new HeaderCache({ dir, log });
    const cache = await store.folder('acc', 'INBOX');
    cache.upsert([1, 2, 3].map((uid) => ({ uid, flags: ['\\Seen'], size: uid, subject: `s${uid}`, messageId: `m${uid}@x` })));
    cache.setState({ uidValidity: '7', highestModseq: '99' });
    await cache.flush();
    // Rewrite the file as Mailroom 0.x wrote it: version 1, no thread columns.
    const accountDir = path.join(dir, fs.readdirSync(dir)[0]);
    const file = path.join(accountDir, fs.readdirSync(accountDir).find((f) => f.endsWith('.json') && f !== 'index.json') as string);
    const current = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(current.v, FORMAT_VERSION);
    const v1: Record<string, unknown> = { ...current, v: 1 };
    delete v1.journal;
    delete v1.inReplyTo;
    delete v1.references;
    fs.writeFileSync(file, JSON.stringify(v1));

    const upgraded = await new HeaderCache({ dir, log }).folder('acc', 'INBOX');
    assert.equal(upgraded.count(), 3, 'nothing dropped');
    assert.deepEqual(upgraded.state(), { uidValidity: '7', highestModseq: '99' });
    assert.equal(upgraded.get(2)?.subject, 's2');
    assert.equal(upgraded.needsThreadHeaders(), true);
    await upgraded.flush();
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(written.v, FORMAT_VERSION);
    assert.equal(written.threadHeadersMissing, true, 'still missing until a sync fetched them');

    const reloaded = await new HeaderCache({ dir, log }).folder('acc', 'INBOX');
    assert.equal(reloaded.needsThreadHeaders(), true);
    reloaded.setThreadHeaders(2, 'm1@x', ['m1@x']);
    reloaded.threadHeadersComplete();
    await reloaded.flush();
    const done = await new HeaderCache({ dir, log }).folder('acc', 'INBOX');
    assert.equal(done.needsThreadHeaders(), false);
    assert.deepEqual(done.get(2)?.references, ['m1@x']);
    assert.equal(done.get(2)?.inReplyTo, 'm1@x');
  });
});
