import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { ProtocolLog } from '../../src/protocol/log';
import { Pop3Cache } from '../../src/store/pop3/cache';
import { checkMail, CheckMailOptions, fetchFullBody } from '../../src/store/pop3/checkMail';
import { DAY_MS } from '../../src/store/pop3/limits';
import { CheckReport, Pop3Policy } from '../../src/store/pop3/types';
import { DovecotFixture, ExtraUser, startDovecot } from '../fixtures/dovecot';
import { LineClient } from '../fixtures/lineClient';
import { MaildirMessage } from '../fixtures/maildir';
import { buildMessage } from '../fixtures/messages';
import { Pop3FakeServer, startPop3FakeServer } from '../fixtures/pop3FakeServer';
import { ALICE_SEED } from '../fixtures/seed';
import type { CrashJob } from '../fixtures/pop3Crash';
import { requireDovecot } from './requireDovecot';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A message of about `bodyBytes`, with lines that need dot-stuffing and 8-bit text. */
function message(tag: string, n: number, bodyBytes: number): MaildirMessage {
  const lines = [`Message ${n} of ${tag}: Grüße, ça va? ✓`, '.a line starting with a dot', '..two dots', '.'];
  let size = lines.join('\r\n').length;
  for (let i = 0; size < bodyBytes; i++) {
    const line = `${tag}-${n}-${i} ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2)}`;
    lines.push(line);
    size += line.length + 2;
  }
  const date = new Date(Date.UTC(2024, 0, 1) + n * 3600_000);
  return {
    raw: buildMessage({
      from: { name: 'Sender Ä', address: `sender${n}@example.test` },
      to: [{ address: `${tag}@example.test` }],
      subject: `${tag} ${n} – Übersicht`,
      date,
      messageId: `${tag}-${n}@pop3.mailroom.test`,
      body: { kind: 'text', text: lines.join('\n') + '\n', encoding: '8bit' },
    }),
    date,
  };
}
const user = (name: string, count: number, bodyBytes = 2000): ExtraUser => ({
  user: name,
  password: `${name}-pw`,
  folders: [{ path: 'INBOX', messages: Array.from({ length: count }, (_, i) => message(name, i + 1, bodyBytes)) }],
});

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

interface Proxy {
  port: number;
  close(): Promise<void>;
}

