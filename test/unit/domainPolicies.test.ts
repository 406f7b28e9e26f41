import * as assert from 'node:assert/strict';
import { checkDmarc, DmarcSyntaxError, parseDmarc } from '../../src/protocol/probe/domain/dmarc';
import { decodeTlsaResponse, encodeQuery, TruncatedAnswer, TYPE_TLSA } from '../../src/protocol/probe/domain/tlsaQuery';
import { mxMatches, parseMtaStsRecord, parsePolicy, PolicySyntaxError } from '../../src/protocol/probe/domain/mtaSts';
import { renderDomainMarkdown } from '../../src/protocol/probe/domain/render';
import { checkSpf } from '../../src/protocol/probe/domain/spf';
import { parseTlsRpt } from '../../src/protocol/probe/domain/tlsRpt';
import { zoneResolver } from './helpers/zoneResolver';

describe('DMARC record parsing', () => {
  it('reads policy, subdomain policy, percentage, report addresses and alignment', () => {
    const p = parseDmarc('v=DMARC1; p=Quarantine; sp=reject; pct=50; rua=mailto:agg@example.test,mailto:agg@other.test!10m; ruf=mailto:forensic@example.test; adkim=s; aspf=r');
    assert.equal(p.p, 'quarantine');
    assert.equal(p.sp, 'reject');
    assert.equal(p.pct, 50);
    assert.deepEqual(p.rua, ['mailto:agg@example.test', 'mailto:agg@other.test']);
    assert.deepEqual(p.ruf, ['mailto:forensic@example.test']);
    assert.equal(p.adkim, 's');
    assert.equal(p.aspf, 'r');
    assert.equal(parseDmarc('v=DMARC1;p=none').adkim, 'r', 'relaxed by default');
  });

  it('refuses garbage, a missing or unknown policy, a bad pct and a huge record', () => {
    for (const bad of ['v=DMARC1', 'v=DMARC1; p=block', 'v=DMARC1; p=none; pct=150', 'v=DMARC1; p=none; pct=-1', 'v=DMARC1; p=none; adkim=x', 'v=DMARC1; p=none; garbage', 'p=reject; v=DMARC1', `v=DMARC1; p=none; rua=${'mailto:x@y.test,'.repeat(10_000)}`, `v=DMARC1; ${'x=1;'.repeat(100)} p=none`]) {
      assert.throws(() => parseDmarc(bad), DmarcSyntaxError, bad.slice(0, 50));
    }
  });

  it('a domain without _dmarc gets dmarc-missing; p=none and pct<100 are named', async () => {
    const check = async (records?: string[]) => (await checkDmarc('example.test', zoneResolver({ txt: records ? { '_dmarc.example.test': records } : {} }), 1000)).findings.map((f) => f.code);
    assert.deepEqual(await check(), ['dmarc-missing']);
    assert.deepEqual(await check(['v=DMARC1; p=none; rua=mailto:a@example.test']), ['dmarc-policy-none']);
    assert.deepEqual(await check(['v=DMARC1; p=reject; pct=20']), ['dmarc-partial']);
    assert.deepEqual(await check(['v=DMARC1; p=reject', 'v=DMARC1; p=none']), ['dmarc-multiple']);
    assert.deepEqual(await check(['v=DMARC1; p=reject']), []);
  });
});

