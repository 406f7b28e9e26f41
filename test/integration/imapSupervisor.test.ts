// The IMAP supervisor against Dovecot through a fault-injecting proxy: drops mid-FETCH and
// mid-IDLE, a server restart, garbage, the connection limit across "windows", sleep/wake.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { connectImap } from '../../src/protocol/imap/connect';
import { ConnectionState, ImapSupervisor, MailboxEvent, SupervisorOptions } from '../../src/protocol/imap/supervisor';
import { fetchMessagePage } from '../../src/protocol/imap/messages';
import { withMailboxLock } from '../../src/protocol/imap/supervisor/mailboxLock';
import { ProtocolLog, silentLog } from '../../src/protocol/log';
import { ConnectionLeases } from '../../src/store/connectionLeases';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { FaultProxy } from '../fixtures/faultProxy';
import { buildMessage } from '../fixtures/messages';
import { requireDovecot } from './requireDovecot';
import { givenPassword } from '../../src/protocol/credentials';

function recordingLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records a supervisor's states and events. */
function watch(sup: ImapSupervisor): { states: ConnectionState[]; events: MailboxEvent[] } {
  const seen = { states: [] as ConnectionState[], events: [] as MailboxEvent[] };
  sup.onDidChangeState((s) => seen.states.push(s));
  sup.onMailboxEvent((e) => seen.events.push(e));
  return seen;
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('ImapSupervisor against Dovecot through a fault proxy', function () {
  this.timeout(60_000);
  let dovecot: DovecotFixture;
  let proxy: FaultProxy;
  let other: ImapFlow | undefined;
  let leaseDir: string;
  const supervisors: ImapSupervisor[] = [];
  const leaseSets: ConnectionLeases[] = [];

  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot();
    leaseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-sup-leases-'));
  });
  beforeEach(async () => {
    proxy = await FaultProxy.start({ targetPort: dovecot.ports.imap });
  });
  afterEach(async () => {
    await Promise.all(supervisors.splice(0).map((s) => s.close()));
    leaseSets.splice(0).forEach((l) => l.dispose());
    await proxy.close();
  });
  after(async () => {
    await other?.logout().catch(() => undefined);
    await dovecot?.stop();
    if (leaseDir) fs.rmSync(leaseDir, { recursive: true, force: true });
  });

  const account = (): AccountConfig => ({
    id: 'alice-sup',
    protocol: 'imap',
    host: '127.0.0.1',
    port: proxy.port,
    security: 'none',
    allowPlaintextPassword: true,
    user: dovecot.users.alice.user,
  });
  const supervisor = (overrides: Partial<SupervisorOptions> = {}): ImapSupervisor => {
    const sup = new ImapSupervisor({
      account: account(),
      credentials: givenPassword(dovecot.users.alice.password),
      log: silentLog,
      timeoutMs: 3000,
      clientVersion: '9.8.7',
      maxConnections: 2,
      backoff: { initialMs: 50, maxMs: 400 },
      wake: false,
      ...overrides,
    });
    supervisors.push(sup);
    return sup;
  };
  /** Another IMAP client, straight to Dovecot (not through the proxy). */
  const otherClient = async (): Promise<ImapFlow> => {
    if (other?.usable) return other;
    other = await connectImap({
      account: { ...account(), port: dovecot.ports.imap },
      password: dovecot.users.alice.password,
      log: silentLog,
      timeoutMs: 5000,
    });
    return other;
  };
  const appendToInbox = async (subject: string): Promise<void> => {
    const client = await otherClient();
    const raw = buildMessage({
      from: { name: 'Other', address: 'other@example.test' },
      to: [{ name: 'Alice', address: 'alice@example.test' }],
      subject,
      date: new Date(),
      messageId: `${Date.now()}.${Math.random().toString(36).slice(2)}@other.test`,
      body: { kind: 'text', text: 'hi' },
    });
    await client.append('INBOX', raw);
  };
  const inboxCount = async (): Promise<number> => {
    const status = await (await otherClient()).status('INBOX', { messages: true });
    return status ? (status.messages ?? 0) : -1;
  };
  const idling = (n: number) => () => count(proxy.transcript().toClient, '+ idling') >= n;

  it('sends ID with the client name and version after connecting', async () => {
    const sup = supervisor();
    await sup.run('noop', (c) => c.noop());
    assert.match(proxy.transcript().toServer, /^\S+ ID \("name" "Mailroom" "version" "9\.8\.7"/m);
    assert.ok(sup.capabilities().has('IDLE'));
    assert.equal(sup.state(), 'online');
  });

  it('pushes exists from the IDLE connection when another client appends to INBOX', async () => {
    const sup = supervisor({ idle: { path: 'INBOX', enabled: true } });
    const seen = watch(sup);
    sup.start();
    await waitFor('IDLE', idling(1));
    assert.equal(sup.pushMode(), 'idle');
    const before = await inboxCount();
    await appendToInbox('pushed while idling');
    const event = await waitFor('exists event', () => seen.events.find((e) => e.kind === 'exists'));
    assert.deepEqual(event, { kind: 'exists', path: 'INBOX', count: before + 1 });
    assert.equal(proxy.maxConcurrent, 2, 'one command and one IDLE connection');
  });

  it('reports flag changes and expunges made by another client while idling', async () => {
    const sup = supervisor({ idle: { path: 'INBOX', enabled: true } });
    const seen = watch(sup);
    sup.start();
    await waitFor('IDLE', idling(1));
    const client = await otherClient();
    // Dovecot reports flag changes for messages the IDLE session already knew (UID 1 is seeded).
    const lock = await client.getMailboxLock('INBOX');
    try {
      await client.messageFlagsAdd('1', ['$MailroomTest'], { uid: true });
      const flags = await waitFor('flags event', () => seen.events.find((e) => e.kind === 'flags'));
      assert.equal(flags.kind === 'flags' && flags.uid, 1, 'QRESYNC is enabled, so the UID comes with it');
      assert.ok(flags.kind === 'flags' && flags.flags.includes('$MailroomTest') && flags.modseq, JSON.stringify(flags));
      await client.messageFlagsRemove('1', ['$MailroomTest'], { uid: true });
    } finally {
      lock.release();
    }
    await appendToInbox('to be expunged');
    await waitFor('exists', () => seen.events.some((e) => e.kind === 'exists'));
    const lock2 = await client.getMailboxLock('INBOX');
    let uids: number[];
    try {
      uids = (await client.search({ subject: 'to be expunged' }, { uid: true })) as number[];
      await client.messageDelete(uids, { uid: true });
    } finally {
      lock2.release();
    }
    const expunge = await waitFor('expunge event', () => seen.events.find((e) => e.kind === 'expunge'));
    // With QRESYNC enabled Dovecot sends VANISHED, so the UID is known.
    assert.deepEqual(expunge, { kind: 'expunge', path: 'INBOX', uid: uids[0] });
  });

  it('after a drop mid-IDLE the IDLE connection comes back, asks for a resync, and events keep arriving', async () => {
    const sup = supervisor({ idle: { path: 'INBOX', enabled: true } });
    const seen = watch(sup);
    sup.start();
    await waitFor('IDLE', idling(1));
    assert.equal(proxy.dropAll(), 2);
    await waitFor('IDLE again', idling(2));
    const resync = await waitFor('resync-needed', () => seen.events.find((e) => e.kind === 'resync-needed'));
    assert.ok(resync.kind === 'resync-needed' && ['reconnected', 'idle-restart'].includes(resync.reason));
    const before = await inboxCount();
    await appendToInbox('after the drop');
    await waitFor('exists after reconnect', () => seen.events.some((e) => e.kind === 'exists' && e.count === before + 1));
    assert.equal(sup.state(), 'online');
    assert.ok(proxy.maxConcurrent <= 2, `at most 2 at once, saw ${proxy.maxConcurrent}`);
  });

  it('a drop mid-FETCH runs the work again on a new connection and returns the whole page', async () => {
    const sup = supervisor();
    await sup.run('warm up', (c) => c.noop());
    const connectionsBefore = proxy.totalConnections;
    const dropped = proxy.dropWhen('* 10 FETCH');
    const page = await sup.run('page', (c) => fetchMessagePage(c, 'INBOX', { pageSize: 1000 }));
    await dropped;
    assert.equal(proxy.drops, 1);
    assert.equal(page.messages.length, page.total);
    assert.equal(new Set(page.messages.map((m) => m.uid)).size, page.total, 'no message twice');
    assert.equal(proxy.totalConnections, connectionsBefore + 1);
  });

  it('a drop mid-FETCH without retry fails with ConnectionClosed, and the next run reconnects', async () => {
    const sup = supervisor();
    await sup.run('warm up', (c) => c.noop());
    void proxy.dropWhen('* 10 FETCH');
    await assert.rejects(
      sup.run('page', (c) => fetchMessagePage(c, 'INBOX', { pageSize: 1000 }), { retry: false }),
      (err: unknown) => MailError.is(err, 'ConnectionClosed'),
    );
    const page = await sup.run('page again', (c) => fetchMessagePage(c, 'INBOX', { pageSize: 5 }));
    assert.equal(page.messages.length, 5);
  });

  it('Dovecot stopped and restarted mid-session: offline, fast Offline errors, then online with a resync', async () => {
    const sup = supervisor({ idle: { path: 'INBOX', enabled: true } });
    const seen = watch(sup);
    sup.start();
    await waitFor('IDLE', idling(1));
    await dovecot.stopServer();
    // The fixture's orphaned imap processes linger a few seconds after the master stops; a real
    // restart ends them, so end their connections now.
    proxy.dropAll();
    try {
      await waitFor('offline', () => sup.state() === 'offline');
      const started = Date.now();
      await assert.rejects(sup.run('while down', (c) => c.noop()), (err: unknown) => MailError.is(err, 'Offline'));
      assert.ok(Date.now() - started < 1000, 'Offline is reported at once, not after a timeout');
    } finally {
      await dovecot.startServer();
    }
    await waitFor('online again', () => sup.state() === 'online');
    await waitFor('resync-needed', () => seen.events.some((e) => e.kind === 'resync-needed'));
    await waitFor('IDLE again', idling(2));
    const i = seen.states.indexOf('offline');
    assert.ok(i >= 0 && seen.states.indexOf('online', i) > i, seen.states.join(' → '));
    assert.equal(await sup.run('after restart', async (c) => { const s = await c.status('INBOX', { messages: true }); return s ? s.messages : -1; }), await inboxCount());
  });

  it('an impossible literal announcement from the server ends in LimitExceeded, is not run again, and the next run works', async () => {
    const sup = supervisor();
    await sup.run('warm up', (c) => c.noop());
    const outcomes: string[] = [];
    for (const retry of [true, false]) {
      proxy.stall(200);
      const work = sup.run('page', async (c) => (await fetchMessagePage(c, 'INBOX', { pageSize: 1000 })).messages, { retry });
      await new Promise((r) => setTimeout(r, 50));
      // A literal announcement no client may accept, ahead of the held-back answer.
      proxy.injectGarbage('* 1 FETCH (BODY[] {99999999999999999999}\r\n');
      try {
        const rows = await work;
        outcomes.push(`ok ${rows.length}`);
      } catch (err) {
        assert.ok(MailError.is(err), `typed error, got ${String(err)}`);
        outcomes.push(err.code);
      }
    }
    // A response over a limit would be over it again: even work that may be retried is not.
    assert.deepEqual(outcomes, ['LimitExceeded', 'LimitExceeded']);
    assert.ok((await sup.run('after garbage', (c) => c.noop().then(() => true))));
  });

  it('two windows sharing leases never open more than maxConnections; the IDLE holder yields and polls', async () => {
    const leasesA = new ConnectionLeases({ dir: leaseDir, heartbeatMs: 100 });
    const leasesB = new ConnectionLeases({ dir: leaseDir, heartbeatMs: 100 });
    leaseSets.push(leasesA, leasesB);
    const logA = recordingLog();
    const a = supervisor({ leases: leasesA, log: logA, idle: { path: 'INBOX', enabled: true, pollIntervalMs: 300 } });
    const b = supervisor({ leases: leasesB, idle: { path: 'INBOX', enabled: true, pollIntervalMs: 300 } });
    const seenA = watch(a);
    a.start();
    await waitFor('A idling', idling(1));
    await waitFor('A idle mode', () => a.pushMode() === 'idle');
    // B needs a command connection: A's IDLE gives way.
    const page = await b.run('page', (c) => fetchMessagePage(c, 'INBOX', { pageSize: 3 }));
    assert.equal(page.messages.length, 3);
    await waitFor('A polling', () => a.pushMode() === 'polling');
    await waitFor('B polling', () => b.pushMode() === 'polling');
    assert.ok(logA.lines.some((l) => /polling INBOX/.test(l)), 'the fallback is logged');
    await appendToInbox('seen by polling');
    await waitFor('status event in A', () => seenA.events.find((e) => e.kind === 'status'));
    assert.ok(proxy.maxConcurrent <= 2, `saw ${proxy.maxConcurrent} connections at once`);
    assert.equal(proxy.active, 2);
  });

  it('after the machine slept, live connections are probed and a resync is requested', async () => {
    let offset = 0;
    const clock = {
      now: () => Date.now() + offset,
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    };
    const sup = supervisor({ clock, wake: { intervalMs: 100, toleranceMs: 1000 }, idle: { path: 'INBOX', enabled: true } });
    const seen = watch(sup);
    sup.start();
    await waitFor('IDLE', idling(1));
    const noopsBefore = count(proxy.transcript().toServer, ' NOOP');
    offset += 10 * 60_000; // the next tick looks ten minutes late
    const resync = await waitFor('resync-needed', () => seen.events.find((e) => e.kind === 'resync-needed'));
    assert.deepEqual(resync, { kind: 'resync-needed', reason: 'wake' });
    assert.ok(count(proxy.transcript().toServer, ' NOOP') >= noopsBefore + 2, 'both connections probed');
    await waitFor('IDLE re-issued after the probe', idling(2));
  });
});

