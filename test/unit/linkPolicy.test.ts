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
