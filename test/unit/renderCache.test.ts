import * as assert from 'node:assert/strict';
import { RenderCache, RenderedMessage } from '../../src/providers/message/renderCache';
import type { MessageViewModel } from '../../src/shared/messageView';

function rendered(text: string, html?: string): RenderedMessage {
  const model: MessageViewModel = {
    accountLabel: 'a',
    folder: 'INBOX',
    subject: 's',
    from: 'f',
    fromAddress: 'f@example.test',
    to: '',
    cc: '',
    date: '',
    headers: [{ name: 'Subject', value: 's' }],
    text,
    textTruncated: false,
    htmlSkipped: false,
    remoteBlocked: 0,
    remoteAtLeast: false,
    remoteAllowed: false,
    attachments: [],
    hasPatch: false,
  };
  return { model, body: html === undefined ? undefined : { html, remoteResources: [] }, fromAddress: 'f@example.test' };
}

describe('RenderCache (messages opened last, parsed and sanitized)', () => {
  it('gives back what was stored under the same key, and nothing for another', () => {
    const cache = new RenderCache();
    const value = rendered('hello', '<p>hello</p>');
    cache.set('m1', value);
    assert.equal(cache.get('m1'), value);
    assert.equal(cache.get('m2'), undefined);
  });

  it('evicts the least recently used message beyond maxEntries', () => {
    const cache = new RenderCache({ maxEntries: 2, maxChars: 1_000_000 });
    cache.set('a', rendered('a'));
    cache.set('b', rendered('b'));
    cache.get('a'); // a is now newer than b
    cache.set('c', rendered('c'));
    assert.equal(cache.size, 2);
    assert.ok(cache.get('a'));
    assert.equal(cache.get('b'), undefined);
    assert.ok(cache.get('c'));
  });

  it('keeps the total size under maxChars, and does not keep a message bigger than that at all', () => {
    const cache = new RenderCache({ maxEntries: 100, maxChars: 10_000 });
    for (let i = 0; i < 10; i++) cache.set(`m${i}`, rendered('x'.repeat(3_000)));
    assert.ok(cache.totalChars <= 10_000, `${cache.totalChars} chars kept`);
    assert.equal(cache.size, 3);
    assert.ok(cache.get('m9'));
    cache.set('huge', rendered('y'.repeat(20_000)));
    assert.equal(cache.get('huge'), undefined);
    assert.ok(cache.get('m9'), 'the others stay');
  });

  it('forgets an entry on delete (a retry parses the message again) and everything on clear', () => {
    const cache = new RenderCache();
    cache.set('a', rendered('a'));
    cache.set('b', rendered('b'));
    cache.delete('a');
    assert.equal(cache.get('a'), undefined);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.totalChars, 0);
  });
});
