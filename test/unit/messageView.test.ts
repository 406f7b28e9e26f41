import * as assert from 'node:assert/strict';
import { parseFromWebview, parseToWebview } from '../../src/shared/messageView';

describe('message webview protocol', () => {
  it('accepts the messages a webview may send', () => {
    assert.deepEqual(parseFromWebview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromWebview({ type: 'retry', extra: 1 }), { type: 'retry' });
    assert.deepEqual(parseFromWebview({ type: 'rendered', subject: 'Hi', textLength: 3, mode: 'html' }), { type: 'rendered', subject: 'Hi', textLength: 3, mode: 'html' });
    assert.deepEqual(parseFromWebview({ type: 'rendered', subject: 'Hi', textLength: 3 }), { type: 'rendered', subject: 'Hi', textLength: 3, mode: 'text' });
    assert.deepEqual(parseFromWebview({ type: 'openLink', href: 'https://a.example/', text: 'a' }), { type: 'openLink', href: 'https://a.example/', text: 'a' });
    assert.deepEqual(parseFromWebview({ type: 'openLink', href: 'https://a.example/', text: 'ab.example', shown: 'a.example' }), { type: 'openLink', href: 'https://a.example/', text: 'ab.example', shown: 'a.example' });
    assert.equal((parseFromWebview({ type: 'openLink', href: 'https://a.example/', text: 'a', shown: 'x'.repeat(5000) }) as { shown: string }).shown.length, 2000, 'the measured text is bounded too');
    assert.deepEqual(parseFromWebview({ type: 'openLink', href: 'https://a.example/', text: 'a', shown: 5 }), { type: 'openLink', href: 'https://a.example/', text: 'a' });
    assert.deepEqual(parseFromWebview({ type: 'attachment', action: 'save', index: 2 }), { type: 'attachment', action: 'save', index: 2 });
    assert.deepEqual(parseFromWebview({ type: 'action', action: 'loadRemoteContent' }), { type: 'action', action: 'loadRemoteContent' });
  });
  it('rejects malformed or unknown messages', () => {
    for (const bad of [null, undefined, 'ready', 42, {}, { type: 'openFile', path: '/etc/passwd' }, { type: 'rendered', subject: 1, textLength: 3 }, { type: 'rendered', subject: 'x' },
      { type: 'openLink', href: 5, text: '' }, { type: 'openLink', href: 'x'.repeat(9000), text: '' }, { type: 'attachment', action: 'delete', index: 0 },
      { type: 'attachment', action: 'save', index: -1 }, { type: 'attachment', action: 'save', index: 1.5 }, { type: 'action', action: 'runCommand' }]) {
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
