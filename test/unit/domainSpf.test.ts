import * as assert from 'node:assert/strict';
import { checkSpf, parseSpf, SpfSyntaxError } from '../../src/protocol/probe/domain/spf';
import type { DomainFindingCode } from '../../src/protocol/probe/domain/types';
import { Zone, zoneResolver } from './helpers/zoneResolver';

const codes = (findings: Array<{ code: DomainFindingCode }>): DomainFindingCode[] => findings.map((f) => f.code).sort();

describe('SPF record parsing', () => {
  it('splits mechanisms with qualifiers, values and CIDR, and modifiers', () => {
    const terms = parseSpf('v=spf1 ip4:192.0.2.0/24 -a/24 ~mx:mail.example.com include:_spf.example.net ?exists:%{i}.bl.example redirect=_spf.example.org exp=explain.example.com');
    assert.deepEqual(terms, [
      { qualifier: '+', name: 'ip4', value: '192.0.2.0/24', modifier: false },
      { qualifier: '-', name: 'a', value: '/24', modifier: false },
      { qualifier: '~', name: 'mx', value: 'mail.example.com', modifier: false },
      { qualifier: '+', name: 'include', value: '_spf.example.net', modifier: false },
      { qualifier: '?', name: 'exists', value: '%{i}.bl.example', modifier: false },
      { name: 'redirect', value: '_spf.example.org', modifier: true },
      { name: 'exp', value: 'explain.example.com', modifier: true },
    ]);
  });

  it('refuses an unknown mechanism, include without a domain, all with an argument and two redirects', () => {
    for (const bad of ['v=spf1 ip5:1.2.3.4 -all', 'v=spf1 include -all', 'v=spf1 all:x', 'v=spf1 redirect=a.test redirect=b.test', 'v=spf1 \u0000\u0001garbage', 'v=spf10 -all']) {
      assert.throws(() => parseSpf(bad), SpfSyntaxError, bad);
    }
  });

  it('refuses a huge record without working through it', () => {
    const huge = `v=spf1 ${'ip4:192.0.2.1 '.repeat(200_000)}-all`;
    const t0 = Date.now();
    assert.throws(() => parseSpf(huge), /characters long/);
    assert.ok(Date.now() - t0 < 200);
    assert.throws(() => parseSpf(`v=spf1 ${'a '.repeat(200)}-all`), /terms, more than/);
  });
});

