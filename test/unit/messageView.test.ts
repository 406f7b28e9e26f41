import * as assert from 'node:assert/strict';
import { parseFromWebview, parseToWebview } from '../../src/shared/messageView';

describe('message webview protocol', () => {
  it('accepts the messages a webview may send', () => {
    assert.deepEqual(parseFromWebview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromWebview({ type: 'retry', extra: 1 }), { type: 'retry' });
    assert.deepEqual(parseFromWebview({ type: 'rendered', subject: 'Hi', textLength: 3 }), { type: 'rendered', subject: 'Hi', textLength: 3 });
  });
  it('rejects malformed or unknown messages', () => {
    for (const bad of [null, undefined, 'ready', 42, {}, { type: 'openFile', path: '/etc/passwd' }, { type: 'rendered', subject: 1, textLength: 3 }, { type: 'rendered', subject: 'x' }]) {
      assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
    }
  });
  it('validates what the host sends to the webview', () => {
    assert.deepEqual(parseToWebview({ type: 'loading', subject: 's' }), { type: 'loading', subject: 's' });
    assert.deepEqual(parseToWebview({ type: 'error', message: 'm' }), { type: 'error', message: 'm', canRetry: false });
    assert.equal(parseToWebview({ type: 'show' }), undefined);
    assert.equal(parseToWebview({ type: 'eval', code: 'x' }), undefined);
  });
});
