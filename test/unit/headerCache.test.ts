import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CachedEnvelope } from '../../src/protocol/imap/cacheContract';
import { decodeMimeWords, parseInternalDate, rowToEnvelope, toFetchRow } from '../../src/protocol/imap/sync/envelope';
import { parseFetch, responseEnd } from '../../src/protocol/imap/sync/fetchParser';
import { MailError } from '../../src/protocol/errors';
import type { ProtocolLog } from '../../src/protocol/log';
import { readJsonOrUndefined, writeFileAtomic } from '../../src/store/atomicFile';
import { HeaderCache } from '../../src/store/headerCache';
import { FORMAT_VERSION } from '../../src/store/headerCache/snapshot';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

function envelope(uid: number, extra: Partial<CachedEnvelope> = {}): CachedEnvelope {
  return {
    uid,
    flags: uid % 2 ? ['\\Seen'] : [],
    size: 100 + uid,
    subject: `Subject ${uid}`,
    date: new Date(Date.UTC(2024, 0, 1) + uid * 1000).toISOString(),
    from: { name: 'Ann', address: 'ann@example.test' },
    to: [{ name: '', address: 'me@example.test' }],
    messageId: `m${uid}@example.test`,
    inReplyTo: `p${uid}@example.test`,
    references: [`r${uid}@example.test`, `p${uid}@example.test`],
    modseq: String(uid * 10),
    ...extra,
  };
}

describe('atomic file writes', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-atomic-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('replaces the file whole and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'sub', 'a.json');
    await writeFileAtomic(file, '{"n":1}');
    await writeFileAtomic(file, Buffer.from('{"n":2}'));
    assert.deepEqual(await readJsonOrUndefined(file), { n: 2 });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['a.json']);
  });

  it('reports a missing file as undefined and a corrupt one as StorageFailed', async () => {
    assert.equal(await readJsonOrUndefined(path.join(dir, 'none.json')), undefined);
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"n":');
    await assert.rejects(readJsonOrUndefined(path.join(dir, 'bad.json')), (e: unknown) => MailError.is(e, 'StorageFailed'));
  });

  it('fails with StorageFailed and keeps the old file when the target cannot be written', async () => {
    const file = path.join(dir, 'keep.json');
    fs.writeFileSync(file, 'old');
    fs.mkdirSync(path.join(dir, 'blocker.json'));
    await assert.rejects(writeFileAtomic(path.join(dir, 'blocker.json'), 'x'), (e: unknown) => MailError.is(e, 'StorageFailed'));
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['blocker.json', 'keep.json']);
  });
});

