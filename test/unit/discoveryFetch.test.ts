import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { fetchDocument } from '../../src/protocol/discovery/httpFetch';

describe('discovery: autoconfig fetch bounds', function () {
  this.timeout(3000);

  it('gives up at its deadline even while the host name lookup hangs', async () => {
    const t0 = Date.now();
    await assert.rejects(
      fetchDocument('https://autoconfig.example.com/mail/config-v1.1.xml', 'example.com', { dial: () => new Promise(() => undefined), timeoutMs: 150 }),
      (e: unknown) => MailError.is(e, 'Timeout') && /did not answer within 150 ms/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 1000);
  });
});
