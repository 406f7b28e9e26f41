import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CachedEnvelope } from '../../src/protocol/imap/cacheContract';
import type { ProtocolLog } from '../../src/protocol/log';
import { MailQuery, parseMailQuery } from '../../src/protocol/searchQuery';
import { BodyCache } from '../../src/store/bodyCache';
import { HeaderCache } from '../../src/store/headerCache';
import type { CachedPop3Message } from '../../src/store/pop3/types';
import { cacheSources, parseBody } from '../../src/store/search/cacheSources';
import { indexFileOf } from '../../src/store/search/indexFile';
import { LocalSearchIndex, SearchHit, SearchSources } from '../../src/store/search/localIndex';
import { tokenize } from '../../src/store/search/textIndex';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

function q(text: string): MailQuery {
  const parsed = parseMailQuery(text, { complete: false });
  assert.equal(typeof parsed, 'object', `query ${text} parses`);
  return parsed as MailQuery;
}

function env(uid: number, subject: string, from: string, extra: Partial<CachedEnvelope> = {}): CachedEnvelope {
  const [name, address] = from.split('|');
  return { uid, flags: ['\\Seen'], size: 100, subject, date: new Date(Date.UTC(2024, 0, uid)).toISOString(), from: { name, address }, to: [{ name: 'Me', address: 'me@example.test' }], ...extra };
}

