import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { parseProbeUrl, targetFromAccount } from '../../src/protocol/probe/target';
import { scanTargets } from '../../src/protocol/probe/scan';

describe('probe targets', () => {
  it('gives each scheme its usual port and TLS mode', () => {
    const expected = {
      imap: [143, 'starttls', 'imap'],
      imaps: [993, 'implicit', 'imap'],
      pop3: [110, 'starttls', 'pop3'],
      pop3s: [995, 'implicit', 'pop3'],
      smtp: [25, 'starttls', 'smtp'],
      smtps: [465, 'implicit', 'smtp'],
      submission: [587, 'starttls', 'smtp'],
    } as const;
    for (const [scheme, [port, tls, protocol]] of Object.entries(expected)) {
      const t = parseProbeUrl(`${scheme}://Mail.Example.COM`);
      assert.deepEqual([t.port, t.tls, t.protocol, t.host, t.url], [port, tls, protocol, 'mail.example.com', `${scheme}://mail.example.com:${port}`]);
    }
  });

  it('keeps an explicit port, a user name and an IPv6 literal', () => {
    const t = parseProbeUrl('imaps://alice@[::1]:10993/INBOX');
    assert.equal(t.host, '::1');
    assert.equal(t.port, 10993);
    assert.equal(t.user, 'alice');
    assert.equal(t.url, 'imaps://[::1]:10993', 'the normalized URL names no user');
  });

  it('refuses a password in the URL without repeating it', () => {
    assert.throws(
      () => parseProbeUrl('imaps://alice:hunter22@mail.example.com'),
      (e: unknown) => MailError.is(e, 'InvalidAccount') && /no password in the URL/.test(e.message) && !e.message.includes('hunter22'),
    );
  });

  it('names what is wrong with a bad URL', () => {
    for (const [input, why] of [
      ['mail.example.com', /needs a scheme/],
      ['http://mail.example.com', /"http" is not one of/],
      ['imap://', /not a valid URL|names no host/],
      ['imap://host:0', /port|not a valid URL/],
    ] as const) {
      assert.throws(() => parseProbeUrl(input), (e: unknown) => MailError.is(e, 'InvalidAccount') && why.test(e.message), input);
    }
  });

  it('turns an account into the endpoint it uses, pin included', () => {
    const pin = 'AB:'.repeat(31) + 'AB';
    const t = targetFromAccount({ id: 'a', protocol: 'pop3', host: 'pop.example.com', port: 1995, security: 'tls', user: 'bob', trustedCertificateSha256: pin });
    assert.deepEqual([t.scheme, t.port, t.tls, t.user, t.trustedCertificateSha256], ['pop3s', 1995, 'implicit', 'bob', pin]);
    assert.equal(targetFromAccount({ id: 'b', protocol: 'imap', host: 'h', port: 143, security: 'starttls', user: 'u' }).scheme, 'imap');
  });

  it('scans the seven usual ports, or only the ones given', () => {
    assert.deepEqual(scanTargets('h').map((t) => t.port), [143, 993, 110, 995, 25, 465, 587]);
    assert.deepEqual(scanTargets('h', { pop3s: 1995, submission: 1587 }).map((t) => t.url), ['pop3s://h:1995', 'submission://h:1587']);
  });
});