/** A TCP proxy to `target`: can cut the connection after N bytes from the server, or throttle it. */
async function startProxy(target: number, options: { cutAfterServerBytes?: number; bytesPerSecond?: number }): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d) => upstream.write(d));
    let sent = 0;
    upstream.on('data', (d: Buffer) => {
      const cut = options.cutAfterServerBytes;
      if (cut !== undefined && sent + d.length >= cut) {
        client.write(d.subarray(0, cut - sent), () => client.destroy());
        upstream.destroy();
        return;
      }
      sent += d.length;
      client.write(d);
      if (options.bytesPerSecond) {
        upstream.pause();
        setTimeout(() => upstream.resume(), (d.length / options.bytesPerSecond) * 1000);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('POP3 check against Dovecot', function () {
  this.timeout(120_000);
  let dovecot: DovecotFixture;
  let root: string;
  const proxies: Proxy[] = [];
  const children: ChildProcess[] = [];
  const users = {
    keep: user('popkeep', 12),
    aging: user('popaging', 6),
    dl: user('popdl', 8),
    cut: user('popcut', 30, 20_000),
    crash: user('popcrash', 40, 60_000),
    big: user('popbig', 5, 1500),
    lock: user('poplock', 10, 50_000),
    empty: user('popempty', 0),
    count: user('popcount', 3),
  };
  // two large messages for the headers-only test
  users.big.folders[0].messages.push(message('popbig', 6, 120_000), message('popbig', 7, 90_000));

  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot({ extraUsers: Object.values(users) });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-pop3check-'));
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(proxies.map((p) => p.close()));
    await dovecot?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const account = (name: string, overrides: Partial<AccountConfig> = {}): AccountConfig => ({
    id: name,
    protocol: 'pop3',
    host: '127.0.0.1',
    port: dovecot.ports.pop3,
    security: 'none',
    allowPlaintextPassword: true,
    user: name,
    ...overrides,
  });
  const lockDir = (): string => path.join(root, 'locks');
  const open = (id: string): Promise<Pop3Cache> => Pop3Cache.open(path.join(root, 'cache'), id);
  const check = (
    acc: AccountConfig,
    password: string,
    cache: Pop3Cache,
    policy: Pop3Policy,
    extra: Partial<CheckMailOptions> = {},
  ): Promise<CheckReport> => checkMail({ account: acc, password, cache, policy, log: recordingLog(), timeoutMs: 10_000, lockDir: lockDir(), ...extra });

  /** The server's maildrop seen through an independent POP3 connection: UIDLs in order. */
  async function serverUidls(name: string, password: string): Promise<string[]> {
    const c = await LineClient.connect({ port: dovecot.ports.pop3 });
    try {
      assert.match(await c.readLine(), /^\+OK/);
      assert.match(await c.command(`USER ${name}`), /^\+OK/);
      assert.match(await c.command(`PASS ${password}`), /^\+OK/);
      assert.match(await c.command('UIDL'), /^\+OK/);
      const lines = await c.readMultiline();
      assert.match(await c.command('QUIT'), /^\+OK/);
      return lines.map((l) => l.split(' ')[1]);
    } finally {
      c.close();
    }
  }
  /** Content hashes of the message files in the server's Maildir. */
  function serverHashes(name: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const sub of ['cur', 'new']) {
      const dir = path.join(dovecot.home(name), 'Maildir', sub);
      for (const f of fs.readdirSync(dir)) {
        const bytes = fs.readFileSync(path.join(dir, f));
        out.set(sha(bytes), bytes);
      }
    }
    return out;
  }
  const seededHashes = (u: ExtraUser): Set<string> => new Set(u.folders[0].messages.map((m) => sha(m.raw)));
  async function cachedHashes(cache: Pop3Cache): Promise<string[]> {
    return Promise.all(cache.list().map(async (m) => sha(await cache.readSource(m.uidl))));
  }
  /** Every file in cur/ is a whole server message; tmp/ is empty. */
  function assertMaildirClean(cache: Pop3Cache, expected: Set<string>): void {
    assert.deepEqual(fs.readdirSync(cache.maildir.tmp), [], 'tmp/ is empty');
    for (const f of fs.readdirSync(cache.maildir.cur)) {
      assert.ok(expected.has(sha(fs.readFileSync(path.join(cache.maildir.cur, f)))), `cur/${f} is a whole message from the server`);
    }
  }

  it('downloads alice\'s INBOX over POP3S byte-identical to the server files and leaves it on the server', async () => {
    const alice = dovecot.users.alice;
    const acc = account('alice', { port: dovecot.ports.pop3s, security: 'tls', allowPlaintextPassword: false, trustedCertificateSha256: dovecot.certSha256 });
    const cache = await open('alice-tls');
    const progress: Array<[number, number]> = [];
    const report = await check(acc, alice.password, cache, { leaveOnServer: true }, { onProgress: (d, t) => progress.push([d, t]) });
    assert.equal(report.downloaded, ALICE_SEED.inboxTotal);
    assert.equal(report.deletedFromServer, 0);
    assert.deepEqual(progress.at(-1), [ALICE_SEED.inboxTotal, ALICE_SEED.inboxTotal]);
    const onServer = serverHashes('alice');
    const inboxOnServer = new Map([...onServer].filter(([, bytes]) => ALICE_SEED.inbox.messages.some((m) => bytes.includes(Buffer.from(`<${m.messageId}>`)))));
    assert.equal(inboxOnServer.size, ALICE_SEED.inboxTotal);
    const cached = await cachedHashes(cache);
    assert.deepEqual(new Set(cached), new Set(inboxOnServer.keys()), 'every cached .eml is byte-identical to a server maildir file');
    assert.equal(report.bytes, [...inboxOnServer.values()].reduce((n, b) => n + b.length, 0));
    // header fields for the tree, newest first
    const newest = cache.list()[0];
    assert.equal(newest.subject, ALICE_SEED.newest.subject);
    assert.equal(newest.from?.address, ALICE_SEED.newest.from.address);
    assert.ok(cache.list().some((m) => m.subject === '日本語の件名です'));
    assert.equal(cache.unseenCount(), ALICE_SEED.inboxTotal, 'POP3 has no server flags: everything starts unread');
    assert.equal((await serverUidls('alice', alice.password)).length, ALICE_SEED.inboxTotal);

    const again = await check(acc, alice.password, cache, { leaveOnServer: true });
    assert.deepEqual({ downloaded: again.downloaded, bytes: again.bytes, skipped: again.skippedAlreadyCached }, { downloaded: 0, bytes: 0, skipped: ALICE_SEED.inboxTotal });
  });

  it('reports how many messages the maildrop held: none for an empty one, all of them again when cached', async () => {
    const empty = users.empty;
    const none = await check(account(empty.user), empty.password, await open('empty'), { leaveOnServer: true });
    assert.deepEqual({ onServer: none.onServer, downloaded: none.downloaded }, { onServer: 0, downloaded: 0 });
    const u = users.count;
    const cache = await open('count');
    const first = await check(account(u.user), u.password, cache, { leaveOnServer: true });
    const second = await check(account(u.user), u.password, cache, { leaveOnServer: true });
    assert.deepEqual([first.onServer, first.downloaded, second.onServer, second.downloaded], [3, 3, 3, 0]);
  });

  it('keeps dot lines and 8-bit bytes exact, and local read state across reopen and later checks', async () => {
    const u = users.keep;
    const cache = await open('keep');
    const report = await check(account(u.user), u.password, cache, { leaveOnServer: true });
    assert.equal(report.downloaded, 12);
    assert.deepEqual(new Set(await cachedHashes(cache)), seededHashes(u));
    const first = cache.list()[0];
    assert.equal(first.subject, 'popkeep 12 – Übersicht');
    assert.deepEqual(first.from, { name: 'Sender Ä', address: 'sender12@example.test' });
    await cache.setFlags(first.uidl, { seen: true, flagged: true });

    const reopened = await open('keep');
    assert.deepEqual(reopened.get(first.uidl)?.flags, { seen: true, flagged: true, answered: false });
    const again = await check(account(u.user), u.password, reopened, { leaveOnServer: true });
    assert.equal(again.downloaded, 0);
    assert.deepEqual(reopened.get(first.uidl)?.flags, { seen: true, flagged: true, answered: false });
    assert.equal(reopened.unseenCount(), 11);
    assert.ok(fs.readdirSync(reopened.maildir.cur).some((f) => f.endsWith(':2,FS')));
  });

  it('deletes from the server only after N days since the download (clock injected)', async () => {
    const u = users.aging;
    const cache = await open('aging');
    const t0 = new Date('2024-05-01T12:00:00Z');
    const policy: Pop3Policy = { leaveOnServer: true, deleteFromServerAfterDays: 3 };
    const at = (ms: number) => ({ now: () => new Date(t0.getTime() + ms) });
    const first = await check(account(u.user), u.password, cache, policy, at(0));
    assert.deepEqual([first.downloaded, first.deletedFromServer], [6, 0]);
    const early = await check(account(u.user), u.password, cache, policy, at(3 * DAY_MS - 60_000));
    assert.deepEqual([early.downloaded, early.deletedFromServer], [0, 0]);
    assert.equal((await serverUidls(u.user, u.password)).length, 6);
    const due = await check(account(u.user), u.password, cache, policy, at(3 * DAY_MS));
    assert.deepEqual([due.downloaded, due.deletedFromServer], [0, 6]);
    assert.deepEqual(await serverUidls(u.user, u.password), []);
    assert.equal(cache.size, 6, 'the local copies stay');
    assert.ok(cache.list().every((m) => m.deletedFromServer));
    assert.deepEqual(new Set(await cachedHashes(cache)), seededHashes(u));
  });

  it('delete-after-download removes each message from the server once it is stored', async () => {
    const u = users.dl;
    const cache = await open('dl');
    const report = await check(account(u.user), u.password, cache, { leaveOnServer: false });
    assert.deepEqual([report.downloaded, report.deletedFromServer], [8, 8]);
    assert.deepEqual(await serverUidls(u.user, u.password), []);
    assert.deepEqual(new Set(await cachedHashes(cache)), seededHashes(u));
    assert.ok(cache.list().every((m) => m.deletedFromServer));
  });

  it('a connection killed mid-RETR leaves no partial file, rolls back the server, and the next check fetches only the rest', async () => {
    const u = users.cut;
    const proxy = await startProxy(dovecot.ports.pop3, { cutAfterServerBytes: 300_000 });
    proxies.push(proxy);
    const cache = await open('cut');
    const allUidls = await serverUidls(u.user, u.password);
    await assert.rejects(check(account(u.user, { port: proxy.port }), u.password, cache, { leaveOnServer: false }), (e: unknown) => MailError.is(e, 'ConnectionClosed'));
    const kept = cache.size;
    assert.ok(kept > 0 && kept < 30, `some messages were stored before the cut (${kept})`);
    assertMaildirClean(cache, seededHashes(u));
    assert.deepEqual(await serverUidls(u.user, u.password), allUidls, 'no DELE was committed without QUIT');

    const reopened = await open('cut'); // as after a restart
    assert.equal(reopened.size, kept);
    const next = await check(account(u.user), u.password, reopened, { leaveOnServer: false });
    assert.equal(next.downloaded, 30 - kept);
    assert.equal(next.skippedAlreadyCached, kept);
    const notYet = new Set(allUidls.filter((x) => !cache.has(x)));
    const bytesOfRest = (await Promise.all([...notYet].map(async (x) => (await reopened.readSource(x)).length))).reduce((a, b) => a + b, 0);
    assert.equal(next.bytes, bytesOfRest, 'zero bytes re-downloaded for messages already cached');
    assert.equal(next.deletedFromServer, 30);
    assert.deepEqual(await serverUidls(u.user, u.password), []);
    assert.equal(reopened.size, 30);
    assert.deepEqual(new Set(await cachedHashes(reopened)), seededHashes(u));
    assertMaildirClean(reopened, seededHashes(u));
  });

  it('a process killed mid-download leaves no partial file, loses nothing and duplicates nothing', async () => {
    const u = users.crash;
    const proxy = await startProxy(dovecot.ports.pop3, { bytesPerSecond: 1_000_000 });
    proxies.push(proxy);
    const cacheRoot = path.join(root, 'cache');
    const allUidls = await serverUidls(u.user, u.password);
    const job: CrashJob = {
      root: cacheRoot,
      accountId: 'crash',
      lockDir: lockDir(),
      account: account(u.user, { port: proxy.port }),
      password: u.password,
      policy: { leaveOnServer: false },
    };
    const child = spawn(process.execPath, [path.resolve(__dirname, '../fixtures/pop3Crash.js'), JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const progressed = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const done = Math.max(0, ...[...out.matchAll(/progress (\d+) \d+/g)].map((m) => Number(m[1])));
        if (done >= 5) {
          child.kill('SIGKILL');
          resolve(done);
        }
      });
      child.once('exit', () => reject(new Error(`child ended before it was killed: ${out}`)));
    });
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    assert.equal(child.signalCode, 'SIGKILL');

    assert.deepEqual(await serverUidls(u.user, u.password), allUidls, 'the killed session committed no DELE');
    const cache = await open('crash');
    assert.ok(cache.size >= progressed && cache.size < 40, `stored before the kill: ${cache.size}`);
    assertMaildirClean(cache, seededHashes(u));
    const before = cache.size;
    const report = await check(account(u.user), u.password, cache, { leaveOnServer: false }); // also takes over the dead process's lock
    assert.equal(report.downloaded, 40 - before);
    assert.equal(report.skippedAlreadyCached, before);
    assert.equal(cache.size, 40);
    const hashes = await cachedHashes(cache);
    assert.equal(new Set(hashes).size, 40, 'no duplicates');
    assert.deepEqual(new Set(hashes), seededHashes(u));
    assert.deepEqual(await serverUidls(u.user, u.password), []);
  });

  it('headers-only above a size: TOP n 0 now, the whole message when opened', async () => {
    const u = users.big;
    const cache = await open('big');
    const report = await check(account(u.user), u.password, cache, { leaveOnServer: false, headersOnlyAboveBytes: 50_000 });
    assert.deepEqual([report.downloaded, report.headersOnly, report.deletedFromServer], [7, 2, 5], 'the partial ones stay on the server');
    const partial = cache.list().filter((m) => m.partial);
    assert.equal(partial.length, 2);
    const seeded = u.folders[0].messages.slice(5).map((m) => m.raw);
    for (const p of partial) {
      const head = await cache.readSource(p.uidl);
      const full = seeded.find((raw) => raw.subarray(0, head.length).equals(head));
      assert.ok(full, 'the partial copy is the exact header block');
      assert.ok(head.subarray(-4).equals(Buffer.from('\r\n\r\n')));
      assert.equal(p.size, full.length);
      await cache.setFlags(p.uidl, { seen: true });
      const body = await fetchFullBody({ account: account(u.user), password: u.password, log: recordingLog(), timeoutMs: 10_000, lockDir: lockDir(), cache, uidl: p.uidl });
      assert.deepEqual(body, full);
      assert.deepEqual(await cache.readSource(p.uidl), full);
      const now = cache.get(p.uidl);
      assert.equal(now?.partial, false);
      assert.equal(now?.flags.seen, true);
    }
    assert.equal(fs.readdirSync(cache.maildir.cur).length, 7, 'partial files replaced, not duplicated');
    const later = await check(account(u.user), u.password, cache, { leaveOnServer: false, headersOnlyAboveBytes: 50_000 });
    assert.deepEqual([later.downloaded, later.deletedFromServer], [0, 2], 'fetched bodies are then deleted per policy');
    assert.deepEqual(await serverUidls(u.user, u.password), []);
  });

  it('a second check of the same maildrop while one runs fails with MailboxInUse', async () => {
    const u = users.lock;
    const proxy = await startProxy(dovecot.ports.pop3, { bytesPerSecond: 500_000 });
    proxies.push(proxy);
    const cache = await open('lock');
    let started!: () => void;
    const downloading = new Promise<void>((resolve) => (started = resolve));
    const first = check(account(u.user, { port: proxy.port }), u.password, cache, { leaveOnServer: true }, { onProgress: () => started() });
    await downloading;
    const other = await open('lock');
    // same maildrop (user@host:port), as seen from another window
    await assert.rejects(check(account(u.user, { port: proxy.port }), u.password, other, { leaveOnServer: true }, { lockWaitMs: 0 }), (e: unknown) => {
      assert.ok(MailError.is(e, 'MailboxInUse'));
      assert.match(e.message, /being checked by another Mailroom window/);
      return true;
    });
    assert.equal((await first).downloaded, 10);
    const second = await check(account(u.user), u.password, other, { leaveOnServer: true });
    assert.deepEqual([second.downloaded, second.skippedAlreadyCached], [0, 10], 'the second window sees the first one\'s downloads');
  });
});

