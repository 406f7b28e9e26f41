import * as assert from 'node:assert/strict';
import { COLLAPSE_QUOTE_LINES, linkify, MAX_QUOTE_DEPTH, quoteBlocks, TextBlock } from '../../media/message/textBlocks';

describe('plain-text mail: quotes and links', () => {
  it('groups quoted runs into nested blocks with one level of > removed', () => {
    const blocks = quoteBlocks('Hi Bob,\n> You wrote:\n>> first\n> second\nThanks');
    assert.equal(blocks.length, 3);
    assert.deepEqual(blocks[0], { kind: 'text', text: 'Hi Bob,' });
    const quote = blocks[1];
    assert.ok(quote.kind === 'quote');
    assert.equal(quote.lineCount, 3);
    assert.equal(quote.collapsed, false);
    assert.deepEqual(quote.blocks[0], { kind: 'text', text: 'You wrote:' });
    assert.ok(quote.blocks[1].kind === 'quote' && quote.blocks[1].blocks[0].kind === 'text' && quote.blocks[1].blocks[0].text === 'first');
    assert.deepEqual(quote.blocks[2], { kind: 'text', text: 'second' });
    assert.deepEqual(blocks[2], { kind: 'text', text: 'Thanks' });
  });

  it('collapses long quotes and bounds the nesting depth', () => {
    const long = quoteBlocks(Array.from({ length: COLLAPSE_QUOTE_LINES + 1 }, (_, i) => `> line ${i}`).join('\n'));
    assert.ok(long[0].kind === 'quote' && long[0].collapsed);
    let depth = 0;
    let blocks: TextBlock[] = quoteBlocks(`${'>'.repeat(10_000)} deep`);
    while (blocks[0]?.kind === 'quote') {
      depth++;
      blocks = blocks[0].blocks;
    }
    assert.equal(depth, MAX_QUOTE_DEPTH);
  });

  it('linkifies http(s), www and mailto without trailing punctuation', () => {
    assert.deepEqual(linkify('See https://example.com/a?b=1, or www.example.org. Mail mailto:x@example.com!'), [
      { kind: 'text', text: 'See ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', or ' },
      { kind: 'link', text: 'www.example.org', href: 'https://www.example.org' },
      { kind: 'text', text: '. Mail ' },
      { kind: 'link', text: 'mailto:x@example.com', href: 'mailto:x@example.com' },
      { kind: 'text', text: '!' },
    ]);
    assert.deepEqual(linkify('(https://en.wikipedia.org/wiki/Foo_(bar))').map((s) => s.text), ['(', 'https://en.wikipedia.org/wiki/Foo_(bar)', ')']);
    assert.deepEqual(linkify('javascript:alert(1) and <https://a.example/>'), [
      { kind: 'text', text: 'javascript:alert(1) and <' },
      { kind: 'link', text: 'https://a.example/', href: 'https://a.example/' },
      { kind: 'text', text: '>' },
    ]);
    assert.deepEqual(linkify('plain'), [{ kind: 'text', text: 'plain' }]);
  });
});
