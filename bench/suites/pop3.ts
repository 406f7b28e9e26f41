/**
 * POP3 download and check against Dovecot, each against a pipelined bare-socket baseline
 * (test/fixtures/pop3Baseline.ts) measured in the same run on the same maildrop:
 * - pop3.download1000: 1,000 messages of ~23 KB into an empty cache. The baseline writes each
 *   message to a file and fdatasyncs it, all concurrently, then fsyncs the directory once (the
 *   durability the cache must give before a DELE); the same run also reports the ratio against a baseline that does not fsync at
 *   all (`ratioWithoutFsync`), which measures this disk's flush cost more than the code;
 * - pop3.check10new10k: a check of a 10,000-message maildrop with 10 new messages, 9,990 cached,
 *   plus the bytes fetched again for cached messages (must be 0).
 * Both also report the median CPU time of this process on each side (`cpuMs`, `baselineCpuMs`,
 * `cpuRatio`): on a loaded machine the wall-time ratio moves with the disk and the neighbours.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AccountConfig } from '../../src/protocol/account';
import { silentLog } from '../../src/protocol/log';
import { Pop3Cache } from '../../src/store/pop3/cache';
import { checkMail } from '../../src/store/pop3/checkMail';
import { dovecotAvailable, ExtraUser, startDovecot } from '../../test/fixtures/dovecot';
import { MaildirMessage } from '../../test/fixtures/maildir';
import { buildMessage } from '../../test/fixtures/messages';
import { baselineDownload } from '../../test/fixtures/pop3Baseline';
import { BenchSuite, median } from '../report';

/** Medians of this many interleaved samples per side: the machine is shared and noisy. */
const DOWNLOAD_SAMPLES = 7;
const CHECK_SAMPLES = 9;
const DOWNLOAD_COUNT = 1000;
const DOWNLOAD_BODY_BYTES = 23_000;
const CHECK_TOTAL = 10_000;
const CHECK_NEW = 10;
const CHECK_BODY_BYTES = 1_500;
const TARGET_RATIO = 1.5;

function message(tag: string, n: number, bodyBytes: number): MaildirMessage {
  const lines: string[] = [];
  for (let size = 0, i = 0; size < bodyBytes; i++) {
    const line = i % 40 === 0 ? `.${tag} ${n} line ${i} starts with a dot` : `${tag} ${n} line ${i} Grüße ${'lorem ipsum dolor sit amet '.repeat(2)}`;
    lines.push(line);
    size += Buffer.byteLength(line) + 2;
  }
  const date = new Date(Date.UTC(2023, 0, 1) + n * 60_000);
  return {
    raw: buildMessage({
      from: { name: 'Bench Sender', address: `sender${n % 17}@example.test` },
      to: [{ address: `${tag}@example.test` }],
      subject: `${tag} message ${n}`,
      date,
      messageId: `${tag}-${n}@bench.mailroom.test`,
      body: { kind: 'text', text: lines.join('\n') + '\n', encoding: '8bit' },
    }),
    date,
  };
}

function seededUser(name: string, count: number, bodyBytes: number): ExtraUser {
  return { user: name, password: `${name}-pw`, folders: [{ path: 'INBOX', messages: Array.from({ length: count }, (_, i) => message(name, i + 1, bodyBytes)) }] };
}

/**
 * Flushes what earlier samples left for the disk to write back (their files, the removal of the
 * one before): without this a sample pays for its predecessor's writeback, and the ratio swung
 * 1.09-1.28 between runs of the same code. Not timed; `sync` exists on every Linux and macOS.
 */
function settleDisk(): void {
  spawnSync('sync', { stdio: 'ignore', timeout: 60_000 });
}

/**
 * Wall time, and this process's CPU time (user + system, the libuv pool's file work included;
 * Dovecot's not), after the disk has settled.
 */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; cpuMs: number; result: T }> {
  settleDisk();
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (used.user + used.system) / 1000, result };
}

/** Medians of the CPU samples, as extra fields: the machine is shared, and CPU time is less noisy than wall time. */
function cpuFields(ours: number[], baseline: number[]): Record<string, number> {
  const cpu = median(ours);
  const base = median(baseline);
  return { cpuMs: Math.round(cpu), baselineCpuMs: Math.round(base), cpuRatio: Math.round((cpu / base) * 100) / 100 };
}

