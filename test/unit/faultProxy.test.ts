import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { FaultProxy } from '../fixtures/faultProxy';

/** A server that sends `greeting`, then echoes what it gets. */
async function echoServer(greeting: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.write(greeting);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Client {
  socket: net.Socket;
  received(): string;
  closed: Promise<void>;
  waitFor(text: string): Promise<void>;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let data = '';
  const waiters: Array<() => void> = [];
  socket.on('data', (d: Buffer) => {
    data += d.toString('latin1');
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r, j) => socket.once('connect', () => r()).once('error', j));
  return {
    socket,
    received: () => data,
    closed,
    waitFor: async (text) => {
      const deadline = Date.now() + 3000;
      while (!data.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" in ${JSON.stringify(data)}`);
        await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 50)));
      }
    },
  };
}

describe('FaultProxy', function () {
  this.timeout(10_000);
  let server: Awaited<ReturnType<typeof echoServer>>;
  let proxy: FaultProxy;
  beforeEach(async () => {
    server = await echoServer('* OK hello\r\n');
    proxy = await FaultProxy.start({ targetPort: server.port });
  });
  afterEach(async () => {
    await proxy.close();
    await server.close();
  });

  it('forwards both ways, counts bytes and connections, keeps a transcript', async () => {
    const c = await connect(proxy.port);
    await c.waitFor('hello');
    c.socket.write('ping');
    await c.waitFor('ping');
    assert.equal(proxy.bytesToServer, 4);
    assert.equal(proxy.bytesToClient, '* OK hello\r\n'.length + 'ping'.length);
    assert.deepEqual(proxy.transcript(), { toServer: 'ping', toClient: '* OK hello\r\nping' });
    const d = await connect(proxy.port);
    await d.waitFor('hello');
    assert.equal(proxy.totalConnections, 2);
    assert.equal(proxy.maxConcurrent, 2);
    c.socket.destroy();
    d.socket.destroy();
  });

  it('drops every open connection on dropAll', async () => {
    const c = await connect(proxy.port);
    await c.waitFor('hello');
    assert.equal(proxy.dropAll(), 1);
    await c.closed;
    assert.equal(proxy.active, 0);
  });

  it('drops when the server sends a pattern, before the client sees it, even split across chunks', async () => {
    const c = await connect(proxy.port);
    await c.waitFor('hello');
    const dropped = proxy.dropWhen('* 10 FETCH');
    c.socket.write('x * 1');
    await c.waitFor('x * 1');
    c.socket.write('0 FETCH (UID 10)');
    await dropped;
    await c.closed;
    assert.ok(!c.received().includes('0 FETCH'), c.received());
    assert.equal(proxy.drops, 1);
  });

  it('drops after N server bytes exactly', async () => {
    const c = await connect(proxy.port);
    await c.waitFor('hello');
    const before = proxy.bytesToClient;
    const dropped = proxy.dropAfterServerBytes(7);
    c.socket.write('abcdefgh');
    await dropped;
    await c.closed;
    assert.equal(proxy.bytesToClient - before, 7);
    assert.ok(c.received().endsWith('hello\r\nabcdefg'), c.received());
  });

  it('stalls forwarding and then delivers what it held back, in order', async () => {
    const c = await connect(proxy.port);
    await c.waitFor('hello');
    proxy.stall(300);
    const started = Date.now();
    c.socket.write('one');
    await c.waitFor('one');
    assert.ok(Date.now() - started >= 250, `arrived after ${Date.now() - started} ms`);
  });

  it('holds back one connection from a pattern on until released, then sends what it held in order; other connections flow', async () => {
    const hold = proxy.holdToServer(2, /EXAMINE/);
    const first = await connect(proxy.port);
    await first.waitFor('hello');
    const second = await connect(proxy.port);
    await second.waitFor('hello');
    first.socket.write('1 EXAMINE INBOX\r\n');
    await first.waitFor('1 EXAMINE INBOX');
    second.socket.write('a NOOP\r\n');
    await second.waitFor('a NOOP');
    assert.equal(hold.isReached, false);
    second.socket.write('b EXAMINE INBOX\r\n');
    await hold.reached;
    second.socket.write('c NOOP\r\n');
    first.socket.write('2 NOOP\r\n');
    await first.waitFor('2 NOOP');
    assert.ok(!second.received().includes('b EXAMINE'), second.received());
    assert.ok(!proxy.transcript().toServer.includes('b EXAMINE'));
    hold.release();
    await second.waitFor('c NOOP');
    assert.ok(second.received().endsWith('a NOOP\r\nb EXAMINE INBOX\r\nc NOOP\r\n'), second.received());
    hold.release();
    first.socket.destroy();
    second.socket.destroy();
  });

  it('holds back what the server sends on one connection from a pattern on until released', async () => {
    const hold = proxy.holdToClient(1, /b OK/);
    const c = await connect(proxy.port);
    await c.waitFor('hello');
    c.socket.write('a OK\r\n');
    await c.waitFor('a OK');
    c.socket.write('b OK\r\n');
    await hold.reached;
    c.socket.write('c NOOP\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(!c.received().includes('b OK'), c.received());
    assert.ok(proxy.transcript().toServer.includes('c NOOP'), 'client data still flows to the server');
    hold.release();
    await c.waitFor('c NOOP');
    assert.ok(c.received().endsWith('a OK\r\nb OK\r\nc NOOP\r\n'), c.received());
    c.socket.destroy();
  });

  it('injects garbage into open connections and refuses new ones for a while', async () => {
    const c = await connect(proxy.port);
    await c.waitFor('hello');
    assert.equal(proxy.injectGarbage('\x00\xff)))\r\n'), 1);
    await c.waitFor('\x00\xff)))');
    proxy.refuse(500);
    const refused = await connect(proxy.port);
    await refused.closed;
    assert.equal(refused.received(), '');
    await new Promise((r) => setTimeout(r, 600));
    const later = await connect(proxy.port);
    await later.waitFor('hello');
    later.socket.destroy();
    c.socket.destroy();
  });
});
