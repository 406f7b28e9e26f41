// POP3 framing against hostile byte streams: every split position, dot-stuffing, 8-bit and NUL
// bytes, terminators cut across chunks, overlong lines and unsolicited responses.
import * as assert from 'node:assert/strict';
import { MailError } from '../../src/protocol/errors';
import { bodyLines, Pop3Framer, type Pop3Response, type ResponseKind } from '../../src/protocol/pop3/framing';
import { DEFAULT_POP3_LIMITS } from '../../src/protocol/pop3/limits';
import { parseCapabilities, apopTimestamp } from '../../src/protocol/pop3/capabilities';
import { parseStat, parseUidl, parseList, responseCode } from '../../src/protocol/pop3/responses';
import { dotStuff } from '../fixtures/pop3FakeServer';

interface Recorded {
  responses: Pop3Response[];
  unsolicited: string[];
  errors: MailError[];
}

function framer(kinds: ResponseKind[], limits = DEFAULT_POP3_LIMITS): { f: Pop3Framer; rec: Recorded } {
  const rec: Recorded = { responses: [], unsolicited: [], errors: [] };
  const f = new Pop3Framer(limits, {
    response: (r) => rec.responses.push(r),
    unsolicited: (l) => rec.unsolicited.push(l),
    error: (e) => rec.errors.push(e),
  });
  for (const k of kinds) f.expect(k);
  return { f, rec };
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

// A message with everything that breaks naive clients: lines starting with one, two and three
// dots, lines that are only ".." and only "." (a terminator unless stuffed), 8-bit bytes (latin-1
// and UTF-8), a NUL byte and a lone CR.
const HOSTILE_MESSAGE = Buffer.concat([
  b('Subject: =?x?= dots\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n'),
  b('.leading dot\r\n..two dots\r\n...three\r\n..\r\n'),
  b('caf\xe9 na\xefve \xff\xfe\r\n'),
  Buffer.from('日本語 ✓\r\n', 'utf8'),
  b('nul\x00byte and lone\rCR\r\n'),
  b('. \r\n.x\r\n'),
  b('.\r\n'),
  b('end\r\n'),
]);

const STREAM = Buffer.concat([
  b('+OK ready <1.2@host>\r\n'),
  b('+OK capa\r\nTOP\r\nUIDL\r\nSASL PLAIN\r\n.\r\n'),
  b('+OK '),
  b(`${HOSTILE_MESSAGE.length} octets\r\n`),
  dotStuff(HOSTILE_MESSAGE),
  b('-ERR [SYS/TEMP] no\r\n'),
  b('+OK 0 octets\r\n.\r\n'),
  b('+OK 2 320\r\n'),
]);
const KINDS: ResponseKind[] = ['single', 'multi', 'multi', 'multi', 'multi', 'single'];

function assertStreamParsed(rec: Recorded, where: string): void {
  assert.deepEqual(rec.errors, [], where);
  assert.deepEqual(rec.unsolicited, [], where);
  assert.equal(rec.responses.length, 6, where);
  assert.equal(rec.responses[0].text, 'ready <1.2@host>', where);
  assert.deepEqual(bodyLines(rec.responses[1].body), ['TOP', 'UIDL', 'SASL PLAIN'], where);
  assert.ok(rec.responses[2].body?.equals(HOSTILE_MESSAGE), `${where}: message not byte-exact`);
  assert.equal(rec.responses[3].status, 'err', where);
  assert.equal(rec.responses[3].body, undefined, where);
  assert.equal(rec.responses[4].body?.length, 0, where);
  assert.equal(rec.responses[5].text, '2 320', where);
}

describe('POP3 framing', () => {
  it('reads a stream fed in one piece', () => {
    const { f, rec } = framer(KINDS);
    f.push(STREAM);
    assertStreamParsed(rec, 'one piece');
  });

  it('reads the same responses whatever byte position the stream is split at', () => {
    for (let at = 1; at < STREAM.length; at++) {
      const { f, rec } = framer(KINDS);
      f.push(STREAM.subarray(0, at));
      f.push(STREAM.subarray(at));
      assertStreamParsed(rec, `split at ${at}`);
    }
  });

  it('reads the same responses split at every pair of positions around the message terminator', () => {
    const end = STREAM.indexOf(b('\r\n.\r\n-ERR'));
    assert.ok(end > 0);
    for (let i = end - 3; i < end + 6; i++) {
      for (let j = i + 1; j < end + 8; j++) {
        const { f, rec } = framer(KINDS);
        f.push(STREAM.subarray(0, i));
        f.push(STREAM.subarray(i, j));
        f.push(STREAM.subarray(j));
        assertStreamParsed(rec, `split at ${i} and ${j}`);
      }
    }
  });

  it('reads the stream fed one byte at a time', () => {
    const { f, rec } = framer(KINDS);
    for (let i = 0; i < STREAM.length; i++) f.push(STREAM.subarray(i, i + 1));
    assertStreamParsed(rec, 'byte by byte');
  });

  it('un-stuffs dots: ".." lines lose one dot, the terminator is only a lone "."', () => {
    const { f, rec } = framer(['multi']);
    f.push(b('+OK\r\n..\r\n...\r\n..x\r\n. \r\n.\r\n'));
    assert.equal(rec.responses[0].body?.toString('latin1'), '.\r\n..\r\n.x\r\n \r\n');
  });

  it('keeps every 8-bit and NUL byte of a message', () => {
    const all = Buffer.alloc(256 * 3);
    for (let i = 0; i < all.length; i++) all[i] = i % 256;
    // make lines out of it: every 0x0a is a line break already; end with CRLF
    const message = Buffer.concat([all, b('\r\n')]);
    const { f, rec } = framer(['multi']);
    f.push(Buffer.concat([b('+OK\r\n'), dotStuff(message)]));
    assert.deepEqual(rec.errors, []);
    assert.ok(rec.responses[0].body?.equals(message));
  });

  it('finds the terminator when ".", "\\r" and "\\n" arrive in three separate chunks', () => {
    const { f, rec } = framer(['multi', 'single']);
    for (const part of ['+OK\r\nline\r\n', '.', '\r', '\n', '+OK next\r\n']) f.push(b(part));
    assert.equal(rec.responses.length, 2);
    assert.equal(rec.responses[0].body?.toString('latin1'), 'line\r\n');
    assert.equal(rec.responses[1].text, 'next');
  });

  it('does not take ".\\r" followed by something else for the terminator', () => {
    const { f, rec } = framer(['multi']);
    f.push(b('+OK\r\n.'));
    f.push(b('\r'));
    f.push(b('x\r\n.\r\n'));
    assert.equal(rec.responses[0].body?.toString('latin1'), '\rx\r\n');
  });

  it('stops at a 10 MB line with LimitExceeded, holding no more than the line limit', () => {
    const limits = { ...DEFAULT_POP3_LIMITS };
    const { f, rec } = framer(['multi'], limits);
    f.push(b('+OK\r\n'));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let pushes = 0;
    let maxHeld = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
      f.push(chunk);
      pushes++;
      maxHeld = Math.max(maxHeld, f.bufferedBytes);
    }
    assert.equal(rec.errors.length, 1);
    assert.equal(rec.errors[0].code, 'LimitExceeded');
    assert.equal(rec.responses.length, 0);
    assert.ok(maxHeld <= limits.maxLineBytes, `held ${maxHeld} bytes`);
    assert.equal(f.bufferedBytes, 0, 'nothing kept after the failure');
    assert.ok(f.failed);
    assert.ok(pushes > limits.maxLineBytes / chunk.length);
  });

  it('takes a line of exactly the line limit (CRLF included), split anywhere, and refuses one byte more', () => {
    const limits = { ...DEFAULT_POP3_LIMITS, maxLineBytes: 40 };
    const line = (n: number): Buffer => b(`${'x'.repeat(n - 2)}\r\n`);
    // short lines, the longest allowed line, a dot-stuffed one and short lines again, longer in all than the limit
    const body = Buffer.concat([line(10), line(10), line(40), b('..'), line(38), line(3), line(40), line(20)]);
    const unstuffed = Buffer.concat([line(10), line(10), line(40), b('.'), line(38), line(3), line(40), line(20)]);
    const stream = Buffer.concat([b('+OK\r\n'), body, b('.\r\n')]);
    for (let at = 1; at < stream.length; at++) {
      for (const cuts of [[at], [at, at + 1], [at, at + 17]].filter((c) => c.every((x) => x < stream.length))) {
        const { f, rec } = framer(['multi'], limits);
        [0, ...cuts].forEach((from, i) => f.push(stream.subarray(from, [...cuts, stream.length][i])));
        assert.deepEqual(rec.errors, [], `split at ${cuts.join(', ')}`);
        assert.ok(rec.responses[0]?.body?.equals(unstuffed), `split at ${cuts.join(', ')}: body not byte-exact`);
      }
    }
    for (let at = 1; at < 60; at++) {
      const tooLong = Buffer.concat([b('+OK\r\n'), line(10), line(41), b('.\r\n')]);
      const { f, rec } = framer(['multi'], limits);
      f.push(tooLong.subarray(0, at));
      f.push(tooLong.subarray(at));
      assert.equal(rec.errors[0]?.code, 'LimitExceeded', `split at ${at}`);
      assert.equal(rec.responses.length, 0);
    }
  });

  it('reads a body of many short lines far longer than the line limit in one piece', () => {
    const limits = { ...DEFAULT_POP3_LIMITS, maxLineBytes: 1024 };
    const lines = Array.from({ length: 20_000 }, (_, i) => (i % 500 === 0 ? `.dot ${i}\r\n` : `line ${i} of a long body\r\n`));
    const message = b(lines.join(''));
    const { f, rec } = framer(['multi'], limits);
    f.push(Buffer.concat([b('+OK\r\n'), dotStuff(message), b('.\r\n')]));
    assert.deepEqual(rec.errors, []);
    assert.ok(rec.responses[0]?.body?.equals(message));
  });

  it('stops at a 10 MB status line without CRLF with LimitExceeded', () => {
    const { f, rec } = framer(['single']);
    const chunk = Buffer.alloc(256 * 1024, 0x2b);
    let maxHeld = 0;
    for (let i = 0; i < 40; i++) {
      f.push(chunk);
      maxHeld = Math.max(maxHeld, f.bufferedBytes);
    }
    assert.equal(rec.errors.length, 1);
    assert.equal(rec.errors[0].code, 'LimitExceeded');
    assert.ok(maxHeld <= DEFAULT_POP3_LIMITS.maxStatusLineBytes, `held ${maxHeld} bytes`);
  });

  it('stops a message over the message limit with LimitExceeded', () => {
    const { f, rec } = framer(['multi'], { ...DEFAULT_POP3_LIMITS, maxMessageBytes: 1000 });
    f.push(b('+OK\r\n'));
    for (let i = 0; i < 30; i++) f.push(b('0123456789012345678901234567890123456789\r\n'));
    assert.equal(rec.errors[0]?.code, 'LimitExceeded');
    assert.ok(f.bufferedBytes <= 1000);
  });

  it('reports an -ERR that arrives between commands as unsolicited', () => {
    const { f, rec } = framer(['single']);
    f.push(b('+OK 1 10\r\n-ERR autologout; idle for too long\r\n'));
    assert.equal(rec.responses.length, 1);
    assert.deepEqual(rec.unsolicited, ['-ERR autologout; idle for too long']);
  });

  it('fails with ProtocolError on a line that is neither +OK nor -ERR', () => {
    const { f, rec } = framer(['single']);
    f.push(b('HTTP/1.1 400 Bad Request\r\n'));
    assert.equal(rec.errors[0]?.code, 'ProtocolError');
  });

  it('fails with TlsFailed when bytes follow the +OK to STLS in plaintext', () => {
    const { f, rec } = framer(['upgrade']);
    f.push(b('+OK Begin TLS\r\n+OK injected\r\n'));
    assert.equal(rec.responses.length, 1);
    assert.equal(rec.errors[0]?.code, 'TlsFailed');
  });

  it('reads SASL continuations with and without a challenge', () => {
    const { f, rec } = framer(['single', 'single']);
    f.push(b('+ PDEyMz4=\r\n+\r\n'));
    assert.deepEqual(
      rec.responses.map((r) => [r.status, r.text]),
      [
        ['continue', 'PDEyMz4='],
        ['continue', ''],
      ],
    );
  });
});

