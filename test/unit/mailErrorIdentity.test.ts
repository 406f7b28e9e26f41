// The host bundle and the lazily loaded engine bundle each carry their own copy of errors.ts: a
// MailError thrown by one must be recognised by the other. Loading the module a second time (a
// fresh require) gives the same situation as two bundles.
import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { CorruptFileError } from '../../src/store/atomicFile';

function secondCopy(): typeof import('../../src/protocol/errors') {
  const file = require.resolve('../../src/protocol/errors');
  const saved = require.cache[file];
  delete require.cache[file];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as typeof import('../../src/protocol/errors');
  } finally {
    require.cache[file] = saved;
  }
}

describe('MailError identity across bundles', () => {
  const Other = secondCopy().MailError;

  it('is a different class object in the other copy (as in dist/engine.js)', () => {
    assert.notEqual(Other, MailError);
  });

  it('recognises an error from the other copy by MailError.is, with and without a code', () => {
    const err = new Other('AuthFailed', 'The server refused the password.');
    assert.equal(MailError.is(err), true);
    assert.equal(MailError.is(err, 'AuthFailed'), true);
    assert.equal(MailError.is(err, 'Timeout'), false);
    assert.equal(Other.is(new MailError('Timeout', 'x'), 'Timeout'), true);
  });

  it('keeps `instanceof MailError` working across copies', () => {
    assert.equal(new Other('Offline', 'x') instanceof MailError, true);
    assert.equal(new MailError('Offline', 'x') instanceof Other, true);
  });

  it('MailError.from keeps the other copy’s error (code, detail) instead of wrapping it as Unknown', () => {
    const err = new Other('CommandFailed', 'The server refused the command.', { detail: 'NO [CANNOT] nope' });
    const got = MailError.from(err);
    assert.equal(got, err);
    assert.equal(got.code, 'CommandFailed');
    assert.equal(got.detail, 'NO [CANNOT] nope');
  });

  it('does not take look-alikes for MailErrors', () => {
    const plain = Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED', name: 'MailError' });
    assert.equal(MailError.is(plain), false);
    assert.equal(plain instanceof MailError, false);
    assert.equal(MailError.is({ code: 'AuthFailed' }), false);
    assert.equal(MailError.is(null), false);
    assert.equal(MailError.is('AuthFailed'), false);
    assert.equal(MailError.from(plain).code, 'Unknown');
  });

  it('keeps subclasses strict: a plain MailError is not a CorruptFileError', () => {
    const corrupt = new CorruptFileError('/tmp/x', 'bad json');
    assert.equal(corrupt instanceof MailError, true);
    assert.equal(corrupt instanceof CorruptFileError, true);
    assert.equal(new MailError('StorageFailed', 'x') instanceof CorruptFileError, false);
    assert.equal(new Other('StorageFailed', 'x') instanceof CorruptFileError, false);
  });
});

// Compile-time: `instanceof` still narrows (to the subclass for a subclass).
export function narrowed(e: unknown): string | undefined {
  if (e instanceof CorruptFileError) return e.file;
  if (e instanceof MailError) return e.code;
  return undefined;
}
