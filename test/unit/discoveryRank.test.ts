import * as assert from 'node:assert/strict';
import { confirmationsFor } from '../../src/protocol/discovery/discover';
import { pickBest, rankCandidates } from '../../src/protocol/discovery/rank';
import type { ServerCandidate, SourceKind, Verification } from '../../src/protocol/discovery/types';

const TRUSTED: Verification = { reachable: true, certificateTrusted: true, ms: 5 };
const UNTRUSTED: Verification = { reachable: true, certificateTrusted: false, problem: 'the certificate of imap.example.com does not verify (the certificate is self-signed)', certificateSha256: 'AB:CD', ms: 5 };
const FAILED: Verification = { reachable: false, certificateTrusted: false, problem: 'refused', errorCode: 'ConnectionRefused', ms: 5 };

function cand(kind: SourceKind, host: string, port: number, security: ServerCandidate['security'], verification?: Verification, extra: Partial<ServerCandidate> = {}): ServerCandidate {
  return {
    role: 'incoming',
    protocol: port === 995 || port === 110 ? 'pop3' : 'imap',
    host,
    port,
    security,
    username: 'alice@example.com',
    authentication: ['password-cleartext'],
    source: { kind, where: kind === 'srv' ? '_imaps._tcp.example.com' : host, rank: 0 },
    alsoFrom: [],
    ...(verification ? { verification } : {}),
    flags: { passwordGoesToOtherDomain: false, fetchedOverPlainHttp: false, oauth2: false, unencrypted: security === 'none' },
    ...extra,
  };
}

const label = (list: ServerCandidate[]): string[] => list.map((c) => `${c.source.kind} ${c.host}:${c.port}`);

describe('discovery: ranking', () => {
  it('puts a verified candidate above a more trusted source whose server did not answer', () => {
    const ranked = rankCandidates([cand('autoconfig', 'old.example.com', 993, 'tls', FAILED), cand('guess', 'imap.example.com', 993, 'tls', TRUSTED), cand('srv', 'srv.example.com', 993, 'tls', UNTRUSTED)]);
    assert.deepEqual(label(ranked), ['guess imap.example.com:993', 'srv srv.example.com:993', 'autoconfig old.example.com:993']);
    assert.equal(pickBest(ranked)?.host, 'imap.example.com');
  });

  it('among verified candidates follows Thunderbird order: autoconfig, well-known, MX, SRV, guess', () => {
    const ranked = rankCandidates([
      cand('guess', 'a.example.com', 993, 'tls', TRUSTED),
      cand('srv', 'b.example.com', 993, 'tls', TRUSTED),
      cand('mxWellKnown', 'c.example.com', 993, 'tls', TRUSTED),
      cand('wellKnown', 'd.example.com', 993, 'tls', TRUSTED),
      cand('autoconfig', 'e.example.com', 993, 'tls', TRUSTED),
      cand('mxAutoconfig', 'f.example.com', 993, 'tls', TRUSTED),
    ]);
    assert.deepEqual(ranked.map((c) => c.source.kind), ['autoconfig', 'wellKnown', 'mxAutoconfig', 'mxWellKnown', 'srv', 'guess']);
  });

  it('within one source keeps the provider order, then prefers TLS over STARTTLS and IMAP over POP3', () => {
    const second = cand('autoconfig', 'pop.example.com', 995, 'tls', TRUSTED, { source: { kind: 'autoconfig', where: 'x', rank: 1 } });
    const first = cand('autoconfig', 'imap.example.com', 143, 'starttls', TRUSTED);
    assert.deepEqual(label(rankCandidates([second, first])), ['autoconfig imap.example.com:143', 'autoconfig pop.example.com:995']);
    const guesses = [cand('guess', 'pop.example.com', 995, 'tls', TRUSTED), cand('guess', 'imap.example.com', 143, 'starttls', TRUSTED), cand('guess', 'imap.example.com', 993, 'tls', TRUSTED)];
    assert.deepEqual(label(rankCandidates(guesses)), ['guess imap.example.com:993', 'guess pop.example.com:995', 'guess imap.example.com:143']);
  });

  it('merges one endpoint named by several sources, keeping the most trusted source and listing the others', () => {
    const ranked = rankCandidates([
      cand('guess', 'imap.example.com', 993, 'tls', TRUSTED),
      cand('autoconfig', 'imap.example.com', 993, 'tls', TRUSTED, { username: 'alice' }),
      cand('srv', 'imap.example.com', 993, 'tls', TRUSTED),
    ]);
    assert.equal(ranked.length, 1);
    assert.equal(ranked[0].source.kind, 'autoconfig');
    assert.equal(ranked[0].username, 'alice');
    assert.deepEqual(ranked[0].alsoFrom.map((s) => s.kind), ['srv', 'guess']);
  });

  it('ranks a config read over plain http below every source read securely', () => {
    const http = cand('autoconfig', 'imap.example.com', 143, 'starttls', TRUSTED, { flags: { passwordGoesToOtherDomain: false, fetchedOverPlainHttp: true, oauth2: false, unencrypted: false } });
    assert.deepEqual(label(rankCandidates([http, cand('guess', 'mail.example.com', 993, 'tls', TRUSTED)])), ['guess mail.example.com:993', 'autoconfig imap.example.com:143']);
  });

  it('names no winner when every candidate failed its check', () => {
    assert.equal(pickBest(rankCandidates([cand('autoconfig', 'imap.example.com', 993, 'tls', FAILED)])), undefined);
    assert.equal(pickBest([]), undefined);
  });

  it('asks the user to confirm another domain, plain http, no encryption and an untrusted certificate', () => {
    const c = cand('mxAutoconfig', 'imap.provider.net', 993, 'tls', UNTRUSTED, {
      source: { kind: 'mxAutoconfig', where: 'http://autoconfig.provider.net/mail/config-v1.1.xml', rank: 0 },
      flags: { passwordGoesToOtherDomain: true, fetchedOverPlainHttp: true, oauth2: false, unencrypted: false },
    });
    const lines = confirmationsFor(c, 'example.com');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /imap\.provider\.net:993 is not part of example\.com: your password would go to imap\.provider\.net/);
    assert.match(lines[1], /read without encryption/);
    assert.match(lines[2], /does not verify .*fingerprint AB:CD/);
    assert.deepEqual(confirmationsFor(cand('autoconfig', 'imap.example.com', 993, 'tls', TRUSTED), 'example.com'), []);
  });
});
