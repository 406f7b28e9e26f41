import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../../src/protocol/errors';
import { ProtocolLog } from '../../src/protocol/log';
import { Pop3Cache, accountDirName } from '../../src/store/pop3/cache';
import { decodeEncodedWords, headerBlockLength, parseFirstAddress, parseHeaderFields } from '../../src/store/pop3/headers';
import { LOCK_STALE_MS } from '../../src/store/pop3/limits';
import { acquireMaildropLock } from '../../src/store/pop3/lock';
import { fileNameFor, newBaseName, parseMaildirName } from '../../src/store/pop3/maildir';

const CRLF = '\r\n';
const msg = (subject: string, date: string, extra = '', body = 'Hello.\r\n'): Buffer =>
  Buffer.from(`From: Bob <bob@example.test>${CRLF}Date: ${date}${CRLF}Subject: ${subject}${CRLF}Message-ID: <${subject.replace(/\W/g, '')}@x>${CRLF}${extra}${CRLF}${body}`, 'utf8');

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

describe('POP3 message headers', () => {
  it('decodes RFC 2047 B and Q words, joining adjacent words and dropping the space between them', () => {
    assert.equal(decodeEncodedWords('=?UTF-8?B?R3LDvMOfZQ==?= =?UTF-8?Q?_aus_K=C3=B6ln?='), 'Grüße aus Köln');
    assert.equal(decodeEncodedWords('Re: =?iso-8859-1?q?Caf=E9?= ok'), 'Re: Café ok');
    // a multi-byte character split across two encoded words survives
    const bytes = Buffer.from('日本', 'utf8');
    const split = `=?UTF-8?B?${bytes.subarray(0, 4).toString('base64')}?= =?UTF-8?B?${bytes.subarray(4).toString('base64')}?=`;
    assert.equal(decodeEncodedWords(split), '日本');
    assert.equal(decodeEncodedWords('=?x-unknown?Q?caf=E9?='), 'caf\u00e9');
    assert.equal(decodeEncodedWords('plain text'), 'plain text');
  });

  it('reads Subject, From, Date and Message-ID from a folded header block only', () => {
    const raw = Buffer.from(
      `Received: from a${CRLF}\tby b${CRLF}Subject: =?UTF-8?B?5pel5pys6Kqe?=${CRLF} =?UTF-8?Q?_ok?=${CRLF}` +
        `From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.test>${CRLF}Date: Mon, 1 Jan 2024 08:00:00 +0100 (CET)${CRLF}` +
        `Message-ID: <a@b>${CRLF}${CRLF}Subject: not a header${CRLF}`,
    );
    const h = parseHeaderFields(raw);
    assert.equal(h.subject, '日本語 ok');
    assert.deepEqual(h.from, { name: 'Jürgen', address: 'juergen@example.test' });
    assert.equal(h.date, '2024-01-01T07:00:00.000Z');
    assert.equal(h.messageId, '<a@b>');
  });

  it('finds the end of the header block without scanning the body', () => {
    const cases: Array<[string, number]> = [
      ['A: b\r\n\r\nbody\r\n', 8],
      ['A: b\n\nbody\n', 6],
      ['A: b\r\n c\r\n\r\n', 12],
      ['\r\nbody', 2],
      ['\nbody', 1],
      ['A: b\r\nno blank line', 19],
    ];
    for (const [text, expected] of cases) assert.equal(headerBlockLength(Buffer.from(text)), expected, JSON.stringify(text));
  });

  it('parses the address forms mail uses', () => {
    assert.deepEqual(parseFirstAddress('"Eve \\"The Auditor\\"" <eve@example.test>, x@y'), { name: 'Eve "The Auditor"', address: 'eve@example.test' });
    assert.deepEqual(parseFirstAddress('<noreply@example.test>'), { name: '', address: 'noreply@example.test' });
    assert.deepEqual(parseFirstAddress('carol@example.test (Carol Jones)'), { name: 'Carol Jones', address: 'carol@example.test' });
    assert.deepEqual(parseFirstAddress('dave@example.test'), { name: '', address: 'dave@example.test' });
    assert.deepEqual(parseFirstAddress('Undisclosed: a@b.test;'), { name: '', address: 'a@b.test' });
    assert.equal(parseFirstAddress(''), undefined);
  });

  it('keeps 8-bit header bytes: UTF-8 when valid, Latin-1 otherwise, and ignores a bad Date', () => {
    assert.equal(parseHeaderFields(Buffer.from(`Subject: Grüße${CRLF}${CRLF}`, 'utf8')).subject, 'Grüße');
    const latin1 = parseHeaderFields(Buffer.concat([Buffer.from('Subject: Caf'), Buffer.from([0xe9]), Buffer.from(`${CRLF}Date: yesterday${CRLF}${CRLF}`)]));
    assert.equal(latin1.subject, 'Café');
    assert.equal(latin1.date, undefined);
  });
});