describe('mailbox lock discipline against Dovecot', function () {
  this.timeout(30_000);
  let dovecot: DovecotFixture;
  let client: ImapFlow | undefined;
  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot();
    client = await connectImap({
      account: { id: 'a', protocol: 'imap', host: '127.0.0.1', port: dovecot.ports.imap, security: 'none', allowPlaintextPassword: true, user: dovecot.users.alice.user },
      password: dovecot.users.alice.password,
      log: silentLog,
      timeoutMs: 5000,
    });
  });
  after(async () => {
    await client?.logout().catch(() => undefined);
    await dovecot?.stop();
  });

  it('a lock that cannot be had in time fails with Timeout, and every lock is released even when the work throws', async () => {
    const c = client!;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    const first = withMailboxLock(c, 'INBOX', () => firstHeld, { readOnly: true });
    await assert.rejects(withMailboxLock(c, 'Archive', async () => 'never', { acquireTimeoutMs: 200 }), (err: unknown) => MailError.is(err, 'Timeout') && err.detail === 'LockTimeout');
    releaseFirst();
    await first;
    await assert.rejects(withMailboxLock(c, 'INBOX', async () => {
      throw new Error('work failed');
    }), /work failed/);
    // Both locks above are released: the next one is granted at once.
    const total = await withMailboxLock(c, 'INBOX', async () => c.mailbox && c.mailbox.exists, { acquireTimeoutMs: 1000 });
    assert.ok(typeof total === 'number' && total > 0);
  });
});

