// The POP3 client against the scripted fake server: state machine, login methods and their
// failures, missing UIDL/TOP/CAPA/STLS, stalls, drops, pipelining and what the log may contain.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import type { ProtocolLog } from '../../src/protocol/log';
import { connectPop3, type Pop3ConnectOptions, type Pop3Session } from '../../src/protocol/pop3';
import { generateCertificate } from '../fixtures/net';
import { splitAt, startPop3FakeServer, type Pop3FakeServer, type Pop3FakeServerOptions } from '../fixtures/pop3FakeServer';

const PASSWORD = 'pw-Secret-9';

function message(n: number, extra = ''): Buffer {
  return Buffer.from(`From: a@example.test\r\nSubject: message ${n}\r\n\r\n.line with dot ${n}\r\nbody ${n}${extra}\r\n`, 'latin1');
}

function memoryLog(): ProtocolLog & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

const servers: Pop3FakeServer[] = [];
async function fake(options: Pop3FakeServerOptions): Promise<Pop3FakeServer> {
  const server = await startPop3FakeServer({ password: PASSWORD, ...options });
  servers.push(server);
  return server;
}

function account(server: Pop3FakeServer, patch: Partial<AccountConfig> = {}): AccountConfig {
  return { id: 'fake', protocol: 'pop3', host: '127.0.0.1', port: server.port, security: 'none', user: 'u', allowPlaintextPassword: true, ...patch };
}

function connect(server: Pop3FakeServer, patch: Partial<Pop3ConnectOptions> = {}, accountPatch: Partial<AccountConfig> = {}): Promise<Pop3Session> {
  return connectPop3({ account: account(server, accountPatch), password: PASSWORD, log: memoryLog(), timeoutMs: 2000, ...patch });
}

async function failure(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (err) {
    if (MailError.is(err)) return err;
    throw err;
  }
  assert.fail('expected a MailError');
}

const CREDENTIAL_VERBS = new Set(['USER', 'PASS', 'APOP', 'AUTH', '(auth-data)']);

