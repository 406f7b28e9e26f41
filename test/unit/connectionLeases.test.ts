import * as assert from 'node:assert/strict';
import { ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConnectionLeases } from '../../src/store/connectionLeases';

const WORKER = path.join(__dirname, '..', 'fixtures', 'leaseWorker.js');

/** Another "window": a forked process driving its own ConnectionLeases over IPC. */
class Window {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly events: Array<{ event: string; slot: number }> = [];
  readonly child: ChildProcess;
  private exited: Promise<void>;

  constructor() {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (raw: unknown) => {
      const m = raw as { id?: number; result?: unknown; error?: string; event?: string; slot?: number };
      if (m.event) this.events.push({ event: m.event, slot: m.slot ?? -1 });
      const w = m.id === undefined ? undefined : this.waiting.get(m.id);
      if (!w || m.id === undefined) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(m.error));
      else w.resolve(m.result);
    });
  }

  call<T>(request: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, ...request });
    });
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

describe('ConnectionLeases', function () {
  this.timeout(20_000);
  let dir: string;
  const windows: Window[] = [];
  const open = async (options: Record<string, unknown> = {}): Promise<Window> => {
    const w = new Window();
    windows.push(w);
    await w.call({ op: 'init', dir, heartbeatMs: 100, staleMs: 5000, ...options });
    return w;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-leases-'));
  });
  afterEach(async () => {
    await Promise.all(windows.splice(0).map((w) => w.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two processes racing for slots never hold more than max between them', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const attempts = await Promise.all([0, 1, 2].flatMap(() => [a, b].map((w) => w.call<number | null>({ op: 'acquire', accountId: 'acc', max: 2 }))));
    const slots = attempts.filter((s): s is number => s !== null);
    assert.equal(slots.length, 2, `granted ${JSON.stringify(attempts)}`);
    assert.deepEqual([...slots].sort(), [0, 1]);
    const listed = await a.call<Array<{ slot: number; pid: number }>>({ op: 'list', accountId: 'acc' });
    assert.equal(listed.length, 2);
  });

  it('reclaims the slots of a process that died without releasing them', async () => {
    const a = await open();
    assert.equal(await a.call({ op: 'acquire', accountId: 'acc', max: 2 }), 0);
    assert.equal(await a.call({ op: 'acquire', accountId: 'acc', max: 2 }), 1);
    const b = await open();
    assert.equal(await b.call({ op: 'acquire', accountId: 'acc', max: 2 }), null, 'all slots held by a live process');
    await a.kill();
    assert.equal(await b.call({ op: 'acquire', accountId: 'acc', max: 2 }), 0, 'dead pid reclaimed');
    assert.equal(await b.call({ op: 'acquire', accountId: 'acc', max: 2 }), 1);
  });

  it('a released slot is free at once, and limits are per account', async () => {
    const a = await open();
    const b = await open();
    assert.equal(await a.call({ op: 'acquire', accountId: 'acc', max: 1 }), 0);
    assert.equal(await b.call({ op: 'acquire', accountId: 'acc', max: 1 }), null);
    assert.equal(await b.call({ op: 'acquire', accountId: 'other@host.example', max: 1 }), 0, 'another account has its own slots');
    await a.call({ op: 'release', slot: 0 });
    assert.equal(await b.call({ op: 'acquire', accountId: 'acc', max: 1 }), 0);
  });

  it('a waiting process makes the holder hear onWanted, and gets the slot the holder gives up', async () => {
    const a = await open({ yieldWhenWanted: true });
    const b = await open();
    assert.equal(await a.call({ op: 'acquire', accountId: 'acc', max: 1 }), 0);
    const started = Date.now();
    const slot = await b.call<number | null>({ op: 'acquire', accountId: 'acc', max: 1, waitMs: 5000 });
    assert.equal(slot, 0);
    assert.ok(Date.now() - started < 4000, `waited ${Date.now() - started} ms`);
    assert.ok(a.events.some((e) => e.event === 'wanted'), JSON.stringify(a.events));
  });

  it('reclaims a slot whose heartbeat stopped although the pid lives, and the old holder learns it lost it', async () => {
    let now = 1_000_000;
    const a = new ConnectionLeases({ dir, heartbeatMs: 60_000, staleMs: 1000, pid: 4242, host: 'h', now: () => now, isAlive: () => true });
    const b = new ConnectionLeases({ dir, heartbeatMs: 50, staleMs: 1000, pid: 4343, host: 'h', now: () => now, isAlive: () => true });
    try {
      const first = await a.acquire('acc', { max: 1, purpose: 'command' });
      assert.ok(first);
      let lost = false;
      first.onLost(() => (lost = true));
      assert.equal(await b.acquire('acc', { max: 1, purpose: 'command' }), undefined);
      now += 1500; // a's heartbeat is now older than staleMs
      const second = await b.acquire('acc', { max: 1, purpose: 'command' });
      assert.equal(second?.slot, 0);
      // a's next heartbeat finds another token in its slot
      await (a as unknown as { heartbeat(): Promise<void> }).heartbeat();
      assert.equal(lost, true);
      assert.equal(first.held, false);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('treats an unreadable slot file as free and keeps working', async () => {
    const leases = new ConnectionLeases({ dir });
    try {
      const accountDir = path.join(dir, 'acc');
      fs.mkdirSync(accountDir, { recursive: true });
      fs.writeFileSync(path.join(accountDir, 'slot-0.json'), '{not json');
      const lease = await leases.acquire('acc', { max: 1, purpose: 'idle' });
      assert.equal(lease?.slot, 0);
      const record = JSON.parse(fs.readFileSync(path.join(accountDir, 'slot-0.json'), 'utf8')) as { pid: number };
      assert.equal(record.pid, process.pid);
      await lease?.release();
      assert.equal(fs.existsSync(path.join(accountDir, 'slot-0.json')), false);
    } finally {
      leases.dispose();
    }
  });
});
