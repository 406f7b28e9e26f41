import * as assert from 'node:assert/strict';
import { decideLink, hostNamedIn, normalizeHost } from '../../src/providers/message/linkPolicy';

describe('message link policy', () => {
  it('opens an http(s) link whose text names no host, or the same host', () => {
    assert.deepEqual(decideLink('https://example.com/a?b=1', 'Click here'), { kind: 'open', url: 'https://example.com/a?b=1' });
    assert.equal(decideLink('https://www.Example.com/login', 'example.com').kind, 'open');
    assert.equal(decideLink('http://example.com/', 'https://WWW.EXAMPLE.COM/path').kind, 'open');
    assert.equal(decideLink('https://xn--bcher-kva.example/', 'bücher.example').kind, 'open', 'IDN text equals its punycode destination');
  });

  it('shows the real destination first when the text names another host', () => {
    const d = decideLink('https://evil.example.net/paypal', 'https://www.paypal.com/signin');
    assert.equal(d.kind, 'confirm');
    assert.ok(d.kind === 'confirm' && d.realHost === 'evil.example.net' && d.shownHost === 'paypal.com');
    assert.equal(decideLink('https://paypal.com.evil.net/', 'paypal.com').kind, 'confirm', 'a look-alike suffix');
    assert.equal(decideLink('https://xn--pypal-4ve.com/', 'paypal.com').kind, 'confirm', 'a Cyrillic homograph');
    const hidden = decideLink('https://paypal.com@evil.net/', 'Log in');
    assert.ok(hidden.kind === 'confirm' && hidden.realHost === 'evil.net', 'user-info hiding the real host');
    assert.equal(decideLink('https://tracker.example/r?u=1', 'Visit example.org for details').kind, 'confirm');
  });

  it('compares with every host the text names, not only the first', () => {
    const d = decideLink('https://evil.test/', 'evil.test paypal.com');
    assert.ok(d.kind === 'confirm' && d.shownHost === 'paypal.com', JSON.stringify(d));
    assert.equal(decideLink('https://pal.com/', 'pay\u200bpal.com').kind, 'confirm', 'a zero-width space splitting the host');
  });

  it('decides on the text a person sees, when the view measured it', () => {
    // "paypal<span style=font-size:0>xyz</span>.test": the DOM says the destination, the eye reads another host.
    const small = decideLink('https://paypalxyz.test/', 'paypalxyz.test', 'paypal.test');
    assert.ok(small.kind === 'confirm' && small.shownHost === 'paypal.test' && small.realHost === 'paypalxyz.test', JSON.stringify(small));
    assert.equal(decideLink('https://paypal.com.evil.test/', 'paypal.com.evil.test', 'paypal.com').kind, 'confirm', 'a hidden suffix');
    // Hidden text in a link that writes something host-like: what shows cannot be trusted, so the destination is shown.
    const hidden = decideLink('https://paypalx.com/', 'paypalx.com', '');
    assert.ok(hidden.kind === 'confirm' && hidden.realHost === 'paypalx.com' && /hidden/.test(hidden.reason), JSON.stringify(hidden));
    assert.equal(decideLink('https://paypalx.com/', 'paypal x.com', 'paypal.com').kind, 'confirm');
  });

  it('still opens honest links when the view measured their text', () => {
    assert.equal(decideLink('https://example.test/docs', 'example.test/docs', 'example.test/docs').kind, 'open');
    assert.equal(decideLink('https://example.test/docs', '\n   Read\n   more  ', 'Read more').kind, 'open', 'white space is not hidden text');
    assert.equal(decideLink('https://shop.test/', 'Shop now (mobile)', 'Shop now').kind, 'open', 'hidden text without anything host-like');
  });

  it('turns mailto links into compose requests', () => {
    assert.deepEqual(decideLink('mailto:Alice%20Smith%20%3Calice@example.com%3E', 'mail'), { kind: 'refuse', reason: 'The mail link has no address.' });
    const d = decideLink('mailto:bob@example.com?subject=Hi', 'Write to Bob');
    assert.ok(d.kind === 'mailto' && d.address === 'bob@example.com');
    assert.equal(decideLink('mailto:', 'x').kind, 'refuse');
  });

  it('refuses every other kind of link', () => {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>x</script>', 'file:///etc/passwd', 'vscode://settings', 'command:workbench.action.quit', 'ftp://example.com/', 'not a url', '']) {
      assert.equal(decideLink(href, 'x').kind, 'refuse', href);
    }
  });

  it('finds the host a link text names', () => {
    assert.equal(hostNamedIn('Click here'), undefined);
    assert.equal(hostNamedIn('Go to WWW.Example.COM.'), 'example.com');
    assert.equal(hostNamedIn('https://sub.example.co.uk:8443/x'), 'sub.example.co.uk');
    assert.equal(hostNamedIn('Version 1.2.3 is out'), undefined, 'numbers are not hosts');
    assert.equal(normalizeHost('WWW.Bücher.Example.'), 'xn--bcher-kva.example');
    assert.equal(normalizeHost('192.168.0.1'), '192.168.0.1');
  });
});