describe('Maildir file names', () => {
  it('carry the UIDL (any bytes), the headers-only mark and Maildir flags in ASCII order', () => {
    const uidl = 'a:b/c,d é';
    const base = newBaseName(uidl, 12345, new Date(1_700_000_000_000));
    const name = fileNameFor(base, { seen: true, flagged: true, answered: true }, 'D');
    assert.ok(!name.includes('/'));
    assert.match(name, /:2,DFRS$/);
    const parsed = parseMaildirName(name);
    assert.ok(parsed);
    assert.equal(parsed.uidl, uidl);
    assert.equal(parsed.partial, true);
    assert.equal(parsed.serverSize, 12345);
    assert.equal(parsed.seconds, 1_700_000_000);
    assert.deepEqual(parsed.flags, { seen: true, flagged: true, answered: true });
    assert.equal(parsed.otherFlags, 'D');
    assert.equal(parseMaildirName('.hidden'), undefined);
  });

  it('make account ids safe as one path segment', () => {
    assert.equal(accountDirName('work'), 'work');
    assert.ok(!accountDirName('../x').includes('/'));
    assert.ok(!accountDirName('..').startsWith('.'));
    assert.notEqual(accountDirName('a/b'), accountDirName('a_b'));
  });
});

describe('Pop3Cache', () => {
  let root: string;
  const now = new Date('2024-03-01T10:00:00Z');
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-pop3cache-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const maildir = (id = 'acc'): string => path.join(root, id, 'Maildir');
  const curFiles = (id = 'acc'): string[] => fs.readdirSync(path.join(maildir(id), 'cur')).sort();

  it('stores exact bytes (8-bit, NUL, dot lines, bare CR) in cur/ and reads them back', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    const bytes = Buffer.concat([msg('Bytes', 'Mon, 1 Jan 2024 08:00:00 +0000'), Buffer.from([0, 0xff, 0xfe, 0x0d, 0x2e, 0x2e, 0x0d, 0x0a])]);
    const entry = await cache.store('UID1', bytes, { now });
    assert.equal(entry.size, bytes.length);
    assert.equal(entry.partial, false);
    assert.deepEqual(entry.flags, { seen: false, flagged: false, answered: false });
    assert.deepEqual(await cache.readSource('UID1'), bytes);
    const files = curFiles();
    assert.equal(files.length, 1);
    assert.deepEqual(fs.readFileSync(path.join(maildir(), 'cur', files[0])), bytes);
    assert.match(files[0], /:2,$/);
    assert.deepEqual(fs.readdirSync(path.join(maildir(), 'tmp')), []);
    await assert.rejects(cache.store('UID1', bytes, { now }), (e: unknown) => MailError.is(e, 'StorageFailed'));
  });

  it('keeps read/flagged/answered state across reopen, in the index and in the Maildir name', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    await cache.store('u1', msg('One', 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    await cache.store('u2', msg('Two', 'Tue, 2 Jan 2024 08:00:00 +0000'), { now });
    assert.equal(cache.unseenCount(), 2);
    await cache.flush();
    await cache.setFlags('u1', { seen: true });
    await cache.setFlags('u2', { flagged: true, answered: true });
    assert.equal(cache.unseenCount(), 1);
    const names = curFiles();
    assert.ok(names.some((n) => n.endsWith(':2,S')), names.join(' '));
    assert.ok(names.some((n) => n.endsWith(':2,FR')), names.join(' '));

    const again = await Pop3Cache.open(root, 'acc');
    assert.deepEqual(again.get('u1')?.flags, { seen: true, flagged: false, answered: false });
    assert.deepEqual(again.get('u2')?.flags, { seen: false, flagged: true, answered: true });
    assert.equal(again.unseenCount(), 1);
    assert.deepEqual(again.warnings, []);
    await assert.rejects(again.setFlags('nope', { seen: true }), (e: unknown) => MailError.is(e, 'MessageNotFound'));
  });

  it('lists newest first by Date header, falling back to the download time, and pages without gaps', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    await cache.store('old', msg('Old', 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    await cache.store('nodate', Buffer.from(`Subject: No date${CRLF}${CRLF}x`), { now: new Date('2024-02-01T00:00:00Z') });
    await cache.store('new', msg('New', 'Fri, 1 Mar 2024 08:00:00 +0000'), { now });
    assert.deepEqual(cache.list().map((m) => m.uidl), ['new', 'nodate', 'old']);
    assert.deepEqual(cache.page(1, 5).map((m) => m.uidl), ['nodate', 'old']);
    assert.deepEqual(cache.page(0, 1).map((m) => m.uidl), ['new']);
    const entry = cache.get('new');
    assert.equal(entry?.subject, 'New');
    assert.deepEqual(entry?.from, { name: 'Bob', address: 'bob@example.test' });
    assert.equal(entry?.messageId, '<New@x>');
  });

  it('re-indexes a message file that has no index entry from its bytes and name', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    const bytes = msg('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=', 'Mon, 1 Jan 2024 08:00:00 +0000');
    await cache.store('lost', bytes, { now, flags: { seen: true, flagged: false, answered: false } });
    // crash before the index was written: the index does not know the message
    const indexFile = path.join(root, 'acc', 'pop3-index.json');
    assert.deepEqual((JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { messages: unknown[] }).messages, []);
    const again = await Pop3Cache.open(root, 'acc');
    const entry = again.get('lost');
    assert.ok(entry);
    assert.equal(entry.subject, 'Grüße');
    assert.equal(entry.size, bytes.length);
    assert.equal(entry.receivedAt, now.toISOString());
    assert.deepEqual(entry.flags, { seen: true, flagged: false, answered: false });
    assert.deepEqual(await again.readSource('lost'), bytes);
    assert.equal((JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { messages: unknown[] }).messages.length, 1, 'index repaired');
  });

  it('drops an index entry whose file is gone, with a warning, and keeps the others', async () => {
    const log = recordingLog();
    const cache = await Pop3Cache.open(root, 'acc');
    await cache.store('keep', msg('Keep', 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    const gone = await cache.store('gone', msg('Gone', 'Mon, 1 Jan 2024 09:00:00 +0000'), { now });
    await cache.flush();
    fs.rmSync(path.join(maildir(), gone.file));
    const again = await Pop3Cache.open(root, 'acc', { log });
    assert.equal(again.get('gone'), undefined);
    assert.ok(again.get('keep'));
    assert.equal(again.warnings.length, 1);
    assert.match(again.warnings[0], /"Gone" had no file/);
    assert.ok(log.lines.some((l) => l.includes('"Gone" had no file')));
    const third = await Pop3Cache.open(root, 'acc');
    assert.deepEqual(third.warnings, [], 'the repaired index is saved');
  });

  it('picks up flags another Maildir tool changed by renaming the file', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    const e = await cache.store('u', msg('U', 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    await cache.flush();
    const name = path.basename(e.file);
    fs.renameSync(path.join(maildir(), 'cur', name), path.join(maildir(), 'cur', name.replace(/:2,.*$/, ':2,FS')));
    const again = await Pop3Cache.open(root, 'acc');
    assert.deepEqual(again.get('u')?.flags, { seen: true, flagged: true, answered: false });
    assert.deepEqual(again.warnings, []);
  });

  it('deletes leftovers of dead processes in tmp/, keeps a live delivery, adopts new/ files', async () => {
    await Pop3Cache.open(root, 'acc');
    const tmp = path.join(maildir(), 'tmp');
    const dead = `1700000000.M1P999999999R00.host,U=75`;
    const live = `1700000000.M1P${process.pid}R00.host,U=76`;
    fs.writeFileSync(path.join(tmp, dead), 'half a mess');
    fs.writeFileSync(path.join(tmp, live), 'being written');
    fs.writeFileSync(path.join(maildir(), 'new', '1700000000.other.host'), msg('Other tool', 'Mon, 1 Jan 2024 08:00:00 +0000'));
    const cache = await Pop3Cache.open(root, 'acc');
    assert.deepEqual(fs.readdirSync(tmp), [live]);
    assert.deepEqual(fs.readdirSync(path.join(maildir(), 'new')), []);
    const adopted = cache.list();
    assert.equal(adopted.length, 1);
    assert.equal(adopted[0].subject, 'Other tool');
    assert.match(adopted[0].uidl, /^local:/);
  });

  it('rebuilds a corrupt index from the Maildir and says so', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    await cache.store('a', msg('A', 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    await cache.setFlags('a', { seen: true });
    fs.writeFileSync(path.join(root, 'acc', 'pop3-index.json'), '{"version":1,"messa');
    const again = await Pop3Cache.open(root, 'acc');
    assert.equal(again.get('a')?.subject, 'A');
    assert.equal(again.get('a')?.flags.seen, true);
    assert.match(again.warnings.join(' '), /corrupt/);
  });

  it('removes only the local copy and remembers the UIDL so it is not downloaded again', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    await cache.store('r', msg('R', 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    await cache.remove('r');
    assert.equal(cache.get('r'), undefined);
    assert.deepEqual(curFiles(), []);
    const again = await Pop3Cache.open(root, 'acc');
    assert.deepEqual(again.getRemoved('r'), { uidl: 'r', receivedAt: now.toISOString() });
    again.markDeletedFromServer(['r']);
    await again.flush();
    assert.equal((await Pop3Cache.open(root, 'acc')).getRemoved('r'), undefined);
  });

  it('replaces a headers-only copy by the whole message, keeping flags; a crash mid-way keeps the full one', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    const full = msg('Big', 'Mon, 1 Jan 2024 08:00:00 +0000', '', 'x'.repeat(5000) + CRLF);
    const head = full.subarray(0, full.indexOf('\r\n\r\n') + 4);
    const partial = await cache.store('big', head, { now, partialOfSize: full.length });
    assert.equal(partial.partial, true);
    assert.equal(partial.size, full.length);
    await cache.setFlags('big', { flagged: true });
    const replaced = await cache.replaceWithFull('big', full, now);
    assert.equal(replaced.partial, false);
    assert.equal(replaced.flags.flagged, true);
    assert.deepEqual(await cache.readSource('big'), full);
    assert.equal(curFiles().length, 1);

    // simulate the crash window: both the partial and the full file exist, index says partial
    const other = await Pop3Cache.open(root, 'other');
    await other.store('big', head, { now, partialOfSize: full.length });
    await other.flush();
    const otherDir = path.join(maildir('other'), 'cur');
    const base = newBaseName('big', undefined, now);
    fs.writeFileSync(path.join(otherDir, fileNameFor(base, { seen: false, flagged: false, answered: false })), full);
    const reopened = await Pop3Cache.open(root, 'other');
    assert.equal(reopened.get('big')?.partial, false);
    assert.deepEqual(await reopened.readSource('big'), full);
    assert.equal(curFiles('other').length, 1, 'the partial file was removed');
  });

  it('records small changes in a journal, replays it on open, and folds it into the snapshot when it grows', async () => {
    const cache = await Pop3Cache.open(root, 'acc');
    for (let i = 0; i < 40; i++) await cache.store(`j${i}`, msg(`J${i}`, 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    await cache.flush();
    const dir = path.join(root, 'acc');
    const snapshot = path.join(dir, 'pop3-index.json');
    const before = fs.readFileSync(snapshot, 'utf8');
    const journals = fs.readdirSync(dir).filter((f) => f.endsWith('.journal'));
    assert.equal(journals.length, 1);
    const lines = (): number => fs.readFileSync(path.join(dir, journals[0]), 'utf8').trim().split('\n').length;
    assert.equal(lines(), 40, 'one line per stored message');
    await cache.setFlags('j1', { seen: true });
    await cache.remove('j2');
    assert.equal(fs.readFileSync(snapshot, 'utf8'), before, 'the snapshot is not rewritten for small changes');
    assert.equal(lines(), 43, 'put j1, del j2, tomb j2');

    // a crash mid-append leaves a torn last line: ignored, and the Maildir names still say it all
    fs.appendFileSync(path.join(dir, journals[0]), '{"put":{"uidl":"j3","fla');
    const again = await Pop3Cache.open(root, 'acc');
    assert.deepEqual(again.warnings, []);
    assert.equal(again.get('j1')?.flags.seen, true);
    assert.equal(again.get('j2'), undefined);
    assert.ok(again.getRemoved('j2'));
    assert.equal(again.size, 39);

    for (let i = 3; i < 40; i++) await again.setFlags(`j${i}`, { flagged: true });
    for (let round = 0; round < 6; round++) for (let i = 3; i < 40; i++) await again.setFlags(`j${i}`, { seen: round % 2 === 0 });
    const after = fs.readdirSync(dir).filter((f) => f.endsWith('.journal'));
    assert.notDeepEqual(after, journals, 'the journal was folded into a new snapshot generation');
    assert.notEqual(fs.readFileSync(snapshot, 'utf8'), before);
    const third = await Pop3Cache.open(root, 'acc');
    assert.equal(third.list().filter((m) => m.flags.flagged).length, 37);
    assert.deepEqual(third.list().map((m) => m.flags), again.list().map((m) => m.flags));
  });

  it('reload() sees another instance\'s downloads and is a no-op when nothing changed', async () => {
    const a = await Pop3Cache.open(root, 'acc');
    const b = await Pop3Cache.open(root, 'acc');
    await a.store('x', msg('X', 'Mon, 1 Jan 2024 08:00:00 +0000'), { now });
    await a.flush();
    assert.equal(b.has('x'), false);
    await b.reload();
    assert.equal(b.has('x'), true);
    const before = b.list();
    await b.reload();
    assert.deepEqual(b.list(), before);
  });
});

describe('maildrop lock', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-pop3lock-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Another process (another VS Code window) that takes the lock and holds it until told to go. */
  const holder = async (): Promise<ChildProcess> => {
    const lockModule = path.resolve(__dirname, '../../src/store/pop3/lock.js');
    const script = `
      const { acquireMaildropLock } = require(${JSON.stringify(lockModule)});
      acquireMaildropLock({ lockDir: ${JSON.stringify(dir)}, key: 'k', label: 'x', waitMs: 0 }).then(async (lock) => {
        process.stdout.write('locked\\n');
        process.stdin.once('data', async () => { await lock.release(); process.stdout.write('released\\n'); process.exit(0); });
      }, (e) => { process.stdout.write('failed ' + e.code + '\\n'); process.exit(1); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    await waitForLine(child, 'locked');
    return child;
  };

  it('refuses a second holder in another process with MailboxInUse naming the holder', async () => {
    const child = await holder();
    await assert.rejects(acquireMaildropLock({ lockDir: dir, key: 'k', label: 'Work mail', waitMs: 150 }), (e: unknown) => {
      assert.ok(MailError.is(e, 'MailboxInUse'));
      assert.match(e.message, /Work mail is being checked by another Mailroom window \(process \d+\)/);
      return true;
    });
    child.stdin?.write('go\n');
    await waitForLine(child, 'released');
  });

  it('waits briefly and gets the lock when the other process releases it', async () => {
    const child = await holder();
    const waiting = acquireMaildropLock({ lockDir: dir, key: 'k', label: 'x', waitMs: 5000 });
    setTimeout(() => child.stdin?.write('go\n'), 200);
    const lock = await waiting;
    await lock.release();
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('takes over the lock of a process that was killed', async () => {
    const child = await holder();
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(fs.readdirSync(dir).length, 1, 'the dead process left its lock');
    const lock = await acquireMaildropLock({ lockDir: dir, key: 'k', label: 'x', waitMs: 0 });
    const content = JSON.parse(fs.readFileSync(lock.file, 'utf8')) as { pid: number };
    assert.equal(content.pid, process.pid);
    await lock.release();
  });

  it('treats a lock not refreshed for too long as stale, and two holders in one process as in use', async () => {
    const first = await acquireMaildropLock({ lockDir: dir, key: 'k', label: 'x', waitMs: 0 });
    await assert.rejects(acquireMaildropLock({ lockDir: dir, key: 'k', label: 'x', waitMs: 0 }), (e: unknown) => MailError.is(e, 'MailboxInUse'));
    const later = Date.now() + LOCK_STALE_MS + 1000;
    const second = await acquireMaildropLock({ lockDir: dir, key: 'k', label: 'x', waitMs: 0, now: () => later });
    await first.release(); // not ours any more: must not remove the new holder's lock
    assert.ok(fs.existsSync(second.file));
    await second.release();
    assert.equal(fs.existsSync(second.file), false);
  });
});

function waitForLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child did not print "${line}" (got ${out})`)), 5000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) {
        clearTimeout(timer);
        child.stdout?.removeListener('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      if (!out.split('\n').includes(line)) reject(new Error(`child exited before "${line}" (got ${out})`));
    });
  });
}
