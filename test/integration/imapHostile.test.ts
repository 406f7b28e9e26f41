// Opening a message from servers that are hostile in the FETCH answer (test/fixtures/imapHostileServers):
// each must end fast, with LimitExceeded or Timeout in words the user can act on, within a memory
// budget, and without the operation being run a second time.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MailError } from '../../src/protocol/errors';
import type { ImapLimits } from '../../src/protocol/imap/limits';
import { ImapAccountSession } from '../../src/protocol/imap/session';
import { silentLog } from '../../src/protocol/log';
import { buildAccount, sleep, waitFor } from '../fixtures/accountHarness';
import type { FakeServer } from '../fixtures/probeFakeServers';
import { connectImap } from '../../src/protocol/imap/connect';
import { connectionFailure } from '../../src/protocol/imap/connectionFailure';
import { fetchMessageSource } from '../../src/protocol/imap/messages';
import { deeplyNestedFetch, dripsCapabilityAnswer, dripsFetchLiteral, endlessFetchLine, HostileImapServer, hugeFetchLiteral, silentOnFetch } from '../fixtures/imapHostileServers';
import { givenPassword } from '../../src/protocol/credentials';

interface Outcome {
  /** The MailError code, 'ok' with the bytes read, or 'no result' when `giveUpMs` passed first. */
  code: string;
  message: string;
  bytes: number;
  ms: number;
  /** Highest RSS seen while the operation ran, minus RSS before it, in MiB. */
  peakRssGrowthMiB: number;
}

function sessionFor(server: FakeServer, limits: Partial<ImapLimits>): ImapAccountSession {
  return new ImapAccountSession({
    account: { id: 'hostile', protocol: 'imap', host: '127.0.0.1', port: server.port, security: 'none', user: 'u', allowPlaintextPassword: true },
    credentials: givenPassword('pw'),
    log: silentLog,
    timeoutMs: 5000,
    supervisor: { maxConnections: 1, limits },
  });
}

/** Opens UID 1 of INBOX through the session (the supervisor, its retry and error mapping). */
async function openMessage(server: HostileImapServer, limits: Partial<ImapLimits> = {}, giveUpMs = 15_000): Promise<Outcome> {
  const session = sessionFor(server, limits);
  await session.verify();
  const before = process.memoryUsage.rss();
  const highWaterBefore = process.resourceUsage().maxRSS * 1024;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ code: 'no result', message: `nothing after ${giveUpMs} ms`, bytes: 0, ms: giveUpMs, peakRssGrowthMiB: 0 }), giveUpMs);
  });
  try {
    const attempt = session.fetchSource('INBOX', 1).then(
      (source) => ({ code: 'ok', message: '', bytes: source.length }),
      (err: unknown) => ({ code: MailError.is(err) ? err.code : `not a MailError: ${String(err)}`, message: err instanceof Error ? err.message : String(err), bytes: 0 }),
    );
    const outcome = await Promise.race([attempt.then((r) => ({ ...r, ms: Date.now() - started, peakRssGrowthMiB: 0 })), giveUp]);
    // The sampler cannot run while a parse blocks the event loop; the process's high-water mark
    // (maxRSS) catches that peak whenever it is a new high for the process.
    const highWater = process.resourceUsage().maxRSS * 1024;
    if (highWater > highWaterBefore) peak = Math.max(peak, highWater);
    return { ...outcome, peakRssGrowthMiB: Math.round((peak - before) / 1024 / 1024) };
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    await session.close();
  }
}