function mime(subject: string, body: string, attachment = false): Buffer {
  const head = `From: Ann <ann@example.test>\r\nTo: Team <team@example.test>\r\nCc: Carol <carol@example.test>\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n`;
  if (!attachment) return Buffer.from(`${head}Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);
  return Buffer.from(
    `${head}Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n${body}\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=plan.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n`,
  );
}

const subjects = (hits: SearchHit[]): number[] => hits.map((h) => (h.protocol === 'imap' ? h.uid : -1));

describe('local search query parser', () => {
  it('reads every operator, quoted values and free words', () => {
    const parsed = parseMailQuery('from:alice to:bob subject:"weekly report" since:2024-01-01 before:2024-02-01 is:unread is:flagged has:attachment folder:Work budget "two words"');
    assert.deepEqual(parsed, {
      words: ['budget', 'two words'],
      from: 'alice',
      to: 'bob',
      subject: 'weekly report',
      since: new Date('2024-01-01T00:00:00Z'),
      before: new Date('2024-02-01T00:00:00Z'),
      unread: true,
      flagged: true,
      hasAttachment: true,
      folder: 'Work',
    });
  });

  it('names what is wrong in a finished query', () => {
    assert.equal(parseMailQuery('from:'), '"from:" needs a value.');
    assert.equal(parseMailQuery('since:yesterday'), '"since:" needs a date like 2024-01-31.');
    assert.equal(parseMailQuery('is:important'), '"is:" takes unread, read, flagged or unflagged.');
    assert.equal(parseMailQuery('has:photo'), '"has:" takes attachment.');
    assert.equal(parseMailQuery('   '), 'Type something to search for.');
    assert.deepEqual(parseMailQuery('is:read is:unflagged'), { words: [], unread: false, flagged: false });
  });

  it('lets a query be half typed: a prefix without its value, a date or flag still being typed', () => {
    assert.deepEqual(parseMailQuery('report from:', { complete: false }), { words: ['report'] });
    assert.deepEqual(parseMailQuery('since:2024-0', { complete: false }), { words: [] });
    assert.deepEqual(parseMailQuery('is:unr has:att', { complete: false }), { words: [] });
    assert.deepEqual(parseMailQuery('subject:"half typed', { complete: false }), { words: [], subject: 'half typed' });
    assert.equal(parseMailQuery('is:zzz', { complete: false }), '"is:" takes unread, read, flagged or unflagged.');
  });

  it('tokenizes without case or accents, splitting addresses', () => {
    assert.deepEqual(tokenize('Überweisung an Zoë <zoe.b@Example.test>'), ['uberweisung', 'an', 'zoe', 'zoe', 'b', 'example', 'test']);
  });
});

describe('local search index', () => {
  let dir: string;
  let log: ReturnType<typeof recordingLog>;
  let headers: HeaderCache;
  let bodies: BodyCache;
  let accounts: Array<{ id: string; protocol: 'imap' | 'pop3' }>;
  let pop3: CachedPop3Message[];
  let pop3Bytes: Map<string, Buffer>;
  let parsed: number;

  const sources = (): SearchSources => {
    const real = cacheSources({ accounts: () => accounts, headers, bodies, pop3: () => Promise.reject(new Error('unused')) });
    return {
      ...real,
      pop3Messages: () => Promise.resolve(pop3),
      readPop3: (_a, uidl) => Promise.resolve(pop3Bytes.get(uidl) as Buffer),
      parseBody: (bytes) => {
        parsed++;
        return parseBody(bytes);
      },
    };
  };
  const open = (): LocalSearchIndex => {
    const index = new LocalSearchIndex({ dir: path.join(dir, 'search'), sources: sources(), log });
    headers.onDidChange((c) => index.markDirty(c.accountId, c.path));
    bodies.onDidChange((c) => index.markDirty(c.accountId, c.path));
    return index;
  };
  const seed = async (account: string, folder: string, uidValidity: string, envelopes: CachedEnvelope[]): Promise<void> => {
    const cache = await headers.folder(account, folder);
    cache.reset({ uidValidity });
    cache.upsert(envelopes);
    await cache.flush();
  };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-search-'));
    log = recordingLog();
    headers = new HeaderCache({ dir: path.join(dir, 'headers'), log });
    bodies = new BodyCache({ dir: path.join(dir, 'bodies'), maxBytes: 1_000_000 });
    accounts = [{ id: 'a', protocol: 'imap' }];
    pop3 = [];
    pop3Bytes = new Map();
    parsed = 0;
    await seed('a', 'INBOX', '7', [
      env(1, 'Quarterly report draft', 'Alice Smith|alice@example.test'),
      env(2, 'Lunch on Friday', 'Bob Jones|bob@example.test', { flags: [] }),
      env(3, 'Re: report numbers', 'Bob Jones|bob@example.test', { flags: ['\\Seen', '\\Flagged'] }),
      env(4, 'Holiday photos', 'Carol|carol@reports.example.test'),
    ]);
    await seed('a', 'Work/Projects', '9', [env(10, 'Project plan', 'Alice Smith|alice@example.test')]);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds by word prefix as you type, subject matches ranked above sender matches', async () => {
    const index = open();
    await index.refresh();
    assert.equal(index.size, 5);
    assert.deepEqual(subjects(index.search(q('rep'))).slice(0, 2).sort(), [1, 3]);
    // "reports" in Carol's address is a weaker (from) match than "report" in two subjects.
    assert.deepEqual(subjects(index.search(q('report'))), [3, 1, 4]);
    assert.deepEqual(subjects(index.search(q('report numbers'))), [3]);
    assert.deepEqual(subjects(index.search(q('zzz'))), []);
    // One letter is a whole word, not a prefix of half the mailbox; two letters are a prefix.
    assert.deepEqual(subjects(index.search(q('q'))), []);
    assert.deepEqual(subjects(index.search(q('qu'))), [1]);
  });

  it('applies every operator', async () => {
    const index = open();
    await index.refresh();
    assert.deepEqual(subjects(index.search(q('from:bob'))), [3, 2]);
    assert.deepEqual(subjects(index.search(q('from:alice subject:plan'))), [10]);
    assert.deepEqual(subjects(index.search(q('to:me is:unread'))), [2]);
    assert.deepEqual(subjects(index.search(q('is:flagged'))), [3]);
    assert.deepEqual(subjects(index.search(q('since:2024-01-03 before:2024-01-05'))), [4, 3]);
    assert.deepEqual(subjects(index.search(q('folder:proj'))), [10]);
    assert.deepEqual(subjects(index.search(q('folder:inbox from:alice'))), [1]);
    assert.deepEqual(subjects(index.search(q('subject:photos from:bob'))), []);
  });

  it('indexes cached bodies (text, Cc, attachments) and forgets a body evicted from the cache', async () => {
    await bodies.put('a', 'INBOX', '7', 4, mime('Holiday photos', 'The beach in Portugal was lovely', true));
    const index = open();
    await index.refresh();
    assert.deepEqual(subjects(index.search(q('portugal'))), [4]);
    assert.deepEqual(subjects(index.search(q('body:beach'))), [4]);
    assert.deepEqual(subjects(index.search(q('to:carol'))), [4]);
    assert.deepEqual(subjects(index.search(q('has:attachment'))), [4]);
    await bodies.dropFolder('a', 'INBOX');
    await index.refresh();
    assert.deepEqual(subjects(index.search(q('portugal'))), []);
    assert.deepEqual(subjects(index.search(q('holiday'))), [4]);
  });

  it('follows sync: new mail, expunges and flag changes', async () => {
    const index = open();
    await index.refresh();
    const inbox = await headers.folder('a', 'INBOX');
    inbox.upsert([env(5, 'Report for the board', 'Dan|dan@example.test', { flags: [] })]);
    inbox.remove([1]);
    inbox.setFlags(2, ['\\Seen']);
    await inbox.flush();
    await index.refresh();
    assert.deepEqual(subjects(index.search(q('report'))).sort(), [3, 4, 5]);
    assert.deepEqual(subjects(index.search(q('is:unread'))), [5]);
  });

  it('survives a restart without reading a body again', async () => {
    await bodies.put('a', 'INBOX', '7', 2, mime('Lunch on Friday', 'Pizza at noon'));
    const first = open();
    await first.refresh();
    await first.flush();
    assert.equal(parsed, 1);
    assert.ok(fs.existsSync(indexFileOf(path.join(dir, 'search'), 'a')));

    headers = new HeaderCache({ dir: path.join(dir, 'headers'), log });
    bodies = new BodyCache({ dir: path.join(dir, 'bodies'), maxBytes: 1_000_000 });
    const second = open();
    await second.refresh();
    assert.equal(parsed, 1, 'the body came from the index file');
    assert.equal(second.size, 5);
    assert.deepEqual(subjects(second.search(q('pizza'))), [2]);
    assert.deepEqual(subjects(second.search(q('from:alice'))).sort(), [1, 10]);
  });

  it('rebuilds a corrupt or cut-short index file from the caches, without throwing', async () => {
    const first = open();
    await first.refresh();
    await first.flush();
    const file = indexFileOf(path.join(dir, 'search'), 'a');
    const bytes = fs.readFileSync(file);
    for (const damaged of [bytes.subarray(0, bytes.length - 20), Buffer.from(bytes.toString('utf8').replace('lunch', 'lanch')), Buffer.from('garbage')]) {
      fs.writeFileSync(file, damaged);
      const index = open();
      await index.refresh();
      assert.deepEqual(subjects(index.search(q('lunch'))), [2]);
      assert.equal(index.size, 5);
      assert.ok(log.lines.some((l) => l.includes('search index of account a is damaged')));
      await index.flush();
      assert.doesNotThrow(() => JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[1]), 'a good file was written again');
    }
  });

  it('drops a folder whose UIDVALIDITY changed and indexes what it holds now', async () => {
    const index = open();
    await index.refresh();
    await seed('a', 'INBOX', '8', [env(1, 'Brand new mailbox', 'Eve|eve@example.test')]);
    await index.refresh();
    const hits = index.search(q('new'));
    assert.equal(hits.length, 1);
    assert.deepEqual(hits[0], { accountId: 'a', protocol: 'imap', path: 'INBOX', uidValidity: '8', uid: 1, score: 4.5, date: Date.UTC(2024, 0, 1) });
    assert.deepEqual(subjects(index.search(q('report'))), []);
  });

  it('drops an account with its file, whether removed from the settings or dropped directly', async () => {
    accounts = [
      { id: 'a', protocol: 'imap' },
      { id: 'b', protocol: 'imap' },
    ];
    await seed('b', 'INBOX', '1', [env(1, 'Report from b', 'Bee|b@example.test')]);
    const index = open();
    await index.refresh();
    await index.flush();
    const searchDir = path.join(dir, 'search');
    assert.equal(index.search(q('report')).filter((h) => h.accountId === 'b').length, 1);
    accounts = [{ id: 'a', protocol: 'imap' }];
    await index.refresh();
    assert.equal(index.search(q('report')).filter((h) => h.accountId === 'b').length, 0);
    assert.equal(fs.existsSync(indexFileOf(searchDir, 'b')), false);
    await index.dropAccount('a');
    assert.equal(index.size, 0);
    assert.equal(fs.existsSync(indexFileOf(searchDir, 'a')), false);
  });

  it('follows sync after a restart and through a compaction that renumbers the documents', async () => {
    const bulk = Array.from({ length: 3000 }, (_, i) => env(100 + i, `Bulk ${i % 2 ? 'odd' : 'even'} item${i}`, 'Zed|zed@example.test'));
    await seed('a', 'Bulk', '3', bulk);
    const first = open();
    await first.refresh();
    await first.flush();
    assert.equal(first.size, 3005);

    headers = new HeaderCache({ dir: path.join(dir, 'headers'), log });
    const second = open();
    await second.refresh();
    assert.equal(second.size, 3005);
    const cache = await headers.folder('a', 'Bulk');
    // 2,000 expunged: enough tombstones for a compaction; new mail and a flag change beside them.
    cache.remove(bulk.filter((_, i) => i < 2000).map((e) => e.uid));
    cache.upsert([env(9000, 'Bulk newcomer', 'Zed|zed@example.test', { flags: [] })]);
    cache.setFlags(2100, ['\\Seen', '\\Flagged']);
    await cache.flush();
    await second.refresh();
    const check = (index: LocalSearchIndex): void => {
      assert.equal(index.size, 1006);
      assert.deepEqual(subjects(index.search(q('item1999'))), []);
      assert.deepEqual(subjects(index.search(q('item2999'))), [3099]);
      assert.deepEqual(subjects(index.search(q('newcomer is:unread'))), [9000]);
      assert.deepEqual(subjects(index.search(q('is:flagged folder:bulk'))), [2100]);
      assert.equal(index.search(q('bulk odd'), 1000).length, 500);
      assert.deepEqual(subjects(index.search(q('report'))), [3, 1, 4]);
      assert.deepEqual(subjects(index.search(q('from:alice subject:plan'))), [10]);
    };
    check(second);
    await second.flush();
    const third = open();
    await third.refresh();
    check(third);
  });

  it('indexes POP3 messages with their bodies, and a headers-only copy by its headers', async () => {
    accounts = [{ id: 'p', protocol: 'pop3' }];
    const message = (uidl: string, subject: string, partial: boolean): CachedPop3Message => ({
      uidl,
      size: 100,
      receivedAt: '2024-03-01T00:00:00.000Z',
      file: `cur/${uidl}`,
      partial,
      flags: { seen: false, flagged: false, answered: false },
      subject,
      from: { name: 'Ann', address: 'ann@example.test' },
      deletedFromServer: false,
    });
    pop3 = [message('u1', 'Invoice March', false), message('u2', 'Big video', true)];
    pop3Bytes.set('u1', mime('Invoice March', 'Amount due: 42 euros', true));
    pop3Bytes.set('u2', Buffer.from('From: Ann <ann@example.test>\r\nTo: Dave <dave@example.test>\r\nSubject: Big video\r\n\r\n'));
    const index = open();
    await index.refresh();
    assert.deepEqual(
      index.search(q('euros')).map((h) => h.protocol === 'pop3' && h.uidl),
      ['u1'],
    );
    assert.deepEqual(
      index.search(q('has:attachment folder:inbox')).map((h) => h.protocol === 'pop3' && h.uidl),
      ['u1'],
    );
    assert.deepEqual(
      index.search(q('to:dave')).map((h) => h.protocol === 'pop3' && h.uidl),
      ['u2'],
    );
    pop3 = [pop3[1]];
    index.markDirty('p');
    await index.refresh();
    assert.equal(index.search(q('invoice')).length, 0);
  });
});
