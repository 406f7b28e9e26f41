import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { boundedRequest, HttpFailure } from '../../src/protocol/http/boundedRequest';

/** A loopback HTTP server whose handler each test sets. */
describe('boundedRequest: one bounded HTTP request', () => {
  let server: http.Server;
  let base: string;
  let handler: http.RequestListener = (_req, res) => res.end();
  before(async () => {
    server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const failureOf = async (promise: Promise<unknown>): Promise<HttpFailure> => {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof HttpFailure, `expected an HttpFailure, got ${String(err)}`);
      return err;
    }
    assert.fail('the request succeeded');
  };

  it('POSTs the body with its length and returns status and body', async () => {
    handler = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'], body: Buffer.concat(chunks).toString() })));
    };
    const res = await boundedRequest(new URL(`${base}/token`), { method: 'POST', body: 'a=1&b=ü', timeoutMs: 2000, maxBytes: 1000 });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body.toString()), { method: 'POST', length: String(Buffer.byteLength('a=1&b=ü')), body: 'a=1&b=ü' });
  });

  it('returns a redirect with its Location and does not follow it', async () => {
    let asked = 0;
    handler = (_req, res) => {
      asked++;
      res.writeHead(302, { location: '/elsewhere' }).end('moved');
    };
    const res = await boundedRequest(new URL(`${base}/a`), { timeoutMs: 2000, maxBytes: 1000 });
    assert.equal(res.status, 302);
    assert.equal(res.location, '/elsewhere');
    assert.equal(asked, 1);
  });

  it('refuses a declared length over the limit, and a streamed body once it passes it', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
    assert.equal((await failureOf(boundedRequest(new URL(`${base}/big`), { timeoutMs: 2000, maxBytes: 1000 }))).kind, 'too-large');
    handler = (_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const more = (): void => {
        if (sent++ > 100 || res.destroyed) {
          res.end();
          return;
        }
        res.write('y'.repeat(100), () => setImmediate(more));
      };
      more();
    };
    assert.equal((await failureOf(boundedRequest(new URL(`${base}/stream`), { timeoutMs: 2000, maxBytes: 1000 }))).kind, 'too-large');
  });

  it('ends at its deadline while the server sends nothing, and while the name lookup hangs', async () => {
    handler = () => undefined;
    const started = Date.now();
    assert.equal((await failureOf(boundedRequest(new URL(`${base}/silent`), { timeoutMs: 300, maxBytes: 1000 }))).kind, 'timeout');
    const hanging = (): Promise<{ address: string; port: number }> => new Promise(() => undefined);
    assert.equal((await failureOf(boundedRequest(new URL('https://never.example.test/x'), { timeoutMs: 300, maxBytes: 1000, dial: hanging }))).kind, 'timeout');
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('stops when the caller aborts, and names an unreachable server as such', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    assert.equal((await failureOf(boundedRequest(new URL(`${base}/slow`), { timeoutMs: 5000, maxBytes: 1000, signal: controller.signal }))).kind, 'aborted');
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.equal((await failureOf(boundedRequest(new URL(`http://127.0.0.1:${port}/`), { timeoutMs: 2000, maxBytes: 1000 }))).kind, 'unreachable');
  });
});
