// The IMAP layer against servers that misbehave: each failure must end quickly in a MailError
// with a stable code, never a hang or an unhandled error.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { MailError } from '../../src/protocol/errors';
import { ImapAccountSession } from '../../src/protocol/imap/session';
import { silentLog } from '../../src/protocol/log';
import { givenPassword } from '../../src/protocol/credentials';

type Behaviour = (socket: net.Socket) => void;

async function withFakeServer<T>(behaviour: Behaviour, body: (port: number) => Promise<T>): Promise<T> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    behaviour(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    return await body((server.address() as net.AddressInfo).port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function failureOf(port: number, timeoutMs = 1500): Promise<{ code: string; ms: number }> {
  const session = new ImapAccountSession({
    account: { id: 'x', protocol: 'imap', host: '127.0.0.1', port, security: 'none', user: 'u', allowPlaintextPassword: true },
    credentials: givenPassword('pw'),
    log: silentLog,
    timeoutMs,
  });
  const started = Date.now();
  try {
    await session.listFolders();
    return { code: 'no error', ms: Date.now() - started };
  } catch (err) {
    return { code: MailError.is(err) ? err.code : `not a MailError: ${String(err)}`, ms: Date.now() - started };
  } finally {
    await session.close();
  }
}

describe('IMAP against misbehaving servers', function () {
  this.timeout(20_000);

  it('a server that sends garbage instead of a greeting ends at the greeting timeout', async () => {
    // imapflow skips lines it cannot take as a greeting and waits for one; the greeting timeout ends it.
    const result = await withFakeServer((s) => s.write('\x00\xffHTTP/1.1 400 Bad Request\r\n\r\n'), (port) => failureOf(port));
    assert.equal(result.code, 'Timeout');
    assert.ok(result.ms < 5000, `ended in ${result.ms} ms`);
  });

  it('a server that never greets times out within the configured budget', async () => {
    const result = await withFakeServer(() => undefined, (port) => failureOf(port, 800));
    assert.equal(result.code, 'Timeout');
    assert.ok(result.ms < 5000, `ended in ${result.ms} ms`);
  });

  it('a server that hangs up right after the greeting is a closed connection', async () => {
    const result = await withFakeServer((s) => s.end('* OK fake\r\n'), (port) => failureOf(port));
    assert.equal(result.code, 'ConnectionClosed');
  });

  it('a server that answers LOGIN with NO is an authentication failure', async () => {
    const result = await withFakeServer((s) => {
      s.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake\r\n');
      s.on('data', (data) => {
        for (const line of data.toString().split('\r\n').filter(Boolean)) {
          const [tag, command] = line.split(' ');
          if (/^CAPABILITY$/i.test(command)) s.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
          else if (/^(LOGIN|AUTHENTICATE)$/i.test(command)) s.write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
          else if (/^(ID|ENABLE|NOOP)$/i.test(command)) s.write(`${tag} OK done\r\n`);
          else s.write(`${tag} BAD unexpected\r\n`);
        }
      });
    }, (port) => failureOf(port));
    assert.equal(result.code, 'AuthFailed');
  });
});