describe('MTA-STS record and policy parsing', () => {
  const policy = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\nmx: *.backup.example.test\r\nmax_age: 604800\r\n';

  it('reads version, mode, max_age and every mx pattern (CRLF or LF)', () => {
    for (const text of [policy, policy.replace(/\r\n/g, '\n')]) {
      assert.deepEqual(parsePolicy(text), { version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mail.example.test', '*.backup.example.test'] });
    }
    assert.equal(parseMtaStsRecord('v=STSv1; id=20260101T01;'), '20260101T01');
  });

  it('refuses garbage, missing fields, a bad max_age, too many mx lines and a huge file', () => {
    const bad = [
      'garbage',
      '\u0000\u0001\u0002',
      policy.replace('version: STSv1', 'version: STSv2'),
      policy.replace('mode: enforce', 'mode: maybe'),
      policy.replace('max_age: 604800', 'max_age: 99999999999'),
      policy.replace('max_age: 604800\r\n', ''),
      'version: STSv1\nmode: enforce\nmax_age: 86400\n',
      policy.replace('mx: mail.example.test', 'mx: mail example test'),
      `${policy}${'mx: a.example.test\n'.repeat(65)}`,
      `${policy}${'x'.repeat(70 * 1024)}`,
    ];
    for (const text of bad) assert.throws(() => parsePolicy(text), PolicySyntaxError, JSON.stringify(text.slice(0, 40)));
    assert.throws(() => parseMtaStsRecord('v=STSv1; id=has-dashes'), /letters and digits/);
    assert.throws(() => parseMtaStsRecord('v=STSv1;'), /no id/);
  });

  it('matches a wildcard against exactly one leftmost label (RFC 8461 4.1)', () => {
    assert.equal(mxMatches('mail.example.test', 'MAIL.example.test.'), true);
    assert.equal(mxMatches('*.example.test', 'mx1.example.test'), true);
    assert.equal(mxMatches('*.example.test', 'a.b.example.test'), false);
    assert.equal(mxMatches('*.example.test', 'example.test'), false);
    assert.equal(mxMatches('mail.example.test', 'mail.example.test.evil.test'), false);
  });
});

describe('TLS-RPT record parsing', () => {
  it('reads mailto and https report addresses and refuses others', () => {
    assert.deepEqual(parseTlsRpt('v=TLSRPTv1; rua=mailto:tls@example.test,https://reports.example.test/tls'), ['mailto:tls@example.test', 'https://reports.example.test/tls']);
    assert.throws(() => parseTlsRpt('v=TLSRPTv1;'), /no report address/);
    assert.throws(() => parseTlsRpt('v=TLSRPTv1; rua=http://plain.example.test'), /neither a mailto/);
  });
});

describe('TLSA answers over raw DNS', () => {
  /** An answer to `query` with these rdata records (name by compression pointer to the question), without the query's OPT record. */
  function answer(query: Buffer, rdatas: Buffer[], flags = 0x8180): Buffer {
    const out = Buffer.from(query.subarray(0, query.length - 11));
    out.writeUInt16BE(0, 10);
    out.writeUInt16BE(flags, 2);
    out.writeUInt16BE(rdatas.length, 6);
    const rrs = rdatas.map((rd) => {
      const head = Buffer.alloc(12);
      head.writeUInt16BE(0xc00c, 0);
      head.writeUInt16BE(TYPE_TLSA, 2);
      head.writeUInt16BE(1, 4);
      head.writeUInt32BE(60, 6);
      head.writeUInt16BE(rd.length, 10);
      return Buffer.concat([head, rd]);
    });
    return Buffer.concat([out, ...rrs]);
  }

  it('asks with RD, AD and an EDNS(0) OPT record for 1232-octet answers', () => {
    const q = encodeQuery(0x1234, 'a.test', TYPE_TLSA);
    assert.equal(q.readUInt16BE(2), 0x0120);
    assert.equal(q.readUInt16BE(10), 1, 'one additional record');
    assert.deepEqual([...q.subarray(q.length - 11)], [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
  });

  it('reads usage, selector, matching type and data, and the AD bit', () => {
    const q = encodeQuery(0x1234, '_25._tcp.mx.example.test', TYPE_TLSA);
    const decoded = decodeTlsaResponse(answer(q, [Buffer.from('030101abcdef', 'hex')], 0x81a0), 0x1234);
    assert.deepEqual(decoded.records, [{ usage: 3, selector: 1, matchingType: 1, data: 'abcdef' }]);
    assert.equal(decoded.authenticated, true);
    assert.equal(decodeTlsaResponse(answer(q, [Buffer.from('020001ff', 'hex')]), 0x1234).authenticated, false);
  });

  it('refuses truncated, mismatched and overrunning answers; NXDOMAIN is empty', () => {
    const q = encodeQuery(7, '_25._tcp.mx.example.test', TYPE_TLSA);
    const good = answer(q, [Buffer.from('030101abcdef', 'hex')]);
    assert.throws(() => decodeTlsaResponse(good.subarray(0, good.length - 3), 7), /past the end/);
    assert.throws(() => decodeTlsaResponse(good, 8), /query id/);
    assert.throws(() => decodeTlsaResponse(Buffer.alloc(5), 7), /shorter/);
    assert.throws(() => decodeTlsaResponse(answer(q, [], 0x8182), 7), /SERVFAIL/);
    assert.deepEqual(decodeTlsaResponse(answer(q, [], 0x8183), 7), { records: [], authenticated: false, empty: true });
    // TC set: not read as a (partial) answer, but as the signal to ask again over TCP.
    assert.throws(() => decodeTlsaResponse(answer(q, [], 0x8380), 7), (err: unknown) => err instanceof TruncatedAnswer);
  });
});

describe('domain report rendering', () => {
  it('a record with line breaks and control characters cannot add lines of its own to the Markdown report', async () => {
    const hostile = 'v=spf1 include:x.test\n- WARNING `dmarc-missing`: forged\u001b[2J -all';
    const spf = await checkSpf('example.test', zoneResolver({ txt: { 'example.test': [hostile] } }), 1000);
    const empty = { name: '', records: [] };
    const text = renderDomainMarkdown({
      domain: 'example.test', startedAt: '2026-12-02T00:00:00.000Z', totalMs: 1, mx: [], spf: spf.report,
      dmarc: { lookup: { ...empty, name: '_dmarc.example.test' } }, mtaSts: { lookup: empty, policyUrl: '', unmatchedMx: [] }, tlsRpt: { lookup: empty, rua: [] },
      setup: { srv: [], autoconfig: [] }, findings: [],
    });
    assert.doesNotMatch(text, /^- WARNING `dmarc-missing`: forged/m);
    assert.ok(!text.includes('\u001b'), 'no escape character reaches the terminal');
    assert.match(text, /include:x\.test\\n- WARNING/);
  });
});
