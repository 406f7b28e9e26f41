/**
 * Cross-window connection limit. Every VS Code window runs its own extension host, so "at most N
 * connections per account" needs state they share: lease files in one directory
 * (globalStorage/leases). A lease is a slot file naming its holder (pid, host, random token) with a
 * heartbeat; a slot whose holder died (pid gone) or stopped beating is reclaimed. Changes to an
 * account's slots happen under a short-lived mkdir mutex, so two windows never take the same slot.
 *
 * A window that finds no free slot may ask for one (a "want" file); holders hear about it through
 * `Lease.onWanted` on their next heartbeat and give up a slot they can spare (the IDLE connection
 * falls back to polling), so a second window can still browse.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../protocol/errors';
import type { IDisposable } from '../util/dispose';
import { Emitter, Event } from '../util/event';

export type LeasePurpose = 'command' | 'idle';

export interface ConnectionLeasesOptions {
  /** Shared directory, e.g. globalStorageUri.fsPath + '/leases'. */
  dir: string;
  /** How often held leases are renewed and want files looked for; default 5 s. */
  heartbeatMs?: number;
  /** A lease not renewed for this long is reclaimable even if its pid lives (pid reuse, frozen host); default 45 s. */
  staleMs?: number;
  /** Injectable for tests (child processes use the real ones). */
  pid?: number;
  host?: string;
  now?: () => number;
  isAlive?: (pid: number) => boolean;
}

export interface AcquireOptions {
  /** The account's connection limit as this window sees it. */
  max: number;
  purpose: LeasePurpose;
  /** Wait up to this long for a slot, announcing the wait to holders; default 0 (try once). */
  waitMs?: number;
}

export interface LeaseRecord {
  slot: number;
  pid: number;
  host: string;
  token: string;
  purpose: LeasePurpose;
  heartbeat: number;
}

interface WantRecord {
  pid: number;
  host: string;
  /** The asking ConnectionLeases instance (one per window; tests run several in one process). */
  instance: string;
  at: number;
}

/** A mutex holder does a few small file operations; one older than this belongs to a dead process. */
const MUTEX_STALE_MS = 5000;
/** Give up taking the mutex after this long (a disk that stopped answering). */
const MUTEX_WAIT_MS = 10_000;
/** How often a waiting acquire() looks again. */
const WAIT_POLL_MS = 100;
const SLOT_FILE = /^slot-(\d+)\.json$/;
const WANT_FILE = /^want-[0-9a-f]+\.json$/;

export class Lease {
  private readonly lostEmitter = new Emitter<void>();
  private readonly wantedEmitter = new Emitter<void>();
  /** Fired once when another window reclaimed this slot (we were taken for dead). */
  readonly onLost: Event<void> = this.lostEmitter.event;
  /** Fired on heartbeats while another window waits for a slot of this account. */
  readonly onWanted: Event<void> = this.wantedEmitter.event;
  private state: 'held' | 'released' | 'lost' = 'held';

  constructor(
    private readonly owner: ConnectionLeases,
    readonly accountId: string,
    readonly slot: number,
    readonly purpose: LeasePurpose,
    readonly token: string,
  ) {}

  get held(): boolean {
    return this.state === 'held';
  }

  /** Gives the slot back; idempotent. */
  async release(): Promise<void> {
    if (this.state !== 'held') return;
    this.state = 'released';
    this.dispose();
    await this.owner.releaseLease(this);
  }

  /** @internal */
  markLost(): void {
    if (this.state !== 'held') return;
    this.state = 'lost';
    this.lostEmitter.fire();
    this.dispose();
  }

  /** @internal */
  fireWanted(): void {
    if (this.state === 'held') this.wantedEmitter.fire();
  }

  private dispose(): void {
    this.lostEmitter.dispose();
    this.wantedEmitter.dispose();
  }
}

export class ConnectionLeases implements IDisposable {
  private readonly held = new Set<Lease>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;
  private readonly pid: number;
  private readonly host: string;
  private readonly now: () => number;
  private readonly isAlive: (pid: number) => boolean;
  private disposed = false;
  private readonly instance = randomBytes(8).toString('hex');

