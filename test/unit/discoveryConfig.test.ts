import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { autoconfigUrls } from '../../src/protocol/discovery/autoconfigUrls';
import { parseConfig } from '../../src/protocol/discovery/configParser';
import { baseDomain, parseEmailAddress } from '../../src/protocol/discovery/address';
import { guessServers } from '../../src/protocol/discovery/guesses';
import { usableSrvTargets } from '../../src/protocol/discovery/srv';

const PARTS = { address: 'alice.smith@example.com', localPart: 'alice.smith', domain: 'example.com' };
const WHERE = 'https://autoconfig.example.com/mail/config-v1.1.xml';

function server(tag: 'incomingServer' | 'outgoingServer', type: string, fields: Record<string, string | string[]>): string {
  const body = Object.entries(fields)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `<${k}>${x}</${k}>`))
    .join('');
  return `<${tag} type="${type}">${body}</${tag}>`;
}

function config(...servers: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1"><emailProvider id="example.com"><domain>example.com</domain><displayName>Example Mail</displayName>${servers.join('')}</emailProvider></clientConfig>`;
}

function expectInvalid(xml: string, pattern: RegExp): void {
  assert.throws(
    () => parseConfig(xml, PARTS, WHERE),
    (err: unknown) => MailError.is(err, 'ConfigInvalid') && pattern.test(err.message) && err.message.includes(WHERE) && /nothing from it was used/.test(err.message),
  );
}

