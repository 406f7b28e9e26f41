// From a discovery result to the account Add Account offers: sign-in method, the settings entry,
// and the words for nothing found, every lookup timed out, and a refused (hostile) setup file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEmailAddress } from '../../src/protocol/discovery/address';
import { parseConfig } from '../../src/protocol/discovery/configParser';
import { discoveryOverridesFromEnv } from '../../src/protocol/discovery/envOverrides';
import { accountFromDiscovery, describeSource, discoveryOutcome, knownOAuthProvider, offeredCandidates, signInPlan } from '../../src/protocol/discovery/setupPlan';
import type { DiscoveryResult, LookupRecord, ServerCandidate } from '../../src/protocol/discovery/types';
import { MailError } from '../../src/protocol/errors';

function cand(role: 'incoming' | 'outgoing', protocol: ServerCandidate['protocol'], host: string, port: number, extra: Partial<ServerCandidate> = {}): ServerCandidate {
  return {
    role,
    protocol,
    host,
    port,
    security: 'tls',
    username: 'alice@example.test',
    authentication: ['password-cleartext'],
    source: { kind: 'autoconfig', where: 'https://autoconfig.example.test/mail/config-v1.1.xml', rank: 0 },
    alsoFrom: [],
    verification: { reachable: true, certificateTrusted: true, ms: 3 },
    flags: { passwordGoesToOtherDomain: false, fetchedOverPlainHttp: false, oauth2: false, unencrypted: false },
    ...extra,
  };
}

function lookup(kind: LookupRecord['kind'], target: string, error?: { code: string; message: string }): LookupRecord {
  return { kind, target, ok: !error, ...(error ? { error } : { answer: 'ok' }), startedMs: 0, ms: 1 };
}

function result(lookups: LookupRecord[], incoming: ServerCandidate[] = []): DiscoveryResult {
  return { address: 'alice@example.test', domain: 'example.test', lookups, incoming, outgoing: [], best: { incoming: incoming[0] }, confirmations: [], totalMs: 10, ...(incoming.length ? {} : { problem: 'No mail server settings were found for example.test.' }) };
}

