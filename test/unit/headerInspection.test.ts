import * as assert from 'node:assert/strict';
import { parseAuthenticationResults } from '../../src/protocol/mime/authResults';
import { parseMessageStream } from '../../src/protocol/mime/parseMessageStream';
import { parseReceivedChain } from '../../src/protocol/mime/receivedChain';
import type { HeaderLine } from '../../src/protocol/mime/types';

const h = (name: string, value: string): HeaderLine => ({ name, value });

describe('parseReceivedChain', () => {
  // As Gmail delivers it: newest Received first.
  const gmail: HeaderLine[] = [
    h('Received', 'by 2002:a05:6a10:1234:b0:5a1:2b3c:4d5e with SMTP id x12csp345678pxb; Tue, 2 Jan 2024 02:00:09 -0800 (PST)'),
    h('Received', 'from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a1sor123.2024.01.02.02.00.05 for <alice@example.com> (Google Transport Security); Tue, 02 Jan 2024 02:00:05 -0800 (PST)'),
    h('Received', 'from [192.168.1.20] (host-1.example.net [203.0.113.5]) by smtp.example.org (Postfix) with ESMTPSA id 4T1abc; Tue,  2 Jan 2024 10:00:01 +0000 (UTC)'),
    h('Date', 'Tue, 2 Jan 2024 10:00:00 +0000'),
  ];

  it('gives hops oldest first with from/by/with/id/for and ISO dates', () => {
    const hops = parseReceivedChain(gmail);
    assert.equal(hops.length, 3);
    assert.deepEqual({ ...hops[0], raw: undefined }, {
      from: '[192.168.1.20] (host-1.example.net [203.0.113.5])',
      by: 'smtp.example.org (Postfix)',
      with: 'ESMTPSA',
      id: '4T1abc',
      date: '2024-01-02T10:00:01.000Z',
      delaySeconds: 1,
      raw: undefined,
    });
    assert.equal(hops[1].from, 'mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])');
    assert.equal(hops[1].by, 'mx.google.com');
    assert.equal(hops[1].for, 'alice@example.com (Google Transport Security)');
    assert.equal(hops[2].by, '2002:a05:6a10:1234:b0:5a1:2b3c:4d5e');
    assert.equal(hops[2].from, undefined);
    assert.equal(hops[2].raw, gmail[0].value);
  });

  it('measures each delay against the previous hop, the first against the Date header', () => {
    assert.deepEqual(parseReceivedChain(gmail).map((hop) => hop.delaySeconds), [1, 4, 4]);
  });

  it('tolerates comments with semicolons, missing parts and bad dates', () => {
    const hops = parseReceivedChain([
      h('Received', 'from x.test (helo; odd) by y.test; not a date at all'),
      h('Received', '(qmail 12345 invoked by uid 89)'),
      h('Received', ''),
    ]);
    assert.equal(hops.length, 3);
    assert.equal(hops[0].date, undefined);
    assert.equal(hops[1].from, undefined);
    assert.equal(hops[2].from, 'x.test (helo; odd)');
    assert.equal(hops[2].by, 'y.test');
    assert.equal(hops[2].date, undefined);
    assert.ok(hops.every((hop) => hop.delaySeconds === undefined));
  });

  it('works on headers from parseMessageStream, folded as they arrive', async () => {
    const parsed = await parseMessageStream(Buffer.from([
      'Received: from a.example (a.example [198.51.100.1])',
      '\tby b.example with ESMTP id ABC',
      '\tfor <bob@example.test>; Tue, 2 Jan 2024 10:00:30 +0000',
      'Date: Tue, 2 Jan 2024 10:00:00 +0000',
      'Subject: x',
      '',
      'body',
    ].join('\r\n')));
    const [hop] = parseReceivedChain(parsed.headers);
    assert.equal(hop.from, 'a.example (a.example [198.51.100.1])');
    assert.equal(hop.for, 'bob@example.test');
    assert.equal(hop.delaySeconds, 30);
  });
});

describe('parseAuthenticationResults', () => {
  it('reads Gmail\'s field: authserv-id, several results, comments, properties', () => {
    const results = parseAuthenticationResults([h('Authentication-Results', 'mx.google.com; dkim=pass header.i=@example.com header.s=s1 header.b=AbC123; ' +
      'spf=pass (google.com: domain of news@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=news@example.com; ' +
      'dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com')]);
    assert.deepEqual(results, [
      { authservId: 'mx.google.com', method: 'dkim', result: 'pass', properties: { 'header.i': '@example.com', 'header.s': 's1', 'header.b': 'AbC123' } },
      { authservId: 'mx.google.com', method: 'spf', result: 'pass', comment: 'google.com: domain of news@example.com designates 209.85.220.41 as permitted sender', properties: { 'smtp.mailfrom': 'news@example.com' } },
      { authservId: 'mx.google.com', method: 'dmarc', result: 'pass', comment: 'p=NONE sp=NONE dis=NONE', properties: { 'header.from': 'example.com' } },
    ]);
  });

  it('reads Microsoft\'s field, which has no authserv-id', () => {
    const results = parseAuthenticationResults([h('Authentication-Results', 'spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=fail action=quarantine header.from=example.com;compauth=fail reason=001')]);
    assert.deepEqual(results.map((r) => [r.authservId, r.method, r.result]), [['', 'spf', 'fail'], ['', 'dkim', 'none'], ['', 'dmarc', 'fail'], ['', 'compauth', 'fail']]);
    assert.equal(results[2].properties.action, 'quarantine');
    assert.equal(results[3].reason, '001');
    assert.equal(results[0].comment, 'sender IP is 203.0.113.9');
  });

  it('reads Fastmail\'s fields with a version, quoted reason and x- methods', () => {
    const results = parseAuthenticationResults([
      h('Authentication-Results', 'mx6.messagingengine.com 1; arc=none (no signatures found); dkim=fail reason="signature verification failed" (2048-bit rsa key sha256) header.d=example.org header.i=@example.org header.b=Xy/Z+1 header.a=rsa-sha256 header.s=fm1 x-bits=2048; ' +
        'spf/1=pass smtp.mailfrom=list@example.org smtp.helo=out.example.org; x-aligned-from=pass (Address match)'),
      h('Authentication-Results', 'other.example; none'),
    ]);
    assert.deepEqual(results.map((r) => `${r.authservId} ${r.method}=${r.result}`), ['mx6.messagingengine.com arc=none', 'mx6.messagingengine.com dkim=fail', 'mx6.messagingengine.com spf=pass', 'mx6.messagingengine.com x-aligned-from=pass']);
    assert.equal(results[1].reason, 'signature verification failed');
    assert.equal(results[1].properties['header.b'], 'Xy/Z+1');
    assert.equal(results[1].properties['x-bits'], '2048');
    assert.equal(results[2].properties['smtp.helo'], 'out.example.org');
  });

  it('ignores junk without throwing', () => {
    for (const value of ['', ';;;', '(((', '"unterminated', 'a=', '=b; c', 'x; spf=(comment) pass']) {
      assert.doesNotThrow(() => parseAuthenticationResults([h('Authentication-Results', value)]));
    }
    assert.deepEqual(parseAuthenticationResults([h('Authentication-Results', 'x; spf=(comment) pass')]).map((r) => r.result), ['pass']);
  });
});
