/**
 * A lock file in global storage so two VS Code windows (two extension hosts, two processes) never
 * download the same maildrop at once. Created with O_EXCL; it holds the owner's pid, host name and
 * a random token. A lock is stale when its process no longer runs on this machine or when its
 * owner stopped refreshing it (LOCK_STALE_MS); a stale lock is taken over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AccountConfig, accountLabel } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import { LOCK_HEARTBEAT_MS, LOCK_POLL_MS, LOCK_STALE_MS, LOCK_WAIT_MS } from './limits';
import { processAlive } from './maildir';

export interface MaildropLock {
  readonly file: string;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

interface LockContent {
  pid: number;
  hostname: string;
  createdAt: string;
  token: string;
}

export interface AcquireLockOptions {
  lockDir: string;
  /** Identifies the maildrop (see maildropLockKey). */
  key: string;
  /** Shown in the error, e.g. the account's label. */
  label: string;
  /** How long to wait for another holder to finish; default LOCK_WAIT_MS. */
  waitMs?: number;
  /** Injectable clock for staleness by age. */
  now?: () => number;
}

/** One lock per maildrop (user at host:port), whichever account entry points at it. */
export function maildropLockKey(account: AccountConfig): string {
  return createHash('sha256').update(`${account.user.toLowerCase()}@${account.host.toLowerCase()}:${account.port}`).digest('hex').slice(0, 24);
}

export function lockOptionsFor(account: AccountConfig, lockDir: string, waitMs?: number): AcquireLockOptions {
  return { lockDir, key: maildropLockKey(account), label: accountLabel(account), ...(waitMs === undefined ? {} : { waitMs }) };
}

export async function acquireMaildropLock(options: AcquireLockOptions): Promise<MaildropLock> {
  const now = options.now ?? Date.now;
  const file = path.join(options.lockDir, `pop3-${options.key}.lock`);
  const deadline = now() + (options.waitMs ?? LOCK_WAIT_MS);
  const content: LockContent = { pid: process.pid, hostname: os.hostname(), createdAt: new Date(now()).toISOString(), token: randomBytes(16).toString('hex') };
  await fs.mkdir(options.lockDir, { recursive: true }).catch((e: unknown) => {
    throw storageError('create the lock folder', e);
  });
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(file, content)) return held(file, content.token);
    const holder = await readLock(file);
    if (holder === 'gone') continue;
    if (isStale(holder, now())) {
      await reclaim(file, holder);
      continue;
    }
    if (now() >= deadline || attempt > 10_000) {
      const who = holder.content ? `another Mailroom window (process ${holder.content.pid}) since ${holder.content.createdAt}` : 'another Mailroom window';
      throw new MailError('MailboxInUse', `${options.label} is being checked by ${who}; try again when it has finished.`, { detail: file });
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

async function tryCreate(file: string, content: LockContent): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw storageError('create the lock file', e);
  }
  try {
    await handle.writeFile(JSON.stringify(content));
  } finally {
    await handle.close();
  }
  return true;
}

interface Holder {
  /** Undefined while the owner is still writing it, or when it is damaged. */
  content: LockContent | undefined;
  mtimeMs: number;
  raw: string;
}

async function readLock(file: string): Promise<Holder | 'gone'> {
  try {
    const [raw, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    let content: LockContent | undefined;
    try {
      const parsed = JSON.parse(raw) as LockContent;
      if (typeof parsed.pid === 'number' && typeof parsed.token === 'string') content = parsed;
    } catch {
      content = undefined;
    }
    return { content, mtimeMs: stat.mtimeMs, raw };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw storageError('read the lock file', e);
  }
}

function isStale(holder: Holder, now: number): boolean {
  if (now - holder.mtimeMs > LOCK_STALE_MS) return true;
  const c = holder.content;
  return c !== undefined && c.hostname === os.hostname() && !processAlive(c.pid);
}

/**
 * Takes a stale lock away by renaming it (atomic: of two processes reclaiming at once only one
 * gets the file), then checks it is the lock judged stale; a fresh lock moved by mistake (created
 * between the read and the rename) is put back.
 */
async function reclaim(file: string, stale: Holder): Promise<void> {
  const moved = `${file}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await fs.rename(file, moved);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw storageError('take over a stale lock', e);
  }
  const raw = await fs.readFile(moved, 'utf8').catch(() => undefined);
  if (raw !== undefined && raw !== stale.raw) {
    await fs.link(moved, file).catch(() => undefined); // somebody else's fresh lock: restore it
  }
  await fs.rm(moved, { force: true });
}

function held(file: string, token: string): MaildropLock {
  const heartbeat = setInterval(() => {
    const t = new Date();
    void fs.utimes(file, t, t).catch(() => undefined);
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  let released: Promise<void> | undefined;
  return {
    file,
    release() {
      released ??= (async () => {
        clearInterval(heartbeat);
        const current = await readLock(file).catch(() => 'gone' as const);
        if (current !== 'gone' && current.content?.token === token) await fs.rm(file, { force: true });
      })();
      return released;
    },
  };
}

function storageError(what: string, e: unknown): MailError {
  return new MailError('StorageFailed', `Mailroom could not ${what}.`, { detail: e instanceof Error ? e.message : String(e), cause: e });
}