describe('POP3 response parsing', () => {
  it('parses CAPA, with unknown meaning "try and see" when CAPA failed', () => {
    const caps = parseCapabilities(['TOP', 'UIDL', 'PIPELINING', 'STLS', 'USER', 'RESP-CODES', 'SASL plain CRAM-MD5', 'EXPIRE NEVER', 'LOGIN-DELAY 900', 'IMPLEMENTATION Shlemazle-Plotz-v302']);
    assert.deepEqual(caps.sasl, ['PLAIN', 'CRAM-MD5']);
    assert.equal(caps.loginDelay, 900);
    assert.equal(caps.expire, 'NEVER');
    assert.equal(caps.implementation, 'Shlemazle-Plotz-v302');
    assert.ok(caps.top && caps.uidl && caps.pipelining && caps.stls && caps.user && caps.respCodes);
    const none = parseCapabilities(undefined);
    assert.equal(none.uidl, undefined);
    assert.equal(none.top, undefined);
    assert.equal(none.pipelining, false);
    assert.equal(parseCapabilities(['USER']).uidl, false);
  });

  it('finds the APOP timestamp only in a msg-id with "@"', () => {
    assert.equal(apopTimestamp('POP3 server ready <1896.697170952@dbc.mtview.ca.us>'), '<1896.697170952@dbc.mtview.ca.us>');
    assert.equal(apopTimestamp('POP3 <server> ready'), undefined);
  });

  it('parses STAT, LIST, UIDL and response codes, rejecting malformed and duplicate ids', () => {
    assert.deepEqual(parseStat({ status: 'ok', text: '2 320 octets' }), { count: 2, size: 320 });
    assert.throws(() => parseStat({ status: 'ok', text: 'lots' }), (e: unknown) => MailError.is(e, 'ProtocolError'));
    assert.deepEqual(parseList({ status: 'ok', text: '', body: b('1 120\r\n2 200\r\n') }), [
      { msg: 1, size: 120 },
      { msg: 2, size: 200 },
    ]);
    assert.deepEqual(parseUidl({ status: 'ok', text: '', body: b('1 whqtswO00WBw418f9t5JxYwZ\r\n') }), [{ msg: 1, uid: 'whqtswO00WBw418f9t5JxYwZ' }]);
    assert.throws(() => parseUidl({ status: 'ok', text: '', body: b('1 a\r\n2 a\r\n') }), (e: unknown) => MailError.is(e, 'ProtocolError'));
    assert.throws(() => parseUidl({ status: 'ok', text: '', body: b(`1 ${'x'.repeat(71)}\r\n`) }), (e: unknown) => MailError.is(e, 'ProtocolError'));
    assert.equal(responseCode('[IN-USE] Do you have another POP session running?'), 'IN-USE');
    assert.equal(responseCode('[LOGIN-DELAY] wait'), 'LOGIN-DELAY');
    assert.equal(responseCode('no code'), undefined);
  });
});
