import * as assert from 'node:assert/strict';
import { firstScreenCut, FIRST_SCREEN_CHARS } from '../../media/message/firstScreen';

describe('firstScreenCut: how much of a mail document the message view writes before its first paint', () => {
  const head = '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'"></head>';

  it('writes a mail of a screen or less at once', () => {
    const html = `${head}<body><p>short</p></body></html>`;
    assert.equal(firstScreenCut(html), html.length);
    const exact = `${head}<body>${'x'.repeat(FIRST_SCREEN_CHARS)}</body></html>`;
    assert.equal(firstScreenCut(exact, exact.length), exact.length);
  });

  it('ends the first part at the end of the first tag at or past the first screen', () => {
    const rows = Array.from({ length: 400 }, (_, i) => `<tr><td>Item ${i}</td></tr>`).join('');
    const html = `${head}<body><table>${rows}</table></body></html>`;
    const cut = firstScreenCut(html);
    assert.ok(cut > FIRST_SCREEN_CHARS && cut < html.length, `cut at ${cut} of ${html.length}`);
    assert.equal(html[cut - 1], '>');
    assert.ok(!html.slice(FIRST_SCREEN_CHARS, cut - 1).includes('>'), 'the first tag end past the first screen, not a later one');
  });

  it('never cuts before <body, so the head with the mail’s own policy is written whole', () => {
    const style = `<style>${'p{color:red}'.repeat(2000)}</style>`;
    const html = `<!DOCTYPE html><html><head>${style}</head><body>${'<p>a</p>'.repeat(2000)}</body></html>`;
    const cut = firstScreenCut(html);
    assert.ok(cut > html.indexOf('<body'), `cut at ${cut}, body at ${html.indexOf('<body')}`);
    assert.equal(html.slice(html.indexOf('<body'), cut), '<body>');
  });

  it('writes everything at once when no tag ends after the first screen (the parser needs no cut)', () => {
    const html = `${head}<body>${'text '.repeat(4000)}`;
    assert.equal(firstScreenCut(html), html.length);
  });
});