describe('SPF lookup counting (RFC 7208 4.6.4)', () => {
  async function run(zone: Zone, domain = 'example.test') {
    const resolver = zoneResolver(zone);
    const result = await checkSpf(domain, resolver, 1000);
    return { ...result, queries: resolver.queries };
  }

  it('counts DNS-querying terms through nested includes and a redirect, and not ip4/ip6/all', async () => {
    const { report, findings } = await run({
      txt: {
        'example.test': ['v=spf1 ip4:192.0.2.1 a mx include:one.test redirect=two.test'],
        'one.test': ['v=spf1 include:three.test ip6:2001:db8::/32 ~all'],
        'three.test': ['v=spf1 a:host.three.test exists:x.three.test -all'],
        'two.test': ['v=spf1 ptr -all'],
      },
      a: { 'example.test': ['192.0.2.1'], 'host.three.test': ['192.0.2.2'], 'x.three.test': ['127.0.0.2'] },
      mx: { 'example.test': [{ exchange: 'mx.example.test', priority: 10 }] },
    });
    // a, mx, include:one, include:three, a:host, exists, redirect, ptr
    assert.equal(report.dnsLookups, 8);
    assert.equal(report.voidLookups, 0);
    assert.deepEqual(report.included.map((i) => `${i.via} ${i.domain}`), ['include one.test', 'include three.test', 'redirect two.test']);
    assert.equal(report.all, '-', 'the redirect target decides the all');
    assert.deepEqual(codes(findings), ['spf-ptr']);
  });

  it('says spf-too-many-lookups at 11 but not at exactly 10', async () => {
    const chain = (n: number): Zone => {
      const txt: Record<string, string[]> = { 'example.test': [`v=spf1 ${Array.from({ length: n }, (_, i) => `include:i${i}.test`).join(' ')} -all`] };
      for (let i = 0; i < n; i++) txt[`i${i}.test`] = ['v=spf1 ip4:192.0.2.1 -all'];
      return { txt };
    };
    const ten = await run(chain(10));
    assert.equal(ten.report.dnsLookups, 10);
    assert.deepEqual(codes(ten.findings), []);
    const eleven = await run(chain(11));
    assert.equal(eleven.report.dnsLookups, 11);
    assert.deepEqual(codes(eleven.findings), ['spf-too-many-lookups']);
    assert.match(eleven.findings[0].message, /11 DNS lookups/);
  });

  it('stops at an include loop, names it, and sends a bounded number of queries', async () => {
    const { findings, queries } = await run({ txt: { 'example.test': ['v=spf1 include:b.test -all'], 'b.test': ['v=spf1 include:example.test -all'] } });
    assert.ok(codes(findings).includes('spf-loop'));
    assert.match(findings.find((f) => f.code === 'spf-loop')!.message, /example\.test → b\.test → example\.test/);
    assert.equal(queries.length, 2);
  });

  it('bounds a self-amplifying tree (every record includes two more) at the query limit', async () => {
    const txt: Record<string, string[]> = {};
    for (let i = 0; i < 200; i++) txt[`n${i}.test`] = [`v=spf1 include:n${2 * i + 1}.test include:n${2 * i + 2}.test -all`];
    const { report, findings, queries } = await run({ txt }, 'n0.test');
    assert.ok(codes(findings).includes('spf-too-many-lookups'));
    assert.ok(queries.length <= 41, `${queries.length} queries`);
    assert.ok(report.dnsLookups > 10);
  });

  it('counts void lookups (names that do not exist) and warns past two', async () => {
    const two = await run({ txt: { 'example.test': ['v=spf1 a:gone1.test mx:gone2.test -all'] } });
    assert.equal(two.report.voidLookups, 2);
    assert.deepEqual(codes(two.findings), []);
    const three = await run({ txt: { 'example.test': ['v=spf1 a:gone1.test mx:gone2.test exists:gone3.test -all'] } });
    assert.equal(three.report.voidLookups, 3);
    assert.deepEqual(codes(three.findings), ['spf-void-lookups']);
  });

  it('an include of a domain without SPF is a void lookup and a permanent error', async () => {
    const { report, findings } = await run({ txt: { 'example.test': ['v=spf1 include:nothing.test -all'] } });
    assert.equal(report.voidLookups, 1);
    assert.deepEqual(codes(findings), ['spf-include-missing']);
  });

  it('counts but does not follow a term with a macro', async () => {
    const { report, queries } = await run({ txt: { 'example.test': ['v=spf1 exists:%{i}.%{d}.bl.test include:%{d2}.test -all'] } });
    assert.equal(report.dnsLookups, 2);
    assert.deepEqual(queries, ['TXT example.test']);
  });

  it('names +all (also inside an include), ?all, a missing record and two records', async () => {
    assert.deepEqual(codes((await run({ txt: { 'example.test': ['v=spf1 mx all'] }, mx: { 'example.test': [{ exchange: 'mx.test', priority: 1 }] } })).findings), ['spf-plus-all']);
    assert.deepEqual(codes((await run({ txt: { 'example.test': ['v=spf1 include:lax.test -all'], 'lax.test': ['v=spf1 +all'] } })).findings), ['spf-plus-all']);
    assert.deepEqual(codes((await run({ txt: { 'example.test': ['v=spf1 ip4:192.0.2.1 ?all'] } })).findings), ['spf-neutral-all']);
    assert.deepEqual(codes((await run({ txt: { 'example.test': ['google-site-verification=abc'] } })).findings), ['spf-missing']);
    assert.deepEqual(codes((await run({ txt: { 'example.test': ['v=spf1 -all', 'v=spf1 ip4:192.0.2.1 -all'] } })).findings), ['spf-multiple']);
    assert.deepEqual(codes((await run({ txt: { 'example.test': ['v=spf1 ip4:192.0.2.1 -all'] } })).findings), []);
  });
});