  constructor(private readonly options: ConnectionLeasesOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.staleMs = options.staleMs ?? 45_000;
    this.pid = options.pid ?? process.pid;
    this.host = options.host ?? os.hostname();
    this.now = options.now ?? Date.now;
    this.isAlive = options.isAlive ?? processAlive;
  }

  /** Takes a free (or reclaimable) slot, or resolves undefined when all `max` are held by live owners. */
  async acquire(accountId: string, options: AcquireOptions): Promise<Lease | undefined> {
    if (this.disposed) return undefined;
    const max = Math.max(1, Math.floor(options.max));
    const deadline = this.now() + (options.waitMs ?? 0);
    let want: string | undefined;
    try {
      for (;;) {
        const lease = await this.withMutex(accountId, () => this.tryTake(accountId, max, options.purpose));
        if (lease || this.now() >= deadline || this.disposed) return lease;
        want ??= await this.announceWant(accountId);
        await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
      }
    } finally {
      if (want) await fs.rm(want, { force: true }).catch(() => undefined);
    }
  }

  /** Live leases of an account, for logs and tests. */
  async list(accountId: string): Promise<LeaseRecord[]> {
    const dir = this.accountDir(accountId);
    const records = await this.readSlots(dir);
    return [...records.values()].filter((r): r is LeaseRecord => r !== undefined && !this.isStale(r));
  }

  /** @internal */
  async releaseLease(lease: Lease): Promise<void> {
    this.held.delete(lease);
    ownTokens.delete(lease.token);
    this.updateTimer();
    const file = this.slotFile(lease.accountId, lease.slot);
    await this.withMutex(lease.accountId, async () => {
      const current = await readJson<LeaseRecord>(file);
      if (current?.token === lease.token) await fs.rm(file, { force: true });
    }).catch(() => undefined);
  }