describe('POP3 session (scripted server)', function () {
  this.timeout(20_000);

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('state machine', () => {
    it('refuses commands after QUIT and after close() without touching the socket', async () => {
      const server = await fake({ messages: [message(1)] });
      const session = await connect(server);
      assert.equal(session.state, 'transaction');
      await session.quit();
      assert.equal(session.state, 'closed');
      assert.equal((await failure(session.stat())).code, 'ConnectionClosed');
      assert.equal((await failure(session.quit())).code, 'ConnectionClosed');

      const second = await connect(server);
      second.close();
      assert.equal((await failure(second.retr(1))).code, 'ConnectionClosed');
      assert.ok(!server.commands.some((c) => c.session === 2 && c.verb === 'RETR'));
    });

    it('rejects message numbers that are not positive whole numbers before sending', async () => {
      const server = await fake({ messages: [message(1)] });
      const session = await connect(server);
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        assert.equal((await failure(session.retr(bad))).code, 'MessageNotFound');
      }
      assert.equal((await failure(session.dele(0))).code, 'MessageNotFound');
      assert.equal((await failure(session.retrMany([1, 0], () => undefined))).code, 'MessageNotFound');
      assert.ok(!server.commands.some((c) => c.verb === 'RETR' || c.verb === 'DELE'));
      await session.quit();
    });

    it('fails the commands pending when close() is called', async () => {
      const server = await fake({ messages: [message(1)], delayMs: (verb) => (verb === 'RETR' ? 500 : 0) });
      const session = await connect(server);
      const pending = session.retr(1);
      session.close();
      assert.equal((await failure(pending)).code, 'ConnectionClosed');
    });

    it('turns -ERR to a command into CommandFailed carrying the server text', async () => {
      const server = await fake({ messages: [message(1)] });
      const session = await connect(server);
      const err = await failure(session.retr(7));
      assert.equal(err.code, 'CommandFailed');
      assert.match(err.detail ?? '', /no such message/);
      // The session is still usable after a refused command.
      assert.deepEqual(await session.stat(), { count: 1, size: message(1).length });
      await session.quit();
    });
  });

  describe('maildrop commands', () => {
    it('reads STAT, LIST, UIDL, TOP and exact RETR bytes', async () => {
      const msgs = [message(1), message(2, ' caf\xe9')];
      const server = await fake({ messages: msgs, uids: ['AAA', 'BBB'] });
      const session = await connect(server);
      assert.deepEqual(await session.stat(), { count: 2, size: msgs[0].length + msgs[1].length });
      assert.deepEqual(await session.list(), [
        { msg: 1, size: msgs[0].length },
        { msg: 2, size: msgs[1].length },
      ]);
      assert.deepEqual(await session.uidl(), [
        { msg: 1, uid: 'AAA' },
        { msg: 2, uid: 'BBB' },
      ]);
      assert.ok((await session.retr(2)).equals(msgs[1]));
      assert.equal((await session.top(1, 0)).toString('latin1'), 'From: a@example.test\r\nSubject: message 1\r\n\r\n');
      await session.quit();
    });

    it('commits DELE on QUIT and rolls it back when the session is closed without QUIT', async () => {
      const server = await fake({ messages: [message(1), message(2), message(3)] });
      const rolledBack = await connect(server);
      await rolledBack.dele(1);
      rolledBack.close();
      const committed = await connect(server);
      assert.equal((await committed.stat()).count, 3);
      await committed.dele(1);
      await committed.dele(3);
      await committed.quit();
      assert.deepEqual(
        server.maildrop().map((m) => m.uid),
        ['uid-2'],
      );
    });

    it('RSET undoes DELE within the session', async () => {
      const server = await fake({ messages: [message(1)] });
      const session = await connect(server);
      await session.dele(1);
      assert.equal((await session.stat()).count, 0);
      await session.rset();
      await session.noop();
      assert.equal((await session.stat()).count, 1);
      await session.quit();
      assert.equal(server.maildrop().length, 1);
    });

    it('reports a QUIT answered with -ERR as CommandFailed', async () => {
      const server = await fake({ messages: [message(1)], quitReply: '-ERR some deleted messages not removed' });
      const session = await connect(server);
      await session.dele(1);
      const err = await failure(session.quit());
      assert.equal(err.code, 'CommandFailed');
      assert.equal(server.maildrop().length, 1);
    });

    it('reads RETR replies cut at every byte position', async () => {
      const msg = message(1, ' \xe9\x00\xff');
      let cut = 1;
      const server = await fake({ messages: [msg], chunking: (reply, verb) => (verb === 'RETR' ? splitAt(reply, cut++) : [reply]), chunkDelayMs: 1 });
      const session = await connect(server);
      const replyLength = `+OK ${msg.length} octets\r\n`.length + msg.length + 3 + 1; // "." stuffed once, ".\r\n"
      for (let i = 1; i < replyLength; i++) {
        assert.ok((await session.retr(1)).equals(msg), `cut at ${i}`);
      }
      assert.ok(cut >= replyLength);
      await session.quit();
    });
  });

  describe('missing capabilities', () => {
    it('reports a server without UIDL as Unsupported without sending UIDL', async () => {
      const server = await fake({ messages: [message(1)], uidl: false });
      const session = await connect(server);
      assert.equal(session.capabilities.uidl, false);
      const err = await failure(session.uidl());
      assert.equal(err.code, 'Unsupported');
      assert.match(err.message, /UIDL/);
      assert.ok(!server.commands.some((c) => c.verb === 'UIDL'));
      assert.ok((await session.retr(1)).equals(message(1)), 'RETR still works');
      await session.quit();
    });

    it('reports a server without TOP as Unsupported', async () => {
      const server = await fake({ messages: [message(1)], top: false });
      const session = await connect(server);
      assert.equal((await failure(session.top(1, 0))).code, 'Unsupported');
      await session.quit();
    });

    it('logs in to a server without CAPA with USER/PASS and finds UIDL and TOP missing by trying', async () => {
      const server = await fake({ messages: [message(1)], capa: false, uidl: false, top: false, apop: false });
      const session = await connect(server);
      assert.equal(session.capabilities.raw, undefined);
      assert.equal(session.capabilities.uidl, undefined);
      assert.equal((await failure(session.uidl())).code, 'Unsupported');
      assert.equal((await failure(session.top(1, 0))).code, 'Unsupported');
      assert.ok(server.commands.some((c) => c.verb === 'UIDL'), 'UIDL was tried');
      assert.deepEqual(
        server.commands.filter((c) => CREDENTIAL_VERBS.has(c.verb)).map((c) => c.verb),
        ['USER', 'PASS'],
      );
      await session.quit();
    });
  });

  describe('login', () => {
    for (const method of ['apop', 'user', 'plain', 'login', 'cram-md5', 'xoauth2'] as const) {
      it(`logs in with ${method.toUpperCase()}`, async () => {
        const server = await fake({ messages: [message(1)], sasl: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] });
        const session = await connect(server, { auth: method });
        assert.equal((await session.stat()).count, 1);
        await session.quit();
        const first = server.commands.find((c) => CREDENTIAL_VERBS.has(c.verb) && c.verb !== '(auth-data)');
        const expected = { apop: 'APOP', user: 'USER', plain: 'AUTH', login: 'AUTH', 'cram-md5': 'AUTH', xoauth2: 'AUTH' }[method];
        assert.equal(first?.verb, expected);
      });
    }

    it("'auto' prefers CRAM-MD5, then APOP, then PLAIN", async () => {
      const cram = await fake({ sasl: ['PLAIN', 'CRAM-MD5'] });
      (await connect(cram)).close();
      assert.ok(cram.commands.some((c) => c.line === 'AUTH CRAM-MD5'));
      const apop = await fake({ sasl: ['PLAIN'] });
      (await connect(apop)).close();
      assert.ok(apop.commands.some((c) => c.verb === 'APOP'));
      const plain = await fake({ sasl: ['LOGIN', 'PLAIN'], apop: false });
      (await connect(plain)).close();
      assert.ok(plain.commands.some((c) => c.line.startsWith('AUTH PLAIN ')));
    });

    it('reports a wrong password as AuthFailed without the password in the error', async () => {
      for (const method of ['user', 'apop', 'plain', 'login', 'cram-md5', 'xoauth2'] as const) {
        const server = await fake({ sasl: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] });
        const err = await failure(connect(server, { auth: method, password: 'wrong-Password-1' }));
        assert.equal(err.code, 'AuthFailed', method);
        assert.ok(!`${err.message} ${err.detail ?? ''}`.includes('wrong-Password-1'), method);
      }
    });

    it('reports -ERR [IN-USE] as MailboxInUse in words', async () => {
      const server = await fake({ loginReply: '-ERR [IN-USE] Do you have another POP session running?' });
      const err = await failure(connect(server));
      assert.equal(err.code, 'MailboxInUse');
      assert.match(err.message, /in use by another session/);
    });

    it('reports [LOGIN-DELAY] as LoginDelayed, with the delay from CAPA in minutes', async () => {
      const server = await fake({ loginReply: '-ERR [LOGIN-DELAY] Wait a bit', extraCapa: ['LOGIN-DELAY 900'] });
      const err = await failure(connect(server));
      assert.equal(err.code, 'LoginDelayed');
      assert.match(err.message, /every 15 minutes/);
    });

    it('refuses a method the server does not list, before sending credentials', async () => {
      const server = await fake({ sasl: ['PLAIN'] });
      assert.equal((await failure(connect(server, { auth: 'cram-md5' }))).code, 'Unsupported');
      const noApop = await fake({ apop: false });
      assert.equal((await failure(connect(noApop, { auth: 'apop' }))).code, 'Unsupported');
      assert.ok(![...server.commands, ...noApop.commands].some((c) => CREDENTIAL_VERBS.has(c.verb)));
    });

    it('never puts a password on an unencrypted link unless the account allows it', async () => {
      const server = await fake({});
      const err = await failure(connect(server, {}, { allowPlaintextPassword: false }));
      assert.equal(err.code, 'InsecureAuthRefused');
      assert.equal(server.sessions, 0, 'no connection was opened');
    });

    it('stops before credentials when a starttls account meets a server without STLS', async () => {
      const server = await fake({ messages: [message(1)] });
      const err = await failure(connect(server, {}, { security: 'starttls', allowPlaintextPassword: false }));
      assert.equal(err.code, 'StartTlsUnavailable');
      assert.ok(server.commands.length > 0, 'the server was reached');
      assert.ok(!server.commands.some((c) => CREDENTIAL_VERBS.has(c.verb)), server.commands.map((c) => c.line).join(', '));
    });

    it('stops before credentials when a server without CAPA refuses STLS', async () => {
      const server = await fake({ capa: false });
      const err = await failure(connect(server, {}, { security: 'starttls' }));
      assert.equal(err.code, 'StartTlsUnavailable');
      assert.deepEqual(
        server.commands.map((c) => c.verb),
        ['CAPA', 'STLS'],
      );
    });

    it('stops before credentials when STLS is listed in CAPA but answered -ERR (STLS stripped on the path)', async () => {
      const server = await fake({ messages: [message(1)], extraCapa: ['STLS'] });
      const err = await failure(connect(server, {}, { security: 'starttls', allowPlaintextPassword: false }));
      assert.equal(err.code, 'StartTlsUnavailable');
      assert.deepEqual(
        server.commands.map((c) => c.verb),
        ['CAPA', 'STLS'],
      );
    });

    it('trusts nothing injected after the +OK to STLS and sends no credentials, in the same packet or a later one', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-pop3-cert-'));
      try {
        const cert = generateCertificate(dir);
        // What an attacker would inject: a CAPA answer offering plaintext logins, then a login +OK.
        const data = '+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n+OK logged in\r\n';
        // A pinned certificate is checked on the session's own handshake (no connection of its own
        // reads it first): injected in the same packet as the +OK, or while the handshake runs.
        // (A failed handshake is followed by one more, credential-free, to name an outdated TLS.)
        for (const [delayMs, fromSession] of [
          [0, 1],
          [50, 1],
        ]) {
          const server = await fake({ messages: [message(1)], tls: { certPem: cert.certPem, keyPem: cert.keyPem }, afterStlsOk: { data, delayMs, fromSession } });
          const err = await failure(connect(server, {}, { security: 'starttls', allowPlaintextPassword: false, trustedCertificateSha256: cert.sha256 }));
          const what = `${delayMs} ms later, from connection ${fromSession}`;
          assert.equal(err.code, 'TlsFailed', `${what}: ${err.message}`);
          const verbs = server.commands.map((c) => c.verb);
          assert.ok(verbs.every((v) => v === 'CAPA' || v === 'STLS'), `${what}: ${verbs.join(', ')}`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('upgrades with STLS to a pinned certificate and logs in over TLS', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-pop3-cert-'));
      try {
        const cert = generateCertificate(dir);
        const server = await fake({ messages: [message(1)], tls: { certPem: cert.certPem, keyPem: cert.keyPem } });
        const untrusted = await failure(connect(server, {}, { security: 'starttls', allowPlaintextPassword: false }));
        assert.equal(untrusted.code, 'CertificateUntrusted');
        assert.equal(untrusted.certificate?.sha256, cert.sha256);
        assert.ok(!server.commands.some((c) => CREDENTIAL_VERBS.has(c.verb)));
        const session = await connect(server, {}, { security: 'starttls', allowPlaintextPassword: false, trustedCertificateSha256: cert.sha256 });
        assert.ok((await session.retr(1)).equals(message(1)));
        assert.equal(session.capabilities.stls, false, 'CAPA re-read after TLS');
        await session.quit();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('failures on the wire', () => {
    it('times out a stalled RETR within the budget and closes the session', async () => {
      const server = await fake({ messages: [message(1)], stallOn: ['RETR'] });
      const session = await connect(server, { timeoutMs: 400 });
      const started = Date.now();
      const err = await failure(session.retr(1));
      assert.equal(err.code, 'Timeout');
      assert.ok(Date.now() - started < 2000);
      assert.equal(session.state, 'closed');
    });

    it('a RETR dripped for longer than the inactivity timeout completes, and a command stalled behind it still times out', async () => {
      // One timer serves the whole pipeline: progress on the RETR must keep it alive, and the
      // next command's own silence must still end the session.
      const server = await fake({ messages: [message(1, ' '.repeat(60))], pipelining: true, drip: { verbs: ['RETR'], intervalMs: 4 }, stallOn: ['DELE'] });
      const session = await connect(server, { timeoutMs: 250 });
      const retr = session.retr(1);
      const dele = failure(session.dele(1));
      const retrStarted = Date.now();
      assert.ok((await retr).equals(message(1, ' '.repeat(60))), 'the dripped message arrives whole');
      assert.ok(Date.now() - retrStarted > 250, 'it took longer than the inactivity timeout (so the timer was re-armed on progress)');
      const err = await dele;
      assert.equal(err.code, 'Timeout');
      assert.match(err.message, /did not answer DELE/);
      assert.equal(session.state, 'closed');
    });

    it('times out a server that never greets', async () => {
      const server = await fake({ stallOn: ['(greeting)'] });
      const started = Date.now();
      assert.equal((await failure(connect(server, { timeoutMs: 400 }))).code, 'Timeout');
      assert.ok(Date.now() - started < 2000);
    });

    it('keeps a slow but steady reply alive: the timeout counts time without progress', async () => {
      const big = Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(70)}\r\n`.repeat(40), 'latin1');
      const server = await fake({ messages: [big], chunking: (reply, verb) => (verb === 'RETR' ? splitAt(reply, ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => i * 300)) : [reply]), chunkDelayMs: 150 });
      const session = await connect(server, { timeoutMs: 400 });
      assert.ok((await session.retr(1)).equals(big));
      await session.quit();
    });

    it('reports a connection dropped mid-RETR as ConnectionClosed', async () => {
      const server = await fake({ messages: [message(1), message(2)], dropDuringRetrOf: 2 });
      const session = await connect(server);
      assert.ok((await session.retr(1)).equals(message(1)));
      assert.equal((await failure(session.retr(2))).code, 'ConnectionClosed');
      assert.equal(session.state, 'closed');
    });

    it('closes the session on an unsolicited -ERR and reports the server text on the next command', async () => {
      const server = await fake({ messages: [message(1)], unsolicited: { afterVerb: 'STAT', line: '-ERR autologout: idle for too long' } });
      const session = await connect(server);
      await session.stat();
      await waitFor(() => session.state === 'closed');
      const err = await failure(session.noop());
      assert.equal(err.code, 'ConnectionClosed');
      assert.match(err.message, /autologout/);
    });

    it('stops a 10 MB greeting line with LimitExceeded', async () => {
      const server = await fake({ greeting: `+OK ${'x'.repeat(10 * 1024 * 1024)}` });
      const err = await failure(connect(server, { timeoutMs: 5000 }));
      assert.equal(err.code, 'LimitExceeded');
    });

    it('reads a greeting full of "<" and "@" in milliseconds, and stops one over the status-line limit', async () => {
      // Before TLS on STLS accounts, so anyone on the path can send it; the old timestamp pattern
      // took 22 s of CPU on 200,000 such characters, with the event loop blocked.
      const hostile = await fake({ greeting: `+OK <${'@'.repeat(60_000)} ready <1.2@pop.test>` });
      let started = Date.now();
      const session = await connect(hostile, { auth: 'user' });
      assert.ok(Date.now() - started < 500, `connected in ${Date.now() - started} ms`);
      assert.equal(session.apopTimestamp, '<1.2@pop.test>');
      await session.quit();

      const huge = await fake({ greeting: `+OK <${'@'.repeat(200_000)}` });
      started = Date.now();
      const err = await failure(connect(huge));
      assert.equal(err.code, 'LimitExceeded');
      assert.ok(Date.now() - started < 500, `failed in ${Date.now() - started} ms`);
    });

    it('stops a message over maxMessageBytes with LimitExceeded', async () => {
      const server = await fake({ messages: [Buffer.from(`Subject: x\r\n\r\n${'y'.repeat(5000)}\r\n`)] });
      const session = await connect(server, { limits: { maxMessageBytes: 1000 } });
      assert.equal((await failure(session.retr(1))).code, 'LimitExceeded');
    });
  });

  describe('retrMany', () => {
    const many = Array.from({ length: 40 }, (_, i) => message(i + 1));

    it('pipelines RETR in a bounded window when the server offers PIPELINING', async () => {
      const server = await fake({ messages: many, pipelining: true, delayMs: (verb) => (verb === 'RETR' ? 2 : 0) });
      const session = await connect(server, { limits: { pipelineDepth: 8 } });
      const got: number[] = [];
      await session.retrMany(
        many.map((_, i) => i + 1),
        (msg, bytes) => {
          assert.ok(bytes.equals(many[msg - 1]));
          got.push(msg);
        },
      );
      assert.deepEqual(
        got,
        many.map((_, i) => i + 1),
      );
      assert.ok(server.maxUnanswered > 1, `pipelined (max ${server.maxUnanswered} unanswered)`);
      assert.ok(server.maxUnanswered <= 8, `bounded (max ${server.maxUnanswered} unanswered)`);
      await session.quit();
    });

    it('refills the window half a window at a time, so RETRs leave in a few writes, not one per message', async () => {
      // Replies a little apart, so each arrives in a read of its own (the worst case for batching).
      const server = await fake({ messages: many, pipelining: true, delayMs: (verb) => (verb === 'RETR' ? 2 : 0) });
      const session = await connect(server, { limits: { pipelineDepth: 8 } });
      let count = 0;
      await session.retrMany(
        many.map((_, i) => i + 1),
        () => void count++,
      );
      assert.equal(count, many.length);
      const retrs = server.commands.filter((c) => c.verb === 'RETR');
      assert.deepEqual(
        retrs.map((c) => Number(c.line.split(' ')[1])),
        many.map((_, i) => i + 1),
        'every message asked for once, in order',
      );
      // A refill is 4 commands (half of 8) in one write; TCP may merge writes, never split a line.
      const reads = new Set(retrs.map((c) => c.read));
      assert.ok(reads.size <= Math.ceil((many.length - 8) / 4) + 1, `${reads.size} reads carried the ${many.length} RETRs`);
      assert.ok(retrs.every((c) => c.unanswered < 8), 'never more than the window in flight');
      await session.quit();
    });

    it('sends one command at a time to a server without PIPELINING', async () => {
      const server = await fake({ messages: many });
      const session = await connect(server);
      let count = 0;
      await session.retrMany([1, 2, 3, 4, 5], () => void count++);
      assert.equal(count, 5);
      assert.equal(server.maxUnanswered, 1);
      await session.quit();
    });

    it('stops when onMessage rejects and leaves the session usable', async () => {
      const server = await fake({ messages: many, pipelining: true });
      const session = await connect(server);
      const seen: number[] = [];
      await assert.rejects(
        session.retrMany([1, 2, 3, 4, 5, 6], async (msg) => {
          seen.push(msg);
          if (msg === 3) throw new Error('disk full');
          await Promise.resolve();
        }),
        /disk full/,
      );
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal((await session.stat()).count, 40);
      await session.quit();
    });
  });

  describe('protocol log', () => {
    it('never logs the password or SASL payloads, and logs message bodies only as sizes', async () => {
      for (const method of ['user', 'apop', 'plain', 'login', 'cram-md5', 'xoauth2'] as const) {
        const server = await fake({ messages: [message(1, ' TOPSECRETBODY')], sasl: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] });
        const log = memoryLog();
        const session = await connect(server, { auth: method, log });
        await session.retr(1);
        await session.quit();
        const text = log.lines.join('\n');
        const sent = server.commands.filter((c) => c.verb === 'AUTH' || c.verb === '(auth-data)' || c.verb === 'PASS' || c.verb === 'APOP');
        assert.ok(sent.length > 0, method);
        assert.ok(!text.includes(PASSWORD), `${method}: password in log`);
        for (const c of sent) {
          const secretPart = c.line.split(' ').pop() ?? '';
          if (secretPart.length > 8) assert.ok(!text.includes(secretPart), `${method}: "${c.line}" in log`);
        }
        assert.ok(!text.includes('TOPSECRETBODY'), `${method}: body in log`);
        assert.match(text, /\(\d+ bytes of data\)/);
      }
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
