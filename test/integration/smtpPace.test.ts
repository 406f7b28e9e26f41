// Sending to an SMTP server that drips a reply one byte at a time: nodemailer's socketTimeout is
// an idle timeout, restarted by every byte, so only a deadline for the whole send ends it. The
// pace is configured small here, so each test finishes within a few seconds.
import * as assert from 'node:assert/strict';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { silentLog } from '../../src/protocol/log';
import { sendRaw, type SmtpTarget } from '../../src/protocol/smtp/send';
import { startSmtpDripServer, type SmtpDripServer } from '../fixtures/smtpDripServer';

const PACE = { graceMs: 600, minBytesPerSecond: 10_000 };
/** What a test may take at most; without the deadline a dripped EHLO reply ran for minutes. */
const BUDGET_MS = 4000;
const ENVELOPE = { from: 'alice@example.test', to: ['bob@example.test'] };
const RAW = Buffer.from('From: alice@example.test\r\nTo: bob@example.test\r\nSubject: pace\r\n\r\nhello\r\n');

describe('SMTP pace: a server that drips its replies', function () {
  this.timeout(15_000);
  let server: SmtpDripServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function target(port: number): SmtpTarget {
    const account: AccountConfig = {
      id: 'smtp-pace',
      protocol: 'imap',
      host: '127.0.0.1',
      port: 1,
      security: 'none',
      user: 'alice',
      allowPlaintextPassword: true,
      smtp: { host: '127.0.0.1', port, security: 'none', allowPlaintextPassword: true },
    };
    return { account, password: '', log: silentLog, timeoutMs: 2000, pace: PACE };
  }

  async function sendFailsWithin(port: number): Promise<{ err: MailError; ms: number }> {
    const started = Date.now();
    let guard: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      sendRaw(target(port), ENVELOPE, RAW).then(
        () => 'sent' as const,
        (err: unknown) => err,
      ),
      new Promise<'still running'>((resolve) => (guard = setTimeout(() => resolve('still running'), BUDGET_MS))),
    ]);
    clearTimeout(guard);
    assert.notEqual(outcome, 'still running', `still sending after ${BUDGET_MS} ms`);
    assert.ok(MailError.is(outcome), `expected a MailError, got ${String(outcome)}`);
    return { err: outcome, ms: Date.now() - started };
  }

  for (const dripAfter of ['EHLO', '.']) {
    it(`ends a send whose ${dripAfter === '.' ? 'final reply after DATA' : `${dripAfter} reply`} is dripped one byte every 50 ms with Timeout`, async () => {
      server = await startSmtpDripServer({ dripAfter, intervalMs: 50 });
      const { err, ms } = await sendFailsWithin(server.port);
      assert.equal(err.code, 'Timeout');
      assert.match(err.message, /too slow/);
      assert.ok(ms >= PACE.graceMs - 50 && ms < 2500, `failed after ${ms} ms`);
    });
  }

  it('sends through the same server when it answers at once', async () => {
    server = await startSmtpDripServer({ dripAfter: undefined, intervalMs: 50 });
    const result = await sendRaw(target(server.port), ENVELOPE, RAW);
    assert.deepEqual(result.accepted, ['bob@example.test']);
    assert.deepEqual(server.commands.slice(0, 5), ['EHLO', 'MAIL', 'RCPT', 'DATA', '.']);
  });
});