describe('ImapSupervisor reconnect schedule (scripted server, injected clock)', function () {
  this.timeout(20_000);

  it('retries with exponential backoff and jitter, fails fast with Offline meanwhile, and kick() retries at once', async () => {
    let attempts = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      attempts++;
      sockets.add(s);
      s.on('error', () => undefined);
      s.destroy(); // hangs up before the greeting, like a server that is restarting
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const timers: Array<{ ms: number; fn: () => void; id: number; cleared: boolean }> = [];
    const clock = {
      now: () => Date.now(),
      setTimeout: (fn: () => void, ms: number) => {
        const t = { ms, fn, id: timers.length + 1, cleared: false };
        timers.push(t);
        return t.id;
      },
      clearTimeout: (id: unknown) => timers.filter((t) => t.id === id).forEach((t) => (t.cleared = true)),
    };
    const pending = (): typeof timers => timers.filter((t) => !t.cleared);
    const sup = new ImapSupervisor({
      account: { id: 'x', protocol: 'imap', host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, security: 'none', allowPlaintextPassword: true, user: 'u' },
      credentials: givenPassword('pw'),
      log: silentLog,
      timeoutMs: 2000,
      maxConnections: 2,
      backoff: { initialMs: 1000, maxMs: 4000 },
      random: () => 1,
      clock,
      wake: false,
    });
    try {
      await assert.rejects(sup.run('first', (c) => c.noop()), (err: unknown) => MailError.is(err, 'ConnectionClosed'));
      assert.equal(sup.state(), 'offline');
      await assert.rejects(sup.run('while offline', (c) => c.noop()), (err: unknown) => MailError.is(err, 'Offline'));
      assert.equal(attempts, 1, 'Offline is answered without a new attempt');
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        const [timer] = pending();
        assert.ok(timer, `a retry is scheduled after attempt ${attempts}`);
        delays.push(timer.ms);
        timer.cleared = true;
        const before = attempts;
        timer.fn();
        await waitFor('next attempt', () => attempts > before && pending().length > 0, 5000);
      }
      assert.deepEqual(delays, [1000, 2000, 4000, 4000]);
      const before = attempts;
      sup.kick();
      await waitFor('kicked attempt', () => attempts === before + 1, 5000);
      assert.equal(sup.state(), 'offline');
    } finally {
      await sup.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
    assert.equal(sup.state(), 'closed');
  });
});
