// The POP3 client against servers that drip their answers one byte at a time: every byte looks
// like progress, so only a deadline that trickling cannot stretch ends the command. The pace is
// configured small here, so each test finishes within a few seconds.
import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { silentLog } from '../../src/protocol/log';
import { connectPop3, type Pop3ConnectOptions, type Pop3Session } from '../../src/protocol/pop3';
import { splitAt, startPop3FakeServer, type Pop3FakeServer, type Pop3FakeServerOptions } from '../fixtures/pop3FakeServer';

const PASSWORD = 'pw-Pace-3';
/** Small numbers so a too-slow server fails in well under a second. */
const PACE = { graceMs: 400, minBytesPerSecond: 2000 };
/** Longer than any gap between dripped bytes: the inactivity timeout alone never fires. */
const IDLE_TIMEOUT_MS = 1500;
/** What a test may take at most; the old client ran for ever. */
const BUDGET_MS = 3000;

function message(size: number): Buffer {
  const line = `${'x'.repeat(70)}\r\n`;
  return Buffer.from(`From: a@example.test\r\nSubject: pace\r\n\r\n${line.repeat(Math.ceil(size / line.length))}`, 'latin1');
}

describe('POP3 pace: servers that drip their answers', function () {
  this.timeout(15_000);
  const servers: Pop3FakeServer[] = [];
  const open: Pop3Session[] = [];

  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function fake(options: Pop3FakeServerOptions): Promise<Pop3FakeServer> {
    const server = await startPop3FakeServer({ password: PASSWORD, ...options });
    servers.push(server);
    return server;
  }

  async function connect(server: Pop3FakeServer, patch: Partial<Pop3ConnectOptions> = {}): Promise<Pop3Session> {
    const account: AccountConfig = { id: 'pace', protocol: 'pop3', host: server.host, port: server.port, security: 'none', user: 'u', allowPlaintextPassword: true };
    const session = await connectPop3({ account, password: PASSWORD, log: silentLog, timeoutMs: IDLE_TIMEOUT_MS, pace: PACE, auth: 'user', ...patch });
    open.push(session);
    return session;
  }

  /** The error `work` fails with, and how long it took; fails the test when it outlasts BUDGET_MS. */
  async function failsWithin<T>(work: Promise<T>): Promise<{ err: MailError; ms: number }> {
    const started = Date.now();
    let guard: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      work.then(
        () => 'finished' as const,
        (err: unknown) => err,
      ),
      new Promise<'still running'>((resolve) => (guard = setTimeout(() => resolve('still running'), BUDGET_MS))),
    ]);
    clearTimeout(guard);
    const ms = Date.now() - started;
    assert.notEqual(outcome, 'still running', `still waiting after ${BUDGET_MS} ms`);
    assert.ok(MailError.is(outcome), `expected a MailError, got ${String(outcome)}`);
    return { err: outcome, ms };
  }

  it('fails a RETR dripped one byte every 10 ms with Timeout saying the server is too slow', async () => {
    const server = await fake({ messages: [message(8 * 1024)], drip: { verbs: ['RETR'], intervalMs: 10 } });
    const session = await connect(server);
    await session.list();
    const heapBefore = process.memoryUsage().heapUsed;
    const { err, ms } = await failsWithin(session.retr(1));
    assert.equal(err.code, 'Timeout');
    assert.match(err.message, /too slow/);
    assert.match(err.message, /answer to RETR/);
    // 100 bytes/s against 2,000 wanted: the grace (400 ms) and the few bytes' credit, then the end.
    assert.ok(ms >= PACE.graceMs - 50 && ms < 1500, `failed after ${ms} ms`);
    assert.equal(session.state, 'closed');
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 16 * 1024 * 1024, 'nothing piled up while waiting');
  });

  it('fails a greeting dripped one byte every 50 ms, before anything is sent', async () => {
    const server = await fake({ greeting: `+OK ${'slow '.repeat(40)}`, drip: { verbs: ['(greeting)'], intervalMs: 50 } });
    const { err, ms } = await failsWithin(connect(server));
    assert.equal(err.code, 'Timeout');
    assert.match(err.message, /too slow: its greeting/);
    assert.ok(ms < 1500, `failed after ${ms} ms`);
    assert.deepEqual(server.commands, [], 'no command, no credential');
  });

  it('fails a CAPA listing dripped byte by byte, however small', async () => {
    const server = await fake({ extraCapa: Array.from({ length: 20 }, (_, i) => `X-PADDING-${i}`), drip: { verbs: ['CAPA'], intervalMs: 20 } });
    const { err, ms } = await failsWithin(connect(server));
    assert.equal(err.code, 'Timeout');
    assert.match(err.message, /answer to CAPA/);
    assert.ok(ms < 1500, `failed after ${ms} ms`);
    assert.ok(!server.commands.some((c) => ['USER', 'PASS'].includes(c.verb)));
  });

  it('lets a slow but steady RETR above the minimum rate finish, longer than the grace', async () => {
    // 64 KB in 2 KB pieces every 40 ms: about 50 KB/s, 1.3 s in all.
    const big = message(64 * 1024);
    const server = await fake({ messages: [big], chunking: (reply, verb) => (verb === 'RETR' ? splitAt(reply, ...Array.from({ length: 40 }, (_, i) => (i + 1) * 2048)) : [reply]), chunkDelayMs: 40 });
    const session = await connect(server, { pace: { graceMs: 400, minBytesPerSecond: 8000 } });
    const started = Date.now();
    assert.ok((await session.retr(1)).equals(big));
    assert.ok(Date.now() - started > 400, 'the transfer outlasted the grace');
    await session.quit();
  });
});