export const run: BenchSuite = async (ctx) => {
  if (!dovecotAvailable()) {
    ctx.fail('pop3: Dovecot is not installed (/usr/sbin/dovecot)');
    return;
  }
  const dl = seededUser('pop3dl', DOWNLOAD_COUNT, DOWNLOAD_BODY_BYTES);
  const big = seededUser('pop3big', CHECK_TOTAL - CHECK_NEW, CHECK_BODY_BYTES);
  const dovecot = await startDovecot({ extraUsers: [dl, big] });
  try {
    const account = (u: ExtraUser): AccountConfig => ({
      id: u.user,
      protocol: 'pop3',
      host: '127.0.0.1',
      port: dovecot.ports.pop3,
      security: 'none',
      allowPlaintextPassword: true,
      user: u.user,
    });
    // The baseline logs in with USER/PASS; so does the client here, to compare like with like.
    const auth = 'user' as const;
    const lockDir = path.join(ctx.tmp, 'locks');
    let n = 0;
    const freshDir = (): string => {
      const dir = path.join(ctx.tmp, `run-${n++}`);
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    };

    // ---- pop3.download1000 ----------------------------------------------------------------
    const dlBytes = dl.folders[0].messages.reduce((s, m) => s + m.raw.length, 0);
    const cpu = { ours: [] as number[], durable: [] as number[] };
    const ours = async (): Promise<number> => {
      const dir = freshDir();
      const { ms, cpuMs, result } = await timed(async () => {
        const cache = await Pop3Cache.open(dir, 'dl');
        return checkMail({ account: account(dl), password: dl.password, cache, policy: { leaveOnServer: true }, log: silentLog, timeoutMs: 30_000, lockDir, auth });
      });
      if (result.downloaded !== DOWNLOAD_COUNT || result.bytes !== dlBytes) ctx.fail(`pop3.download1000: downloaded ${result.downloaded} (${result.bytes} bytes), expected ${DOWNLOAD_COUNT} (${dlBytes})`);
      fs.rmSync(dir, { recursive: true, force: true });
      cpu.ours.push(cpuMs);
      return ms;
    };
    const base = async (durable: boolean): Promise<number> => {
      const dir = freshDir();
      const { ms, cpuMs, result } = await timed(() => baselineDownload({ port: dovecot.ports.pop3, user: dl.user, password: dl.password, outDir: dir, durable }));
      if (result.downloaded !== DOWNLOAD_COUNT || result.bytes !== dlBytes) ctx.fail(`pop3.download1000 baseline: downloaded ${result.downloaded} (${result.bytes} bytes)`);
      fs.rmSync(dir, { recursive: true, force: true });
      if (durable) cpu.durable.push(cpuMs);
      return ms;
    };
    // warm-up: Dovecot builds its index, every code path gets compiled
    await base(true);
    await base(false);
    await ours();
    cpu.ours.length = 0;
    cpu.durable.length = 0;
    const samples = { ours: [] as number[], durable: [] as number[], plain: [] as number[] };
    const runs: Array<[keyof typeof samples, () => Promise<number>]> = [
      ['durable', () => base(true)],
      ['ours', ours],
      ['plain', () => base(false)],
    ];
    for (let i = 0; i < DOWNLOAD_SAMPLES; i++) {
      // rotate the order so no side always runs on a warmer (or busier) server
      for (let k = 0; k < runs.length; k++) {
        const [name, work] = runs[(i + k) % runs.length];
        samples[name].push(await work());
      }
    }
    const dlOurs = median(samples.ours);
    const dlBase = median(samples.durable);
    const dlPlain = median(samples.plain);
    ctx.emit('pop3.download1000', dlOurs, 'ms', dlBase, {
      messages: DOWNLOAD_COUNT,
      bytes: dlBytes,
      samples: DOWNLOAD_SAMPLES,
      baselineWithoutFsyncMs: Math.round(dlPlain),
      ratioWithoutFsync: Math.round((dlOurs / dlPlain) * 100) / 100,
      ...cpuFields(cpu.ours, cpu.durable),
    });
    if (dlOurs / dlBase > TARGET_RATIO) ctx.fail(`pop3.download1000: ratio ${(dlOurs / dlBase).toFixed(2)} > ${TARGET_RATIO}`);

    // ---- pop3.check10new10k ---------------------------------------------------------------
    const cacheRoot = freshDir();
    const cache = await Pop3Cache.open(cacheRoot, 'big');
    const initial = await checkMail({ account: account(big), password: big.password, cache, policy: { leaveOnServer: true }, log: silentLog, timeoutMs: 60_000, lockDir, auth });
    if (initial.downloaded !== CHECK_TOTAL - CHECK_NEW) ctx.fail(`pop3.check10new10k: setup downloaded ${initial.downloaded}`);
    const inbox = path.join(dovecot.home(big.user), 'Maildir');
    const owner = fs.statSync(inbox);
    let serial = CHECK_TOTAL;
    const checkSamples = { ours: [] as number[], durable: [] as number[], plain: [] as number[] };
    let reDownloaded = 0;
    const checkCpu = { ours: [] as number[], durable: [] as number[] };
    for (let i = 0; i < CHECK_SAMPLES + 1; i++) {
      // 10 new messages delivered to the server's Maildir (as an MDA would: new/), 10,000 in all
      const added = Array.from({ length: CHECK_NEW }, () => message('pop3big', ++serial, CHECK_BODY_BYTES));
      const files = added.map((m, k) => {
        const file = path.join(inbox, 'new', `${Math.floor(m.date.getTime() / 1000)}.B${serial}_${k}.bench`);
        fs.writeFileSync(file, m.raw);
        fs.chownSync(file, owner.uid, owner.gid);
        return file;
      });
      const known = new Set(cache.list().map((m) => m.uidl));
      // let Dovecot notice the new files before either side is timed
      await baselineDownload({ port: dovecot.ports.pop3, user: big.user, password: big.password, outDir: freshDir(), known });
      const baseRun = (durable: boolean) => async (): Promise<number> => {
        const { ms, cpuMs, result } = await timed(() => baselineDownload({ port: dovecot.ports.pop3, user: big.user, password: big.password, outDir: freshDir(), known, durable }));
        if (result.downloaded !== CHECK_NEW || result.uidls.length !== CHECK_TOTAL) ctx.fail(`pop3.check10new10k baseline: ${result.downloaded} of ${result.uidls.length}`);
        if (durable && i > 0) checkCpu.durable.push(cpuMs);
        return ms;
      };
      const oursRun = async (): Promise<number> => {
        const { ms, cpuMs, result } = await timed(() => checkMail({ account: account(big), password: big.password, cache, policy: { leaveOnServer: true }, log: silentLog, timeoutMs: 30_000, lockDir, auth }));
        if (i > 0) checkCpu.ours.push(cpuMs);
        const newBytes = added.reduce((s, m) => s + m.raw.length, 0);
        reDownloaded = Math.max(reDownloaded, result.bytes - newBytes);
        if (result.downloaded !== CHECK_NEW || result.skippedAlreadyCached !== CHECK_TOTAL - CHECK_NEW) {
          ctx.fail(`pop3.check10new10k: downloaded ${result.downloaded}, skipped ${result.skippedAlreadyCached}`);
        }
        return ms;
      };
      const runs: Array<[keyof typeof checkSamples, () => Promise<number>]> = [
        ['durable', baseRun(true)],
        ['ours', oursRun],
        ['plain', baseRun(false)],
      ];
      for (let k = 0; k < runs.length; k++) {
        const [name, work] = runs[(i + k) % runs.length];
        const ms = await work();
        if (i > 0) checkSamples[name].push(ms); // the first round is a warm-up
      }
      // back to 9,990 on the server: these 10 are no longer new for the next round
      for (const f of [...files, ...findDelivered(inbox, files)]) fs.rmSync(f, { force: true });
    }
    const cOurs = median(checkSamples.ours);
    const cBase = median(checkSamples.durable);
    const cPlain = median(checkSamples.plain);
    ctx.emit('pop3.check10new10k', cOurs, 'ms', cBase, {
      maildrop: CHECK_TOTAL,
      newMessages: CHECK_NEW,
      reDownloadedBytes: reDownloaded,
      samples: CHECK_SAMPLES,
      baselineWithoutFsyncMs: Math.round(cPlain),
      ratioWithoutFsync: Math.round((cOurs / cPlain) * 100) / 100,
      ...cpuFields(checkCpu.ours, checkCpu.durable),
    });
    if (reDownloaded !== 0) ctx.fail(`pop3.check10new10k: ${reDownloaded} bytes downloaded again for messages already cached`);
    if (cOurs / cBase > TARGET_RATIO) ctx.fail(`pop3.check10new10k: ratio ${(cOurs / cBase).toFixed(2)} > ${TARGET_RATIO}`);
  } finally {
    await dovecot.stop();
  }
};

/** Dovecot moves new/ files to cur/ and renames them (adding ,S= and flags): find them by base name. */
function findDelivered(maildir: string, files: string[]): string[] {
  const bases = files.map((f) => path.basename(f));
  const cur = path.join(maildir, 'cur');
  return fs.readdirSync(cur).filter((name) => bases.some((b) => name.startsWith(b))).map((name) => path.join(cur, name));
}