describe('POP3 check against scripted servers', function () {
  this.timeout(30_000);
  let root: string;
  const servers: Pop3FakeServer[] = [];
  const raw = (n: number, extra = ''): Buffer => buildMessage({
    from: { address: `s${n}@example.test` },
    to: [{ address: 'u@example.test' }],
    subject: `Fake ${n}`,
    date: new Date(Date.UTC(2024, 1, n)),
    messageId: `fake-${n}@x`,
    body: { kind: 'text', text: `Body ${n}\n.dot line\n${extra}` },
  });
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-pop3fake-'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    fs.rmSync(root, { recursive: true, force: true });
  });
  const start = async (options: Parameters<typeof startPop3FakeServer>[0]): Promise<Pop3FakeServer> => {
    const s = await startPop3FakeServer(options);
    servers.push(s);
    return s;
  };
  const run = (server: Pop3FakeServer, cache: Pop3Cache, policy: Pop3Policy): Promise<CheckReport> =>
    checkMail({
      account: { id: 'fake', protocol: 'pop3', host: '127.0.0.1', port: server.port, security: 'none', allowPlaintextPassword: true, user: 'u' },
      password: 'pw',
      cache,
      policy,
      log: recordingLog(),
      timeoutMs: 5000,
      lockDir: path.join(root, 'locks'),
    });

  it('without UIDL: download-and-delete works, and a session cut before QUIT duplicates nothing', async () => {
    const messages = [1, 2, 3, 4, 5].map((n) => raw(n, 'x'.repeat(3000)));
    const server = await start({ messages, uidl: false, dropDuringRetrOf: 4 });
    const cache = await Pop3Cache.open(path.join(root, 'a'), 'nouidl');
    await assert.rejects(run(server, cache, { leaveOnServer: false }), (e: unknown) => MailError.is(e, 'ConnectionClosed'));
    assert.equal(cache.size, 3, 'three whole messages kept');
    assert.equal(server.maildrop().length, 5, 'rolled back on the server');
    assert.deepEqual(fs.readdirSync(cache.maildir.tmp), []);

    server.configure({ dropDuringRetrOf: undefined });
    const report = await run(server, cache, { leaveOnServer: false });
    assert.equal(report.downloaded, 2);
    assert.equal(report.skippedAlreadyCached, 3, 'the same bytes again are recognised, not stored twice');
    assert.equal(report.deletedFromServer, 5);
    assert.equal(server.maildrop().length, 0);
    assert.equal(cache.size, 5);
    const stored = new Set(await Promise.all(cache.list().map(async (m) => sha(await cache.readSource(m.uidl)))));
    assert.deepEqual(stored, new Set(messages.map(sha)));
    assert.ok(!server.commands.some((c) => c.verb === 'DELE' && c.session === 1), 'no DELE before the download finished');
  });

  it('DELEs nothing before every copy is fdatasynced and cur/ is fsynced after its last rename', async () => {
    const count = 300;
    const server = await start({ messages: Array.from({ length: count }, (_, i) => raw(i + 1, 'z'.repeat(2000))), pipelining: true });
    const cache = await Pop3Cache.open(path.join(root, 'order'), 'order');
    const cur = cache.maildir.cur;
    const deles = (): number => server.commands.filter((c) => c.verb === 'DELE').length;
    // Every durability step, with the number of DELEs the server had received when it completed.
    const events: Array<{ kind: 'fdatasync' | 'rename' | 'dirsync'; path: string; delesAtEnd: number; seq: number; startSeq: number }> = [];
    let seq = 0;
    const fdPaths = new Map<number, string>();
    // The module object itself (the `import * as fs` namespace only has getters).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require('node:fs') as typeof fs;
    const original = { open: nodeFs.open, fdatasync: nodeFs.fdatasync, rename: nodeFs.rename, promisesRename: nodeFs.promises.rename, promisesOpen: nodeFs.promises.open };
    const probe = await fs.promises.open(__filename, 'r');
    const handleProto = Object.getPrototypeOf(probe) as { sync(this: fs.promises.FileHandle): Promise<void> };
    await probe.close();
    const originalSync = handleProto.sync;
    const dirHandles = new WeakMap<object, string>();
    (nodeFs as { open: unknown }).open = (file: fs.PathLike, flags: fs.OpenMode, mode: fs.Mode, cb: (e: NodeJS.ErrnoException | null, fd: number) => void): void => {
      original.open(file, flags, mode, (e, fd) => {
        if (!e) fdPaths.set(fd, String(file));
        cb(e, fd);
      });
    };
    (nodeFs as { fdatasync: unknown }).fdatasync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
      const startSeq = ++seq;
      original.fdatasync(fd, (e) => {
        events.push({ kind: 'fdatasync', path: fdPaths.get(fd) ?? '?', delesAtEnd: deles(), seq: ++seq, startSeq });
        cb(e);
      });
    };
    // Renames by callback (the delivery's) and by promise (anything else) are both recorded.
    (nodeFs as { rename: unknown }).rename = (from: fs.PathLike, to: fs.PathLike, cb: (e: NodeJS.ErrnoException | null) => void): void => {
      const startSeq = ++seq;
      original.rename(from, to, (e) => {
        events.push({ kind: 'rename', path: String(to), delesAtEnd: deles(), seq: ++seq, startSeq });
        cb(e);
      });
    };
    nodeFs.promises.rename = async (from: fs.PathLike, to: fs.PathLike): Promise<void> => {
      const startSeq = ++seq;
      await original.promisesRename(from, to);
      events.push({ kind: 'rename', path: String(to), delesAtEnd: deles(), seq: ++seq, startSeq });
    };
    nodeFs.promises.open = async (...args: Parameters<typeof fs.promises.open>): Promise<fs.promises.FileHandle> => {
      const handle = await original.promisesOpen(...args);
      dirHandles.set(handle, String(args[0]));
      return handle;
    };
    handleProto.sync = async function (this: fs.promises.FileHandle): Promise<void> {
      const startSeq = ++seq;
      await originalSync.call(this);
      const target = dirHandles.get(this) ?? '?';
      if (target === cur) events.push({ kind: 'dirsync', path: target, delesAtEnd: deles(), seq: ++seq, startSeq });
    };
    let report: CheckReport;
    try {
      report = await run(server, cache, { leaveOnServer: false });
    } finally {
      Object.assign(nodeFs, { open: original.open, fdatasync: original.fdatasync, rename: original.rename });
      nodeFs.promises.rename = original.promisesRename;
      nodeFs.promises.open = original.promisesOpen;
      handleProto.sync = originalSync;
    }
    assert.deepEqual([report.downloaded, report.deletedFromServer, deles()], [count, count, count]);
    const datasyncs = events.filter((e) => e.kind === 'fdatasync' && e.path.startsWith(cache.maildir.tmp));
    const renames = events.filter((e) => e.kind === 'rename' && e.path.startsWith(cur + path.sep));
    assert.equal(datasyncs.length, count, 'every message file was fdatasynced');
    assert.equal(renames.length, count, 'every message was renamed into cur/');
    assert.ok(datasyncs.every((e) => e.delesAtEnd === 0), 'no DELE reached the server before a file was on disk');
    const syncedAt = new Map(datasyncs.map((e) => [path.basename(e.path), e.seq]));
    assert.ok(
      renames.every((r) => (syncedAt.get(path.basename(r.path).split(/[:;]2,/)[0]) ?? Infinity) < r.startSeq),
      'each file was renamed into cur/ only after its fdatasync ended',
    );
    const lastRename = Math.max(...renames.map((e) => e.seq));
    const covering = events.filter((e) => e.kind === 'dirsync' && e.startSeq > lastRename);
    assert.ok(covering.length > 0, 'cur/ was fsynced after the last rename into it');
    assert.equal(covering[0].delesAtEnd, 0, 'and that fsync ended before the first DELE arrived');
    assert.ok(events.filter((e) => e.kind === 'dirsync').length < count / 10, 'the directory fsyncs are batched, not one per message');
    const deleCommands = server.commands.filter((c) => c.verb === 'DELE');
    assert.ok(deleCommands.some((c) => c.unanswered > 0), 'the DELEs are pipelined, not one round trip each');
  });

  it('pipelined DELEs: one refused is a warning, the others are deleted and only they are marked so', async () => {
    const server = await start({ messages: [1, 2, 3, 4, 5, 6].map((n) => raw(n)), pipelining: true, refuseDele: [3] });
    const cache = await Pop3Cache.open(path.join(root, 'refuse'), 'refuse');
    const report = await run(server, cache, { leaveOnServer: false });
    assert.deepEqual([report.downloaded, report.deletedFromServer], [6, 5]);
    assert.equal(report.warnings.length, 1);
    assert.match(report.warnings[0], /refused to delete message 3: .*locked/);
    assert.deepEqual(server.maildrop().map((m) => m.uid), ['uid-3'], 'the refused message stays, QUIT committed the rest');
    assert.deepEqual(cache.list().filter((m) => !m.deletedFromServer).map((m) => m.uidl), ['uid-3']);
    const deles = server.commands.filter((c) => c.verb === 'DELE');
    assert.deepEqual(deles.map((c) => c.line), ['DELE 1', 'DELE 2', 'DELE 3', 'DELE 4', 'DELE 5', 'DELE 6']);
    assert.ok(deles.some((c) => c.unanswered > 0), 'sent without waiting for each answer');
  });

  it('without UIDL: leave-on-server and headers-only are refused in words and nothing is downloaded', async () => {
    const server = await start({ messages: [raw(1), raw(2)], uidl: false });
    const cache = await Pop3Cache.open(path.join(root, 'b'), 'nouidl');
    await assert.rejects(run(server, cache, { leaveOnServer: true }), (e: unknown) => MailError.is(e, 'Unsupported') && /does not support UIDL/.test(e.message));
    await assert.rejects(run(server, cache, { leaveOnServer: false, headersOnlyAboveBytes: 10 }), (e: unknown) => MailError.is(e, 'Unsupported') && /headers only/.test(e.message));
    assert.equal(cache.size, 0);
    assert.ok(!server.commands.some((c) => c.verb === 'RETR' || c.verb === 'DELE'), 'no RETR, no DELE');
    assert.equal(server.maildrop().length, 2);
  });

  it('without TOP: headers-only falls back to RETR and keeps the whole message', async () => {
    const big = raw(1, 'y'.repeat(20_000));
    const server = await start({ messages: [big, raw(2)], top: false });
    const cache = await Pop3Cache.open(path.join(root, 'c'), 'notop');
    const report = await run(server, cache, { leaveOnServer: true, headersOnlyAboveBytes: 10_000 });
    assert.deepEqual([report.downloaded, report.headersOnly], [2, 0]);
    assert.ok(cache.list().every((m) => !m.partial));
    assert.deepEqual(await cache.readSource('uid-1'), big);
  });

  it('an aborted check keeps what it stored and deletes nothing on the server', async () => {
    const server = await start({ messages: [1, 2, 3, 4, 5, 6].map((n) => raw(n)), delayMs: (verb) => (verb === 'RETR' ? 30 : 0) });
    const cache = await Pop3Cache.open(path.join(root, 'e'), 'abort');
    const controller = new AbortController();
    const checking = checkMail({
      account: { id: 'fake', protocol: 'pop3', host: '127.0.0.1', port: server.port, security: 'none', allowPlaintextPassword: true, user: 'u' },
      password: 'pw',
      cache,
      policy: { leaveOnServer: false },
      log: recordingLog(),
      timeoutMs: 5000,
      lockDir: path.join(root, 'locks'),
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    });
    await assert.rejects(checking, (e: unknown) => e instanceof Error && e.name === 'AbortError');
    assert.ok(cache.size >= 2 && cache.size < 6, `kept ${cache.size}`);
    assert.ok(!server.commands.some((c) => c.verb === 'DELE' || c.verb === 'QUIT'), 'no DELE, no QUIT');
    assert.equal(server.maildrop().length, 6);
    const reopened = await Pop3Cache.open(path.join(root, 'e'), 'abort');
    assert.equal(reopened.size, cache.size, 'what was stored survives');
    const next = await run(server, reopened, { leaveOnServer: false });
    assert.deepEqual([next.downloaded + next.skippedAlreadyCached, next.deletedFromServer], [6, 6]);
    assert.equal(reopened.size, 6);
  });

  it('when QUIT is refused the deletions are not counted, and the next check deletes without downloading again', async () => {
    const server = await start({ messages: [raw(1), raw(2)], quitReply: '-ERR cannot commit' });
    const cache = await Pop3Cache.open(path.join(root, 'd'), 'quit');
    const first = await run(server, cache, { leaveOnServer: false });
    assert.deepEqual([first.downloaded, first.deletedFromServer], [2, 0]);
    assert.match(first.warnings.join(' '), /did not confirm the end of the session/);
    assert.equal(server.maildrop().length, 2);
    assert.ok(cache.list().every((m) => !m.deletedFromServer));
    server.configure({ quitReply: undefined });
    const second = await run(server, cache, { leaveOnServer: false });
    assert.deepEqual([second.downloaded, second.bytes, second.deletedFromServer], [0, 0, 2]);
    assert.equal(server.maildrop().length, 0);
  });
});