describe('discovery: the account Add Account builds from what was found', () => {
  it('signs in with OAuth2 at Microsoft and Google hosts whatever the config says, and where the config says OAuth2', () => {
    assert.equal(knownOAuthProvider('outlook.office365.com'), 'microsoft');
    assert.equal(knownOAuthProvider('SMTP.Office365.com.'), 'microsoft');
    assert.equal(knownOAuthProvider('imap.gmail.com'), 'google');
    assert.equal(knownOAuthProvider('imap.notgmail.com'), undefined);
    assert.equal(knownOAuthProvider('gmail.com.evil.test'), undefined);
    assert.deepEqual(signInPlan(cand('incoming', 'imap', 'outlook.office365.com', 993)), { kind: 'oauth2', provider: 'microsoft' });
    assert.deepEqual(signInPlan(cand('incoming', 'imap', 'imap.example.test', 993)), { kind: 'password' });
    const oauthOnly = cand('incoming', 'imap', 'imap.example.test', 993, { authentication: ['OAuth2'], flags: { passwordGoesToOtherDomain: false, fetchedOverPlainHttp: false, oauth2: true, unencrypted: false } });
    assert.deepEqual(signInPlan(oauthOnly), { kind: 'oauth2Unknown', host: 'imap.example.test' });
  });

  it('builds the settings entry with the source’s user name, the address as From, and the outgoing server', () => {
    const incoming = cand('incoming', 'imap', 'imap.example.test', 993, { username: 'alice' });
    const outgoing = cand('outgoing', 'smtp', 'smtp.example.test', 587, { security: 'starttls', username: 'alice@example.test' });
    assert.deepEqual(accountFromDiscovery({ address: 'alice@example.test', name: ' Alice ', incoming, outgoing }), {
      label: 'alice@example.test',
      protocol: 'imap',
      host: 'imap.example.test',
      port: 993,
      security: 'tls',
      user: 'alice',
      email: 'alice@example.test',
      name: 'Alice',
      smtp: { host: 'smtp.example.test', port: 587, security: 'starttls', user: 'alice@example.test' },
    });
    const mapped = accountFromDiscovery({ address: 'alice@example.test', incoming, connectTo: (h, p) => (h === 'imap.example.test' ? { host: '127.0.0.1', port: p + 1 } : undefined) });
    assert.equal(`${mapped.host}:${mapped.port}`, '127.0.0.1:994');
    assert.equal(mapped.smtp, undefined);
  });

  it('offers only incoming servers that answered, and says where each came from', () => {
    const dead = cand('incoming', 'pop3', 'pop.example.test', 995, { verification: { reachable: false, certificateTrusted: false, problem: 'refused', ms: 1 } });
    const guessed = cand('incoming', 'imap', 'mail.example.test', 993, { source: { kind: 'guess', where: 'mail.example.test', rank: 0 } });
    assert.deepEqual(offeredCandidates([guessed, dead]), [guessed]);
    assert.equal(describeSource(guessed), 'from a guessed host name (mail.example.test); a server answered, certificate verified');
    assert.equal(describeSource(dead), 'from the provider’s setup file https://autoconfig.example.test/mail/config-v1.1.xml; no answer: refused');
  });

  it('names a refused setup file in the engine’s words when nothing usable was found', () => {
    const where = 'https://autoconfig.example.test/mail/config-v1.1.xml';
    let hostile: MailError | undefined;
    try {
      parseConfig('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><clientConfig/>', parseEmailAddress('alice@example.test'), where);
    } catch (err) {
      hostile = err as MailError;
    }
    assert.ok(MailError.is(hostile, 'ConfigInvalid'));
    const outcome = discoveryOutcome(
      result([
        lookup('autoconfig', where, { code: hostile.code, message: hostile.message }),
        lookup('wellKnown', 'https://example.test/.well-known/autoconfig/mail/config-v1.1.xml', { code: 'ProtocolError', message: 'https://example.test/.well-known/autoconfig/mail/config-v1.1.xml answered HTTP 404 (no setup file there).' }),
        lookup('srv', '_imaps._tcp.example.test', { code: 'HostNotFound', message: 'no record' }),
      ]),
    );
    assert.equal(outcome.kind, 'nothing');
    assert.equal(
      (outcome as { message: string }).message,
      `No mail server settings were found for example.test. Refused: The mail setup file at ${where} declares a DTD or entities, which a mail setup file never needs (it is how XML bombs start); nothing from it was used. Enter the server settings by hand, or tell the domain's administrator.`,
    );
  });

  it('says the network did not answer when every lookup timed out', () => {
    const outcome = discoveryOutcome(
      result([
        lookup('autoconfig', 'https://autoconfig.example.test/x', { code: 'Timeout', message: 't' }),
        lookup('mx', 'example.test', { code: 'Timeout', message: 't' }),
        lookup('srv', '_imaps._tcp.example.test', { code: 'Timeout', message: 't' }),
        lookup('verify', 'imap/tls://imap.example.test:993', { code: 'HostNotFound', message: 'n' }),
      ]),
    );
    assert.equal(outcome.kind, 'timedOut');
    assert.match((outcome as { message: string }).message, /^Every lookup for example\.test failed, 3 of 4 by timing out: the network, DNS or a firewall did not answer\./);
    assert.deepEqual(discoveryOutcome(result([lookup('autoconfig', 'x')], [cand('incoming', 'imap', 'imap.example.test', 993)])), { kind: 'found' });
  });
});

describe('discovery: the MAILROOM_DISCOVERY_* developer override', () => {
  it('maps names (and name:port) to loopback for the lookups and for the account saved', async () => {
    const o = discoveryOverridesFromEnv({ MAILROOM_DISCOVERY_HOSTS: 'imap.example.test:993=127.0.0.1:1993, example.test=127.0.0.1:8443' });
    assert.deepEqual(await o.dial!('IMAP.example.test', 993), { address: '127.0.0.1', port: 1993 });
    assert.deepEqual(await o.dial!('example.test', 443), { address: '127.0.0.1', port: 8443 });
    assert.deepEqual(o.connectTo('imap.example.test', 993), { host: '127.0.0.1', port: 1993 });
    assert.equal(o.connectTo('smtp.example.test', 465), undefined);
    await assert.rejects(o.dial!('smtp.example.test', 465), (e: unknown) => MailError.is(e, 'HostNotFound') && /not in MAILROOM_DISCOVERY_HOSTS/.test((e as Error).message));
    assert.equal(o.resolver, undefined);
  });

  it('reads the extra CA from a file and says so clearly when it cannot', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-ca-'));
    try {
      fs.writeFileSync(path.join(dir, 'ca.pem'), 'PEM');
      assert.deepEqual(discoveryOverridesFromEnv({ MAILROOM_DISCOVERY_CA: path.join(dir, 'ca.pem') }).ca, ['PEM']);
      assert.throws(() => discoveryOverridesFromEnv({ MAILROOM_DISCOVERY_CA: path.join(dir, 'missing.pem') }), /MAILROOM_DISCOVERY_CA names .*missing\.pem, which cannot be read/);
      assert.deepEqual(discoveryOverridesFromEnv({}).active, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