  /** Stops heartbeats and removes this instance's lease files (best effort, synchronous enough for deactivate). */
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const lease of [...this.held]) void lease.release();
  }

  private async tryTake(accountId: string, max: number, purpose: LeasePurpose): Promise<Lease | undefined> {
    const dir = this.accountDir(accountId);
    await fs.mkdir(dir, { recursive: true });
    const records = await this.readSlots(dir);
    const taken = new Set<number>();
    let live = 0;
    for (const [slot, record] of records.entries()) {
      if (record === undefined) continue;
      if (this.isStale(record)) continue; // reclaimable: the slot counts as free
      taken.add(slot);
      live++;
    }
    if (live >= max) return undefined;
    let slot = 0;
    while (taken.has(slot)) slot++;
    const token = randomBytes(8).toString('hex');
    const record: LeaseRecord = { slot, pid: this.pid, host: this.host, token, purpose, heartbeat: this.now() };
    await writeJson(this.slotFile(accountId, slot), record);
    const lease = new Lease(this, accountId, slot, purpose, token);
    ownTokens.add(token);
    this.held.add(lease);
    this.updateTimer();
    return lease;
  }

  /** Slot files by slot number; unreadable files count as stale (undefined entries are holes). */
  private async readSlots(dir: string): Promise<Map<number, LeaseRecord | undefined>> {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const result = new Map<number, LeaseRecord | undefined>();
    for (const name of names) {
      const match = SLOT_FILE.exec(name);
      if (!match) continue;
      const record = await readJson<LeaseRecord>(path.join(dir, name));
      result.set(Number(match[1]), isLeaseRecord(record) ? record : undefined);
    }
    return result;
  }

  private isStale(record: LeaseRecord): boolean {
    if (this.now() - record.heartbeat > this.staleMs) return true;
    if (record.host === this.host && record.pid !== this.pid && !this.isAlive(record.pid)) return true;
    if (record.host === this.host && record.pid === this.pid) {
      // Our own pid: live only while some instance in this process still holds it.
      return !ownTokens.has(record.token);
    }
    return false;
  }

  private async announceWant(accountId: string): Promise<string> {
    const token = randomBytes(8).toString('hex');
    const file = path.join(this.accountDir(accountId), `want-${token}.json`);
    const record: WantRecord = { pid: this.pid, host: this.host, instance: this.instance, at: this.now() };
    await writeJson(file, record);
    return file;
  }

  private updateTimer(): void {
    if (this.held.size > 0 && !this.timer && !this.disposed) {
      this.timer = setInterval(() => {
        this.beating ??= this.heartbeat().finally(() => (this.beating = undefined));
      }, this.heartbeatMs);
      this.timer.unref();
    } else if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async heartbeat(): Promise<void> {
    const accounts = new Set([...this.held].map((l) => l.accountId));
    for (const accountId of accounts) {
      const leases = [...this.held].filter((l) => l.accountId === accountId);
      try {
        await this.withMutex(accountId, async () => {
          for (const lease of leases) {
            if (!lease.held) continue;
            const file = this.slotFile(accountId, lease.slot);
            const current = await readJson<LeaseRecord>(file);
            if (current?.token !== lease.token) {
              this.held.delete(lease);
              ownTokens.delete(lease.token);
              lease.markLost();
              continue;
            }
            await writeJson(file, { ...current, heartbeat: this.now() });
          }
        });
        if (await this.someoneWants(accountId)) for (const lease of leases) lease.fireWanted();
      } catch {
        // A heartbeat that cannot reach the disk is retried on the next tick; staleMs is several beats.
      }
    }
    this.updateTimer();
  }

  private async someoneWants(accountId: string): Promise<boolean> {
    const dir = this.accountDir(accountId);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!WANT_FILE.test(name)) continue;
      const file = path.join(dir, name);
      const want = await readJson<WantRecord>(file);
      const stale = !want || this.now() - want.at > this.staleMs || (want.host === this.host && !this.isAlive(want.pid));
      if (stale) await fs.rm(file, { force: true }).catch(() => undefined);
      else if (want.instance !== this.instance) return true;
    }
    return false;
  }

  private async withMutex<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const dir = this.accountDir(accountId);
    const mutex = path.join(dir, '.mutex');
    await fs.mkdir(dir, { recursive: true });
    const giveUp = Date.now() + MUTEX_WAIT_MS;
    for (;;) {
      try {
        await fs.mkdir(mutex);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storageError(err);
        const stat = await fs.stat(mutex).catch(() => undefined);
        // Real time, not this.now(): the mutex is about this machine's processes, not test clocks.
        if (stat && Date.now() - stat.mtimeMs > MUTEX_STALE_MS) {
          await fs.rmdir(mutex).catch(() => undefined);
          continue;
        }
        if (Date.now() > giveUp) throw new MailError('StorageFailed', 'The connection lease directory stayed locked.', { detail: mutex });
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }
    try {
      return await work();
    } finally {
      await fs.rmdir(mutex).catch(() => undefined);
    }
  }

  private accountDir(accountId: string): string {
    // Account ids are user-editable settings: keep the file name safe and unique.
    return path.join(this.options.dir, encodeURIComponent(accountId).replace(/\./g, '%2E'));
  }

  private slotFile(accountId: string, slot: number): string {
    return path.join(this.accountDir(accountId), `slot-${slot}.json`);
  }
}

/** Tokens issued in this process, so two ConnectionLeases instances in one process respect each other. */
const ownTokens = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isLeaseRecord(value: unknown): value is LeaseRecord {
  const r = value as LeaseRecord | undefined;
  return !!r && typeof r.pid === 'number' && typeof r.token === 'string' && typeof r.heartbeat === 'number' && typeof r.host === 'string';
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** tmp + rename: a reader sees the old record or the new one. No fsync: leases die with the boot. */
async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw storageError(err);
  }
}

function storageError(err: unknown): MailError {
  if (MailError.is(err)) return err;
  return new MailError('StorageFailed', 'A connection lease file could not be written.', { detail: err instanceof Error ? err.message : String(err), cause: err });
}
