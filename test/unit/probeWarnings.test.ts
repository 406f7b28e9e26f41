import * as assert from 'node:assert/strict';
import { capabilityDiff, plaintextLoginOffered, saslMechanisms, starttlsOffered } from '../../src/protocol/probe/capabilityAnalysis';
import { explainCapabilities, CAPABILITY_TABLE } from '../../src/protocol/probe/explanations';
import { computeWarnings } from '../../src/protocol/probe/warnings';
import type { CertificateInfo, ProbeReport, WarningCode } from '../../src/shared/probeReport';

function cert(overrides: Partial<CertificateInfo> = {}): CertificateInfo {
  return {
    subject: 'CN=mail.example.com',
    issuer: 'CN=Example CA',
    validFrom: '2026-01-01T00:00:00.000Z',
    validTo: '2027-06-01T00:00:00.000Z',
    san: 'DNS:mail.example.com',
    sha256: 'AA',
    daysToExpiry: 200,
    expired: false,
    selfSigned: false,
    ...overrides,
  };
}

/** A healthy IMAP-over-STARTTLS report; each test spoils one thing. */
function report(overrides: Partial<ProbeReport> = {}): ProbeReport {
  return {
    url: 'imap://mail.example.com:143',
    protocol: 'imap',
    scheme: 'imap',
    host: 'mail.example.com',
    port: 143,
    startedAt: '2026-11-22T00:00:00.000Z',
    totalMs: 50,
    connect: { ok: true, ms: 1 },
    greeting: { ok: true, ms: 5, banner: '* OK ready' },
    tls: { mode: 'starttls', ok: true, starttlsOffered: true, version: 'TLSv1.3', authorized: true, hostnameMatch: true, certificate: cert() },
    capabilities: { beforeTls: ['IMAP4rev1', 'IDLE', 'STARTTLS', 'LOGINDISABLED'], afterTls: ['IMAP4rev1', 'IDLE', 'AUTH=PLAIN'], afterLogin: null },
    auth: { mechanisms: ['PLAIN'], apop: false, loginDisabled: true, plaintextBeforeTls: false, login: { attempted: false, skipped: 'no credentials given' } },
    warnings: [],
    explanations: [],
    phases: [],
    ...overrides,
  };
}

const codes = (r: ProbeReport, options = {}): WarningCode[] => computeWarnings(r, options).map((w) => w.code);