describe('discovery: config-v1.1 parser', () => {
  it('reads incoming and outgoing alternatives in the provider order with placeholders filled in', () => {
    const parsed = parseConfig(
      config(
        server('incomingServer', 'imap', { hostname: 'imap.%EMAILDOMAIN%', port: '993', socketType: 'SSL', username: '%EMAILADDRESS%', authentication: ['OAuth2', 'password-cleartext'] }),
        server('incomingServer', 'pop3', { hostname: 'pop.example.com', port: '110', socketType: 'STARTTLS', username: '%EMAILLOCALPART%', authentication: 'plain' }),
        server('outgoingServer', 'smtp', { hostname: 'smtp.example.com', port: '587', socketType: 'STARTTLS', username: '%EMAILLOCALPART%@%EMAILDOMAIN%', authentication: 'secure' }),
      ),
      PARTS,
      WHERE,
    );
    assert.equal(parsed.providerId, 'example.com');
    assert.equal(parsed.displayName, 'Example Mail');
    assert.deepEqual(parsed.domains, ['example.com']);
    assert.deepEqual(parsed.incoming, [
      { role: 'incoming', protocol: 'imap', host: 'imap.example.com', port: 993, security: 'tls', username: 'alice.smith@example.com', authentication: ['OAuth2', 'password-cleartext'], rank: 0 },
      { role: 'incoming', protocol: 'pop3', host: 'pop.example.com', port: 110, security: 'starttls', username: 'alice.smith', authentication: ['password-cleartext'], rank: 1 },
    ]);
    assert.deepEqual(parsed.outgoing, [
      { role: 'outgoing', protocol: 'smtp', host: 'smtp.example.com', port: 587, security: 'starttls', username: 'alice.smith@example.com', authentication: ['password-encrypted'], rank: 0 },
    ]);
  });

  it('maps socketType plain to no encryption and decodes predefined entities and character references', () => {
    const parsed = parseConfig(config(server('incomingServer', 'imap', { hostname: 'imap.example.com', port: '143', socketType: 'plain', username: 'a&amp;b&#x40;c' })), PARTS, WHERE);
    assert.equal(parsed.incoming[0].security, 'none');
    assert.equal(parsed.incoming[0].username, 'a&b@c');
  });

  it('leaves out alternatives with wrong types and says why, keeping the usable ones', () => {
    const parsed = parseConfig(
      config(
        server('incomingServer', 'exchange', { hostname: 'ews.example.com', port: '443', socketType: 'SSL' }),
        server('incomingServer', 'imap', { hostname: 'imap.example.com', port: 'nine-nine-three', socketType: 'SSL' }),
        server('incomingServer', 'imap', { hostname: 'imap.example.com', port: '0', socketType: 'SSL' }),
        server('incomingServer', 'imap', { hostname: 'imap.example.com', port: '65536', socketType: 'SSL' }),
        server('incomingServer', 'imap', { hostname: 'imap.example.com', port: '993', socketType: 'QUANTUM' }),
        server('incomingServer', 'imap', { hostname: 'not a host', port: '993', socketType: 'SSL' }),
        server('incomingServer', 'imap', { hostname: 'imap.example.com', port: '993', socketType: 'SSL' }),
      ),
      PARTS,
      WHERE,
    );
    assert.equal(parsed.incoming.length, 1);
    assert.equal(parsed.incoming[0].rank, 0);
    assert.equal(parsed.skipped.length, 6);
    assert.match(parsed.skipped[0], /type "exchange" is not supported/);
    assert.match(parsed.skipped[1], /port "nine-nine-three" is not a number from 1 to 65535/);
    assert.match(parsed.skipped[2], /port "0"/);
    assert.match(parsed.skipped[3], /port "65536"/);
    assert.match(parsed.skipped[4], /socketType "QUANTUM"/);
    assert.match(parsed.skipped[5], /"not a host" is not a host name/);
  });

  it('refuses entity expansion (billion laughs) before parsing', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<clientConfig><emailProvider id="x"><incomingServer type="imap"><hostname>&lol3;</hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>`;
    expectInvalid(bomb, /DTD or entities/);
  });

  it('refuses an external entity (XXE) and leaves undeclared entities unexpanded', () => {
    expectInvalid(`<?xml version="1.0"?><!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><clientConfig/>`, /DTD or entities/);
    const parsed = parseConfig(config(server('incomingServer', 'imap', { hostname: 'imap.example.com', port: '993', socketType: 'SSL', username: '&xxe;' })), PARTS, WHERE);
    assert.equal(parsed.incoming[0].username, '&xxe;');
  });

  it('refuses a document that is not XML, has another root, no provider, or no usable server', () => {
    expectInvalid('<html><body>Welcome to nginx</body>', /not well-formed XML/);
    expectInvalid('{"incoming": "imap.example.com"}', /not well-formed XML/);
    expectInvalid('<?xml version="1.0"?><html><body/></html>', /no <clientConfig> root/);
    expectInvalid('<clientConfig version="1.1"></clientConfig>', /no <emailProvider>/);
    expectInvalid(config(server('incomingServer', 'imap', { hostname: 'imap.example.com', port: 'x', socketType: 'SSL' })), /no usable server \(incoming server 1: port "x"/);
  });

  it('refuses markup where text belongs and nesting beyond the bound', () => {
    expectInvalid(config('<incomingServer type="imap"><hostname><b>imap.example.com</b></hostname><port>993</port><socketType>SSL</socketType></incomingServer>'), /markup inside <hostname>/);
    const deep = `<clientConfig><emailProvider>${'<x>'.repeat(40)}${'</x>'.repeat(40)}</emailProvider></clientConfig>`;
    expectInvalid(deep, /could not be read as XML/);
  });

  it('takes a bounded number of alternatives from one file', () => {
    const many = Array.from({ length: 50 }, (_, i) => server('incomingServer', 'imap', { hostname: `imap${i}.example.com`, port: '993', socketType: 'SSL' }));
    assert.equal(parseConfig(config(...many), PARTS, WHERE).incoming.length, 8);
  });
});

describe('discovery: lookups to make', () => {
  it('lists the autoconfig URLs in Thunderbird order, https only unless plain http was allowed', () => {
    assert.deepEqual(
      autoconfigUrls('Example.com', 'a+b@example.com').map((u) => [u.kind, u.url]),
      [
        ['autoconfig', 'https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=a%2Bb%40example.com'],
        ['wellKnown', 'https://example.com/.well-known/autoconfig/mail/config-v1.1.xml'],
      ],
    );
    const withHttp = autoconfigUrls('mx.net', 'a@example.com', { viaMx: true, allowPlainHttp: true });
    assert.deepEqual(withHttp.map((u) => u.url.split(':')[0]), ['https', 'https', 'http', 'http']);
    assert.deepEqual(withHttp.map((u) => u.kind), ['mxAutoconfig', 'mxWellKnown', 'mxAutoconfig', 'mxWellKnown']);
  });

  it('guesses imap., mail., pop., pop3. and smtp. hosts on the standard ports, TLS first', () => {
    const guesses = guessServers('example.com');
    assert.deepEqual(guesses.slice(0, 4).map((g) => `${g.host}:${g.port}`), ['imap.example.com:993', 'mail.example.com:993', 'imap.example.com:143', 'mail.example.com:143']);
    assert.ok(guesses.some((g) => g.host === 'pop3.example.com' && g.port === 995 && g.security === 'tls'));
    assert.ok(guesses.some((g) => g.host === 'smtp.example.com' && g.port === 465 && g.security === 'tls'));
    assert.ok(guesses.some((g) => g.host === 'smtp.example.com' && g.port === 587 && g.security === 'starttls'));
  });

  it('finds the registered domain of an MX host', () => {
    assert.equal(baseDomain('mx1.mail.provider.net'), 'provider.net');
    assert.equal(baseDomain('mx.provider.co.uk.'), 'provider.co.uk');
    assert.equal(baseDomain('provider.net'), 'provider.net');
  });

  it('refuses an address discovery cannot look up, in words the user can act on', () => {
    assert.throws(() => parseEmailAddress('alice'), (e: unknown) => MailError.is(e, 'InvalidAccount') && /name@example\.com/.test(e.message));
    assert.throws(() => parseEmailAddress('alice@localhost'), (e: unknown) => MailError.is(e, 'InvalidAccount') && /part after @/.test(e.message));
    assert.throws(() => parseEmailAddress('alice@[127.0.0.1]'), (e: unknown) => MailError.is(e, 'InvalidAccount'));
    assert.equal(parseEmailAddress(' Alice@Example.COM. ').domain, 'example.com');
  });
});

describe('discovery: SRV answers', () => {
  const NAME = '_imaps._tcp.example.com';
  it('orders targets by priority, then weight', () => {
    const list = usableSrvTargets(NAME, [
      { name: 'b.example.com', port: 993, priority: 10, weight: 0 },
      { name: 'a.example.com.', port: 993, priority: 0, weight: 5 },
      { name: 'c.example.com', port: 993, priority: 0, weight: 50 },
    ]);
    assert.deepEqual(list.map((t) => t.host), ['c.example.com', 'a.example.com', 'b.example.com']);
  });

  it('drops port 0, port 65536 and targets that are no host name, and keeps the rest', () => {
    const list = usableSrvTargets(NAME, [
      { name: 'zero.example.com', port: 0, priority: 0, weight: 0 },
      { name: 'big.example.com', port: 65536, priority: 0, weight: 0 },
      { name: 'bad_host!', port: 993, priority: 0, weight: 0 },
      { name: 'imap.example.com', port: 993, priority: 5, weight: 0 },
    ]);
    assert.deepEqual(list, [{ host: 'imap.example.com', port: 993, priority: 5, weight: 0 }]);
  });

  it('says the service is not offered when the target is "." and that absurd ports are unusable', () => {
    assert.throws(
      () => usableSrvTargets(NAME, [{ name: '', port: 0, priority: 0, weight: 0 }]),
      (e: unknown) => MailError.is(e, 'ConfigInvalid') && /target "\." means the domain does not offer this service/.test(e.message) && e.message.includes(NAME),
    );
    assert.throws(
      () => usableSrvTargets(NAME, [{ name: 'imap.example.com', port: 65536, priority: 0, weight: 0 }, { name: 'imap.example.com', port: 0, priority: 0, weight: 0 }]),
      (e: unknown) => MailError.is(e, 'ConfigInvalid') && /port 65536 is not a port from 1 to 65535; port 0 is not/.test(e.message),
    );
  });
});
