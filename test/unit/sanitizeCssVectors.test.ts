// Mail CSS that does harm without script (issue 11 §4): text drawn by CSS that a link check cannot
// see, SVG document references fetched before consent, stylesheet chains the bar cannot count, and
// valid CSS the sanitizer must keep valid.
import * as assert from 'node:assert/strict';
import { sanitizeMessageHtml } from '../../src/protocol/mime/sanitizeHtml';

const sanitize = (html: string): ReturnType<typeof sanitizeMessageHtml> => sanitizeMessageHtml(html, { inlineImages: {} });

describe('mail CSS: text drawn by CSS', () => {
  it('drops generated content that draws letters or digits, in <style> and in style attributes', () => {
    for (const css of ['content:"www.paypal.com"', "content: 'paypal' '.com'", 'content:attr(title)', 'content:counter(x, lower-alpha)', 'content:open-quote', 'content:url(https://i.test/t.png)', 'content: "\\70 aypal.com"']) {
      const { html, remoteResources } = sanitize(`<style>a::before{${css}}</style><p style="${css.replace(/"/g, "'")}"><a href="https://evil.test/">x</a></p>`);
      assert.ok(!/content\s*:/i.test(html), `${css} → ${html}`);
      assert.deepEqual(remoteResources, [], css);
    }
  });

  it('keeps generated content without letters or digits (clearfix, bullets) and the other *-content properties', () => {
    const { html } = sanitize('<style>.c::after{content:"";display:table} li::before{content:"\\2022  "} .d::after{content:none} .f{justify-content:center;align-content:start}</style>');
    for (const kept of ['content:""', 'content:"• "', 'content:none', 'justify-content:center', 'align-content:start']) assert.ok(html.includes(kept), `${kept} in ${html}`);
  });

  it('drops other ways CSS draws text: quotes, string list markers, @counter-style; and pointer-events', () => {
    const { html } = sanitize('<style>q{quotes:"paypal.com" ""} li{list-style-type:"paypal.com "} ul{list-style:"x" inside} @counter-style p{system:cyclic;symbols:"paypal.com"} .o{pointer-events:none;color:red}</style><p style="pointer-events:none">x</p>');
    assert.ok(!/quotes\s*:|list-style-type\s*:|list-style\s*:|@counter-style|pointer-events/i.test(html), html);
    assert.ok(html.includes('color:red'), html);
  });

  it('voids ::first-letter and ::first-line rules, which style characters the link check cannot measure one by one', () => {
    const { html } = sanitize('<style>a::first-letter{font-size:0} a:first-line{color:transparent} p{color:red}</style>');
    assert.ok(!/:first-(letter|line)/i.test(html), html);
    assert.ok(html.includes('p{color:red}'), html);
  });

  it('keeps keyword list markers', () => {
    const { html } = sanitize('<ul style="list-style-type:square"><li>x</li></ul><style>ol{list-style:decimal inside}</style>');
    assert.ok(html.includes('list-style-type:square') && html.includes('list-style:decimal inside'), html);
  });
});

describe('mail CSS: SVG document references', () => {
  for (const property of ['filter', 'backdrop-filter', 'mask', 'mask-image', '-webkit-mask', 'clip-path', 'marker', 'marker-start', 'marker-mid', 'marker-end']) {
    it(`${property}: a remote url() is removed, not emitted and not counted`, () => {
      const { html, remoteResources } = sanitize(`<style>.x{${property}:url(http://svg.test/f.svg#f)}</style><div style="${property}: url('https://svg.test/g.svg#g'); color: red">x</div>`);
      assert.ok(!html.includes('svg.test'), html);
      assert.deepEqual(remoteResources, []);
      assert.ok(html.includes('color: red'), html);
    });
  }

  it('keeps filter functions and local fragment references', () => {
    const { html } = sanitize('<div style="filter: blur(2px) grayscale(1); clip-path: circle(40%)">x</div>');
    assert.ok(html.includes('filter: blur(2px) grayscale(1); clip-path: circle(40%)'), html);
  });
});

describe('mail CSS: what the remote-content bar can count', () => {
  it('says when a remote stylesheet can pull in more than the bar counts', () => {
    const chained = sanitize('<style>@import url(https://cdn.test/a.css); @import "https://cdn.test/b.css";</style><img src="https://img.test/p.png">');
    assert.deepEqual([...chained.remoteResources].sort(), ['https://cdn.test/a.css', 'https://cdn.test/b.css', 'https://img.test/p.png']);
    assert.equal(chained.remoteStylesheets, 2);
    assert.equal(sanitize('<img src="https://img.test/p.png"><div style="background:url(https://img.test/b.png)">x</div>').remoteStylesheets, 0);
  });
});

describe('mail CSS: valid CSS stays valid', () => {
  it('keeps type() in image-set() as a string', () => {
    const { html, remoteResources } = sanitize(`<div style="background-image: image-set('https://set.test/a.avif' type('image/avif'), &quot;https://set.test/a.png&quot; type(&quot;image/png&quot;) 1x)">x</div>`);
    assert.ok(html.includes(`type('image/avif')`) || html.includes('type("image/avif")'), html);
    assert.ok(!/type\(\s*none/.test(html), html);
    assert.deepEqual(remoteResources, ['https://set.test/a.avif', 'https://set.test/a.png']);
  });
});