describe('probe warnings', () => {
  it('gives none for a healthy STARTTLS server', () => {
    assert.deepEqual(codes(report()), []);
  });

  it('flags plaintext login offered before TLS, for each protocol', () => {
    assert.deepEqual(codes(report({ capabilities: { beforeTls: ['IMAP4rev1', 'STARTTLS'], afterTls: ['IMAP4rev1'], afterLogin: null } })), ['plaintext-auth-unencrypted']);
    const pop3 = report({ protocol: 'pop3', scheme: 'pop3', capabilities: { beforeTls: ['UIDL', 'STLS', 'USER'], afterTls: ['UIDL', 'USER'], afterLogin: null } });
    assert.deepEqual(codes(pop3), ['plaintext-auth-unencrypted']);
    const smtp = report({ protocol: 'smtp', scheme: 'submission', capabilities: { beforeTls: ['STARTTLS', 'AUTH PLAIN LOGIN'], afterTls: ['AUTH PLAIN LOGIN'], afterLogin: null } });
    assert.deepEqual(codes(smtp), ['plaintext-auth-unencrypted']);
    const smtpCramOnly = report({ protocol: 'smtp', scheme: 'submission', capabilities: { beforeTls: ['STARTTLS', 'AUTH CRAM-MD5'], afterTls: ['AUTH CRAM-MD5'], afterLogin: null } });
    assert.deepEqual(codes(smtpCramOnly), []);
  });

  it('flags a plain port without STARTTLS', () => {
    const r = report({ tls: { mode: 'none', ok: false, starttlsOffered: false }, capabilities: { beforeTls: ['IMAP4rev1', 'LOGINDISABLED'], afterTls: null, afterLogin: null } });
    assert.deepEqual(codes(r), ['no-starttls']);
  });

  it('flags capabilities that change after TLS beyond authentication, and names them', () => {
    const r = report({ capabilities: { beforeTls: ['IMAP4rev1', 'STARTTLS', 'LOGINDISABLED'], afterTls: ['IMAP4rev1', 'IDLE', 'CONDSTORE', 'AUTH=PLAIN'], afterLogin: null } });
    const [w] = computeWarnings(r);
    assert.equal(w.code, 'capabilities-changed-after-tls');
    assert.match(w.message, /added after TLS: IDLE, CONDSTORE/);
    assert.deepEqual(capabilityDiff('smtp', ['STARTTLS', 'SIZE 100', 'AUTH LOGIN'], ['SIZE 100', 'AUTH PLAIN LOGIN', 'REQUIRETLS']), { added: [], removed: [] });
  });

  it('warns `preauth` for a PREAUTH greeting on a plain port, and neither no-starttls nor plaintext login', () => {
    const r = report({
      greeting: { ...report().greeting, preauth: true },
      tls: { mode: 'none', ok: false, starttlsOffered: true },
      capabilities: { beforeTls: ['IMAP4rev1', 'STARTTLS', 'AUTH=PLAIN'], afterTls: null, afterLogin: null },
    });
    assert.deepEqual(codes(r), ['preauth']);
  });

  it('flags a handshake that failed on a server speaking only TLS 1.1, naming it', () => {
    const w = computeWarnings(report({ tls: { mode: 'starttls', ok: false, version: 'TLSv1.1' } }));
    assert.deepEqual(w.map((x) => x.code), ['tls-outdated']);
    assert.match(w[0].message, /only speaks TLSv1\.1/);
  });

  it('flags TLS 1.1 and older, not 1.2', () => {
    assert.deepEqual(codes(report({ tls: { ...report().tls, version: 'TLSv1.1' } })), ['tls-outdated']);
    assert.deepEqual(codes(report({ tls: { ...report().tls, version: 'TLSv1' } })), ['tls-outdated']);
    assert.deepEqual(codes(report({ tls: { ...report().tls, version: 'TLSv1.2' } })), []);
  });

  it('flags a certificate expiring within 30 days, and one already expired', () => {
    assert.deepEqual(codes(report({ tls: { ...report().tls, certificate: cert({ daysToExpiry: 30 }) } })), ['certificate-expiring']);
    assert.deepEqual(codes(report({ tls: { ...report().tls, certificate: cert({ daysToExpiry: 31 }) } })), []);
    const expired = report({ tls: { ...report().tls, authorized: false, authorizationError: 'CERT_HAS_EXPIRED', certificate: cert({ daysToExpiry: -2, expired: true }) } });
    assert.deepEqual(codes(expired), ['certificate-expired']);
  });

  it('flags self-signed, wrong-host and otherwise untrusted certificates, unless the account pinned it', () => {
    const selfSigned = report({ tls: { ...report().tls, authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' } });
    assert.deepEqual(codes(selfSigned), ['certificate-self-signed']);
    const wrongHost = report({ tls: { ...report().tls, authorized: false, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID', hostnameMatch: false, hostnameError: "Host: mail.example.com. is not in the cert's altnames" } });
    assert.deepEqual(codes(wrongHost), ['certificate-wrong-host']);
    const unknownCa = report({ tls: { ...report().tls, authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', authorizationReason: 'unknown issuer' } });
    assert.deepEqual(codes(unknownCa), ['certificate-untrusted']);
    assert.deepEqual(codes(report({ tls: { ...selfSigned.tls, pinned: true } })), []);
  });

  it('flags a slow greeting against the threshold given', () => {
    const r = report({ greeting: { ok: true, ms: 450, banner: '* OK' } });
    assert.deepEqual(codes(r, { slowGreetingMs: 400 }), ['greeting-slow']);
    assert.deepEqual(codes(r), [], 'the default threshold is seconds, not milliseconds');
  });

  it('POP3: flags a server without UIDL and an EXPIRE shorter than leave-on-server', () => {
    const base = report({ protocol: 'pop3', scheme: 'pop3s', tls: { ...report().tls, mode: 'implicit' }, capabilities: { beforeTls: null, afterTls: ['TOP', 'USER'], afterLogin: null } });
    assert.deepEqual(codes(base), ['pop3-no-uidl']);
    const withUidl = { ...base, capabilities: { beforeTls: null, afterTls: ['UIDL', 'USER'], afterLogin: null } };
    assert.deepEqual(codes({ ...withUidl, pop3: { expire: '5' } }, { leaveOnServerDays: 14 }), ['pop3-expire-conflict']);
    assert.deepEqual(codes({ ...withUidl, pop3: { expire: '30 USER' } }, { leaveOnServerDays: 14 }), []);
    assert.deepEqual(codes({ ...withUidl, pop3: { expire: 'NEVER' } }, { leaveOnServerDays: 14 }), []);
    assert.deepEqual(codes({ ...withUidl, pop3: { expire: '0' } }), ['pop3-expire-conflict'], 'EXPIRE 0 defeats leave-on-server whatever the account says');
  });
});

describe('probe capability analysis and explanations', () => {
  it('reads SASL mechanisms the way each protocol lists them', () => {
    assert.deepEqual(saslMechanisms('imap', ['IMAP4rev1', 'AUTH=PLAIN', 'auth=xoauth2']), ['PLAIN', 'XOAUTH2']);
    assert.deepEqual(saslMechanisms('pop3', ['USER', 'SASL PLAIN LOGIN']), ['PLAIN', 'LOGIN']);
    assert.deepEqual(saslMechanisms('smtp', ['SIZE 10', 'AUTH LOGIN PLAIN', 'AUTH=LOGIN']), ['LOGIN', 'PLAIN']);
  });

  it('knows STARTTLS/STLS and when plaintext login is possible', () => {
    assert.equal(starttlsOffered('pop3', ['STLS']), true);
    assert.equal(starttlsOffered('pop3', ['STARTTLS']), false);
    assert.equal(starttlsOffered('smtp', ['starttls']), true);
    assert.equal(plaintextLoginOffered('imap', ['IMAP4rev1', 'LOGINDISABLED']), false);
    assert.equal(plaintextLoginOffered('imap', ['IMAP4rev1']), true, 'IMAP LOGIN works unless LOGINDISABLED');
    assert.equal(plaintextLoginOffered('pop3', ['UIDL', 'SASL CRAM-MD5']), false);
  });

  it('explains every row of the table for the protocol, marking what was offered', () => {
    const imap = explainCapabilities('imap', ['IMAP4rev1', 'IDLE', 'COMPRESS=DEFLATE', 'UTF8=ACCEPT', 'uidplus']);
    assert.equal(imap.length, CAPABILITY_TABLE.imap.length);
    const offered = imap.filter((e) => e.offered).map((e) => e.capability);
    assert.deepEqual(offered, ['IDLE', 'UIDPLUS', 'COMPRESS', 'UTF8=ACCEPT']);
    assert.match(imap.find((e) => e.capability === 'IDLE')!.meaning, /Push/);
    const pop3 = explainCapabilities('pop3', ['UIDL', 'EXPIRE 30']);
    assert.deepEqual(pop3.filter((e) => e.offered).map((e) => e.capability), ['UIDL', 'EXPIRE']);
    const smtp = explainCapabilities('smtp', ['SIZE 1000', 'AUTH PLAIN', 'CHUNKING']);
    assert.deepEqual(smtp.filter((e) => e.offered).map((e) => e.capability), ['SIZE', 'CHUNKING', 'AUTH']);
  });
});