describe('IMAP against servers hostile in the FETCH answer', function () {
  this.timeout(60_000);
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('a FETCH answer dripped a byte at a time fails with Timeout once the minimum rate is not kept', async () => {
    const hostile = (server = await dripsFetchLiteral({ size: 100_000, bytesPerTick: 1, tickMs: 50 }));
    const result = await openMessage(hostile, { commandGraceMs: 1000, minBytesPerSecond: 16 * 1024 });
    assert.equal(result.code, 'Timeout', `${result.code}: ${result.message}`);
    assert.match(result.message, /too slow/);
    assert.ok(result.ms < 4000, `ended after ${result.ms} ms with a 1 s grace`);
    assert.equal(hostile.fetches, 1, 'a timed-out FETCH is not run again');
  });

  it('a capability list dripped before login fails the connection with Timeout: the deadline covers connect too', async () => {
    server = await dripsCapabilityAnswer({ bytesPerTick: 1, tickMs: 50 });
    const session = sessionFor(server, { commandGraceMs: 1000 });
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        session.verify().then(() => 'connected', (err: unknown) => (MailError.is(err) ? `${err.code}: ${err.message}` : String(err))),
        new Promise<string>((resolve) => (timer = setTimeout(() => resolve('no result after 15 s'), 15_000))),
      ]);
      assert.match(outcome, /^Timeout: .*too slow/);
      assert.ok(Date.now() - started < 4000, `ended after ${Date.now() - started} ms with a 1 s grace`);
    } finally {
      clearTimeout(timer);
      await session.close();
    }
  });

  it('a FETCH answer that is slow but keeps the minimum rate completes past the grace period', async () => {
    const hostile = (server = await dripsFetchLiteral({ size: 6000, bytesPerTick: 300, tickMs: 100 }));
    const result = await openMessage(hostile, { commandGraceMs: 500, minBytesPerSecond: 1024 });
    assert.equal(result.code, 'ok', `${result.code}: ${result.message}`);
    assert.equal(result.bytes, 6000);
    assert.ok(result.ms > 1500, `took ${result.ms} ms, so it ran well past the 500 ms grace`);
  });

  it('a 256 MB literal is refused when announced, with LimitExceeded, under the default limits', async () => {
    const hostile = (server = await hugeFetchLiteral(256 * 1024 * 1024));
    const result = await openMessage(hostile);
    assert.equal(result.code, 'LimitExceeded', `${result.code}: ${result.message}`);
    assert.match(result.message, /256 MB/);
    assert.doesNotMatch(result.message, /port and security/);
    assert.ok(result.ms < 5000, `ended after ${result.ms} ms`);
    assert.ok(result.peakRssGrowthMiB < 32, `peak RSS grew by ${result.peakRssGrowthMiB} MiB`);
    assert.equal(hostile.fetches, 1, 'a FETCH that failed on a limit is not run again');
  });

  it('a literal above a configured limit is refused with LimitExceeded', async () => {
    const hostile = (server = await hugeFetchLiteral(3 * 1024 * 1024));
    const result = await openMessage(hostile, { maxLiteralBytes: 1024 * 1024 });
    assert.equal(result.code, 'LimitExceeded', `${result.code}: ${result.message}`);
    assert.equal(hostile.fetches, 1);
  });

  it('a FETCH answer nested a million parentheses deep fails with LimitExceeded within a memory budget', async () => {
    const hostile = (server = await deeplyNestedFetch(1024 * 1024));
    const result = await openMessage(hostile);
    assert.equal(result.code, 'LimitExceeded', `${result.code}: ${result.message}`);
    assert.ok(result.ms < 5000, `ended after ${result.ms} ms`);
    assert.ok(result.peakRssGrowthMiB < 96, `peak RSS grew by ${result.peakRssGrowthMiB} MiB`);
    assert.equal(hostile.fetches, 1);
  });

  it('a 50 MB line without CRLF fails with LimitExceeded at the line limit, not at a socket timeout', async () => {
    const hostile = (server = await endlessFetchLine(50 * 1024 * 1024));
    const result = await openMessage(hostile);
    assert.equal(result.code, 'LimitExceeded', `${result.code}: ${result.message}`);
    assert.match(result.message, /line/);
    assert.ok(result.ms < 5000, `ended after ${result.ms} ms`);
    assert.ok(result.peakRssGrowthMiB < 96, `peak RSS grew by ${result.peakRssGrowthMiB} MiB`);
    assert.equal(hostile.fetches, 1);
  });

  it('a folder sync that failed on a limit is not run again by the reconnect that follows it', async () => {
    const hostile = (server = await hugeFetchLiteral(256 * 1024 * 1024));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-hostile-'));
    const config = { id: 'hostile', protocol: 'imap' as const, host: '127.0.0.1', port: hostile.port, security: 'none' as const, user: 'u', allowPlaintextPassword: true };
    const built = buildAccount(config, 'pw', { root }, { supervisor: { maxConnections: 1, idle: { path: 'INBOX', enabled: false } } });
    try {
      const failed = new Promise<string>((resolve) => built.account.onDidChangeFolder((e) => e.error && resolve(e.error.code)));
      await built.account.openFolder('INBOX');
      assert.equal(await failed, 'LimitExceeded');
      await waitFor('reconnected', () => built.supervisor.state() === 'online' && hostile.connections >= 2);
      await sleep(1500);
      assert.equal(hostile.fetches, 1, `the sync ran ${hostile.fetches} times`);
      // Asking for it is still possible, and fails the same way.
      await assert.rejects(built.account.sync('INBOX'), (err: unknown) => MailError.is(err, 'LimitExceeded'));
      assert.equal(hostile.fetches, 2);
    } finally {
      built.account.dispose();
      await built.supervisor.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a FETCH the server never answers ends at the socket timeout as Timeout, not as a closed connection', async () => {
    const hostile = (server = await silentOnFetch());
    const account = { id: 'silent', protocol: 'imap' as const, host: '127.0.0.1', port: hostile.port, security: 'none' as const, user: 'u', allowPlaintextPassword: true };
    const client = await connectImap({ account, password: 'pw', log: silentLog, timeoutMs: 5000, socketTimeoutMs: 500 });
    try {
      const started = Date.now();
      await assert.rejects(fetchMessageSource(client, 'INBOX', 1), (err: unknown) => (err as { code?: unknown }).code === 'NoConnection');
      const cause = connectionFailure(client);
      assert.equal(cause?.code, 'Timeout', `${cause?.code}: ${cause?.message}`);
      assert.match(cause.message, /did not answer in time/);
      assert.ok(Date.now() - started < 4000, `ended after ${Date.now() - started} ms`);
    } finally {
      client.close();
    }
  });
});
