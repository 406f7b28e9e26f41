// The probe's TLS handshakes share one default client context (no per-connection set-up): what a
// handshake shows must stay the same, above all no session is resumed from an earlier connection
// (a resumed handshake would not stand for what the server does for a new client).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { ProbeConnection } from '../../src/protocol/probe/connection';
import { Transcript } from '../../src/protocol/probe/transcript';
import { defaultClientContext } from '../../src/protocol/tls/trustContext';
import { generateCertificate, type GeneratedCertificate } from '../fixtures/net';

describe('probe: the shared default TLS client context', () => {
  let dir: string;
  let cert: GeneratedCertificate;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-probe-tls-'));
    cert = generateCertificate(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is built once', () => {
    assert.equal(defaultClientContext(), defaultClientContext());
  });

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`resumes no session across probe connections (${version} server issuing tickets), and every handshake shows the certificate`, async () => {
      const server = tls.createServer({ key: cert.keyPem, cert: cert.certPem, minVersion: version, maxVersion: version }, (s) => {
        s.on('error', () => undefined);
        s.write('hello\r\n');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      try {
        for (let i = 0; i < 3; i++) {
          const conn = await ProbeConnection.connect({ host: '127.0.0.1', address: '127.0.0.1', port }, new Transcript());
          try {
            const socket = await conn.startTls({});
            assert.equal(await conn.readLine(), 'hello', 'the session works');
            assert.equal(socket.getProtocol(), version);
            assert.equal(socket.isSessionReused(), false, `connection ${i + 1} was not resumed`);
            assert.equal(socket.getPeerCertificate().fingerprint256, cert.sha256, 'the full certificate is seen every time');
          } finally {
            conn.destroy();
            await conn.closed;
          }
        }
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  }
});