describe('HeaderCache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-headers-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps envelopes in UID order, pages newest first and counts unseen', async () => {
    const cache = await new HeaderCache({ dir, log: recordingLog() }).folder('acc', 'INBOX');
    cache.upsert([envelope(5), envelope(1), envelope(3)]);
    cache.upsert([envelope(2), envelope(9)]);
    assert.deepEqual([...cache.uids()], [1, 2, 3, 5, 9]);
    assert.deepEqual(cache.page(0, 2).map((e) => e.uid), [9, 5]);
    assert.deepEqual(cache.page(3, 10).map((e) => e.uid), [2, 1]);
    assert.equal(cache.unseenCount(), 1); // only uid 2 is even
    assert.deepEqual(cache.get(3), envelope(3));
  });

  it('fills in below rows already cached batch by batch, every column moving with its UID', async () => {
    const cache = await new HeaderCache({ dir, log: recordingLog() }).folder('acc', 'INBOX');
    const top = [96, 97, 98, 99, 100];
    cache.upsert(top.map((u) => envelope(u)));
    for (let from = 1; from <= 91; from += 10) {
      cache.upsert(Array.from({ length: 10 }, (_, k) => envelope(from + k, { subject: `below ${from + k}` })).filter((e) => e.uid < 96 || e.uid === 100));
      assert.deepEqual(cache.page(0, 5).map((e) => e.uid), [100, 99, 98, 97, 96], `the newest rows stay on top after the batch from ${from}`);
    }
    assert.deepEqual([...cache.uids()], Array.from({ length: 100 }, (_, i) => i + 1));
    for (const u of [1, 50, 95]) assert.deepEqual(cache.get(u), envelope(u, { subject: `below ${u}` }));
    assert.deepEqual(cache.get(100), envelope(100, { subject: 'below 100' }), 'a row fetched again is replaced in place');
    assert.deepEqual(cache.get(97), envelope(97));
    cache.upsert([envelope(200), envelope(150), envelope(120)]);
    cache.upsert([envelope(110), envelope(130)]); // two gaps: the general merge
    assert.deepEqual([...cache.uids()].slice(-6), [100, 110, 120, 130, 150, 200]);
    assert.deepEqual(cache.get(130), envelope(130));
  });

  it('updates flags and modseq in place, replaces on upsert and removes UIDs', async () => {
    const cache = await new HeaderCache({ dir, log: recordingLog() }).folder('acc', 'INBOX');
    cache.upsert([1, 2, 3, 4].map((u) => envelope(u)));
    cache.setFlags(2, ['\\Seen', '$Forwarded'], '18446744073709551000');
    assert.deepEqual(cache.get(2)?.flags, ['\\Seen', '$Forwarded']);
    assert.equal(cache.get(2)?.modseq, '18446744073709551000');
    cache.upsert([envelope(3, { subject: 'changed' })]);
    assert.equal(cache.get(3)?.subject, 'changed');
    cache.remove([1, 4, 77]);
    assert.deepEqual([...cache.uids()], [2, 3]);
    assert.equal(cache.count(), 2);
    cache.reset({ uidValidity: '9' });
    assert.equal(cache.count(), 0);
    assert.deepEqual(cache.state(), { uidValidity: '9' });
  });

  it('survives a reload from disk with state as strings', async () => {
    const store = new HeaderCache({ dir, log: recordingLog() });
    const cache = await store.folder('acc', 'Überweisungen/日本語');
    cache.upsert([1, 2, 3].map((u) => envelope(u)));
    cache.setState({ uidValidity: '4294967295', highestModseq: '9007199254740993', uidNext: 4 });
    await store.flushAll();

    const again = await new HeaderCache({ dir, log: recordingLog() }).folder('acc', 'Überweisungen/日本語');
    assert.deepEqual(again.state(), { uidValidity: '4294967295', highestModseq: '9007199254740993', uidNext: 4 });
    assert.deepEqual(again.page(0, 10), [3, 2, 1].map((u) => envelope(u)));
    assert.deepEqual(await new HeaderCache({ dir, log: recordingLog() }).knownFolders('acc'), ['Überweisungen/日本語']);
  });

  for (const [what, damage] of [
    ['truncated JSON', (text: string) => text.slice(0, text.length / 2)],
    ['an unknown format version', (text: string) => text.replace(`"v":${FORMAT_VERSION}`, '"v":99')],
    ['columns of different lengths', (text: string) => text.replace('"subject":["Subject 1",', '"subject":[')],
    ['a flag index out of range', (text: string) => text.replace(/"flags":\[\d/, '"flags":[42')],
  ] as const) {
    it(`drops a cache file with ${what} and logs it`, async () => {
      const store = new HeaderCache({ dir, log: recordingLog() });
      const cache = await store.folder('acc', 'INBOX');
      cache.upsert([1, 2].map((u) => envelope(u)));
      cache.setState({ uidValidity: '1' });
      await cache.flush();
      const [file] = fs.readdirSync(fs.readdirSync(dir).map((d) => path.join(dir, d))[0]).filter((f) => f.endsWith('.json') && f !== 'index.json');
      const full = path.join(fs.readdirSync(dir).map((d) => path.join(dir, d))[0], file);
      fs.writeFileSync(full, damage(fs.readFileSync(full, 'utf8')));

      const log = recordingLog();
      const reloaded = await new HeaderCache({ dir, log }).folder('acc', 'INBOX');
      assert.equal(reloaded.state(), undefined);
      assert.equal(reloaded.count(), 0);
      assert.ok(log.lines.some((l) => l.includes('header cache for "INBOX" dropped')), log.lines.join('\n'));
      assert.equal(fs.existsSync(full), false);
    });
  }

  it('renames a folder with its children and drops folders and accounts', async () => {
    const store = new HeaderCache({ dir, log: recordingLog() });
    for (const p of ['Projects', 'Projects/Mailroom', 'Other']) {
      const c = await store.folder('acc', p);
      c.upsert([envelope(1, { subject: p })]);
      c.setState({ uidValidity: '1' });
    }
    await store.flushAll();
    await store.renameFolder('acc', 'Projects', 'Work', '/');
    assert.deepEqual(await store.knownFolders('acc'), ['Other', 'Work', 'Work/Mailroom']);
    const fresh = new HeaderCache({ dir, log: recordingLog() });
    assert.equal((await fresh.folder('acc', 'Work/Mailroom')).get(1)?.subject, 'Projects/Mailroom');
    assert.equal((await fresh.folder('acc', 'Projects')).count(), 0);

    await store.dropFolder('acc', 'Other');
    assert.deepEqual(await new HeaderCache({ dir, log: recordingLog() }).knownFolders('acc'), ['Work', 'Work/Mailroom']);
    await store.dropAccount('acc');
    assert.deepEqual(await new HeaderCache({ dir, log: recordingLog() }).knownFolders('acc'), []);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

describe('lean FETCH parser', () => {
  const row = (text: string): Buffer => Buffer.from(text, 'utf8');

  it('parses an ENVELOPE row with quoted strings, escapes, a literal and NIL', () => {
    const subject = 'Grüße {1}';
    const subjectBytes = Buffer.byteLength(subject);
    const buf = row(
      `* 12 FETCH (UID 4012 FLAGS (\\Seen $Forwarded \\Recent) RFC822.SIZE 2048 INTERNALDATE "05-Mar-2024 10:00:00 +0100" MODSEQ (99) ` +
        `ENVELOPE ("Tue, 05 Mar 2024 09:58:00 +0100" {${subjectBytes}}\r\n${subject} (("=?UTF-8?Q?J=C3=B6rg?= \\"JJ\\"" NIL "joerg" "example.test")) NIL NIL ` +
        `((NIL NIL "team" NIL)(NIL NIL "a" "example.test")(NIL NIL NIL NIL)("B" NIL "b" "example.test")) NIL NIL NIL "<id-1@example.test>"))\r\n* 13 EXISTS\r\n`,
    );
    const end = responseEnd(buf, 0);
    assert.ok(end > 0);
    const fetch = parseFetch(buf, 0, end);
    assert.ok(fetch);
    const env = rowToEnvelope(toFetchRow(fetch.seq, fetch.items));
    assert.deepEqual(env, {
      uid: 4012,
      flags: ['\\Seen', '$Forwarded'],
      size: 2048,
      subject,
      modseq: '99',
      date: '2024-03-05T08:58:00.000Z',
      from: { name: 'Jörg "JJ"', address: 'joerg@example.test' },
      to: [
        { name: '', address: 'a@example.test' },
        { name: 'B', address: 'b@example.test' },
      ],
      messageId: 'id-1@example.test',
    });
    assert.equal(buf.toString('latin1', end), '* 13 EXISTS\r\n');
    assert.equal(parseFetch(buf, end, buf.length), undefined);
  });

  it('waits for the rest of a response split inside a literal or a line', () => {
    const full = row('* 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)] {9}\r\nSubject:x)\r\n');
    for (let cut = 1; cut < full.length; cut++) assert.equal(responseEnd(full.subarray(0, cut), 0), -1, `cut at ${cut}`);
    assert.equal(responseEnd(full, 0), full.length);
    const fetch = parseFetch(full, 0, full.length);
    assert.equal(fetch?.items.get('BODY[HEADER.FIELDS (SUBJECT)]'), 'Subject:x');
  });

  it('falls back to INTERNALDATE and refuses malformed rows with ProtocolError', () => {
    const buf = row('* 3 FETCH (UID 3 INTERNALDATE "01-Jan-2020 00:01:00 +0000" ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n');
    const fetch = parseFetch(buf, 0, buf.length);
    assert.ok(fetch);
    assert.equal(rowToEnvelope(toFetchRow(fetch.seq, fetch.items))?.date, '2020-01-01T00:01:00.000Z');
    assert.equal(parseInternalDate('garbage'), undefined);
    const bad = row('* 4 FETCH (UID 4 ENVELOPE ("unterminated)\r\n');
    assert.throws(() => parseFetch(bad, 0, bad.length), (e: unknown) => MailError.is(e, 'ProtocolError'));
  });

  it('steps over Sender, Reply-To, Cc and Bcc whatever they hold, keeping the other fields and the next item', () => {
    const buf = row(
      '* 5 FETCH (UID 5 ENVELOPE ("Wed, 01 Jan 2020 00:01:00 +0000" "S" (("F" NIL "f" "x.test")) ' +
        '(({3}\r\nA)B NIL "s\\")" "x.test")) ((("nested" (deeper)))) ((NIL NIL "to" "x.test")) ' +
        '(("C" NIL "c" "x.test")("D" NIL "d" "x.test")) NIL "<parent@x.test>" "<id-5@x.test>") FLAGS (\\Seen))\r\n',
    );
    const fetch = parseFetch(buf, 0, buf.length);
    assert.ok(fetch);
    const envelope = fetch.items.get('ENVELOPE');
    assert.ok(Array.isArray(envelope));
    assert.deepEqual([envelope[3], envelope[4], envelope[6], envelope[7]], [null, null, null, null], 'skipped fields are NIL');
    assert.equal(envelope[8], '<parent@x.test>', 'In-Reply-To is kept');
    assert.deepEqual(fetch.items.get('FLAGS'), ['\\Seen'], 'the item after ENVELOPE is read');
    assert.deepEqual(rowToEnvelope(toFetchRow(fetch.seq, fetch.items)), {
      uid: 5,
      flags: ['\\Seen'],
      size: 0,
      subject: 'S',
      date: '2020-01-01T00:01:00.000Z',
      from: { name: 'F', address: 'f@x.test' },
      to: [{ name: '', address: 'to@x.test' }],
      messageId: 'id-5@x.test',
      inReplyTo: 'parent@x.test',
    });
    for (const broken of ['(("a" NIL "b" "c"', '"open', '((((((((((((((((((((((((((((((((((NIL))))))))))))))))))))))))))))))))))']) {
      const bad = row(`* 6 FETCH (UID 6 ENVELOPE (NIL "S" NIL ${broken}))\r\n`);
      assert.throws(() => parseFetch(bad, 0, bad.length), (e: unknown) => MailError.is(e, 'ProtocolError') || MailError.is(e, 'LimitExceeded'), broken);
    }
    const odd = row('* 7 FETCH (UID 7 FLAGS)\r\n');
    assert.throws(() => parseFetch(odd, 0, odd.length), (e: unknown) => MailError.is(e, 'ProtocolError'));
    const unnamed = row('* 8 FETCH ("UID" 8)\r\n');
    assert.throws(() => parseFetch(unnamed, 0, unnamed.length), (e: unknown) => MailError.is(e, 'ProtocolError'));
  });

  it('refuses a literal larger than the limit with LimitExceeded', () => {
    const buf = row('* 1 FETCH (UID 1 BODY[] {99999999999}\r\n');
    assert.throws(() => responseEnd(buf, 0), (e: unknown) => MailError.is(e, 'LimitExceeded'));
  });

  it('decodes RFC 2047 words, joining adjacent ones and tolerating unknown charsets', () => {
    assert.equal(decodeMimeWords('=?ISO-8859-1?Q?caf=E9?= =?UTF-8?B?w6k=?= done'), 'caféé done');
    assert.equal(decodeMimeWords('=?x-unknown?Q?a=E9?='), 'aé');
    assert.equal(decodeMimeWords('plain =? text'), 'plain =? text');
  });
});
