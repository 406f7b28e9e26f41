import * as assert from 'node:assert/strict';
import { DEFAULT_IMAP_LIMITS, resolveImapLimits } from '../../src/protocol/imap/limits';

describe('IMAP limits', () => {
  it('defaults to 16 MiB lines, 128 MiB literals and a response of one literal plus one line', () => {
    const limits = resolveImapLimits(undefined);
    assert.deepEqual(limits, { ...DEFAULT_IMAP_LIMITS });
    assert.equal(limits.maxResponseBytes, limits.maxLiteralBytes + limits.maxLineBytes);
  });
  it('lowers the response total with lowered line and literal limits unless it is given', () => {
    assert.equal(resolveImapLimits({ maxLiteralBytes: 1000, maxLineBytes: 100 }).maxResponseBytes, 1100);
    assert.equal(resolveImapLimits({ maxLiteralBytes: 1000, maxResponseBytes: 5000 }).maxResponseBytes, 5000);
  });
  it('refuses a limit that is not a positive integer', () => {
    assert.throws(() => resolveImapLimits({ minBytesPerSecond: 0 }), RangeError);
    assert.throws(() => resolveImapLimits({ commandGraceMs: Number.NaN }), RangeError);
    assert.throws(() => resolveImapLimits({ maxLineBytes: 1.5 }), RangeError);
  });
});
