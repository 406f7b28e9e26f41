import * as assert from 'node:assert/strict';
import { maskKnownSecret, redactSecrets, taggedLog } from '../../src/protocol/log';

describe('redactSecrets', () => {
  it('masks the password of an IMAP LOGIN in quoted form', () => {
    assert.equal(redactSecrets('A1 LOGIN "alice" "hunter2 with space"'), 'A1 LOGIN "alice" "(secret)"');
  });
  it('masks the password of an IMAP LOGIN in atom and literal form', () => {
    assert.equal(redactSecrets('3 login alice hunter2'), '3 login alice "(secret)"');
    assert.equal(redactSecrets('4 LOGIN {5}'), '4 LOGIN {5}'); // the literal carries the user; nothing secret yet
    assert.equal(redactSecrets('4 LOGIN alice {7+}'), '4 LOGIN alice "(secret)"');
  });
  it('masks a quoted password containing escaped quotes entirely', () => {
    const out = redactSecrets('A1 LOGIN "alice" "pa\\"ss"');
    assert.ok(!out.includes('pa'), out);
  });
  it('masks SASL initial responses and POP3 credentials', () => {
    assert.equal(redactSecrets('A2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA=='), 'A2 AUTHENTICATE PLAIN (secret)');
    assert.equal(redactSecrets('AUTH PLAIN AGFsaWNlAHNlY3JldA=='), 'AUTH PLAIN (secret)');
    assert.equal(redactSecrets('PASS s3cret'), 'PASS (secret)');
    assert.equal(redactSecrets('APOP alice c4c9334bac560ecc979e58001b3e22fb'), 'APOP alice (secret)');
  });
  it('never masks what a server sends: capability lines and SASL challenges', () => {
    for (const line of [
      '250 AUTH PLAIN LOGIN',
      '250-AUTH LOGIN PLAIN XOAUTH2',
      'S: 250 AUTH PLAIN LOGIN',
      '[smtp] S: 250-AUTH PLAIN LOGIN CRAM-MD5',
      'SASL PLAIN LOGIN',
      'S: SASL PLAIN LOGIN XOAUTH2',
      '* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 LOGINDISABLED',
      'S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready',
      '334 UGFzc3dvcmQ6',
      'S: + UGFzc3dvcmQ6',
      'S: +OK PASS accepted',
      'S (unsolicited): -ERR AUTH timeout',
    ]) {
      assert.equal(redactSecrets(line), line);
    }
  });
  it('masks client credentials also behind component tags and the C: mark', () => {
    assert.equal(redactSecrets('C: AUTH PLAIN AGFsaWNlAHNlY3JldA=='), 'C: AUTH PLAIN (secret)');
    assert.equal(redactSecrets('[smtp] C: AUTH PLAIN AGFsaWNlAHNlY3JldA=='), '[smtp] C: AUTH PLAIN (secret)');
    assert.equal(redactSecrets('[imap alice@host] C: 3 LOGIN alice hunter2'), '[imap alice@host] C: 3 LOGIN alice "(secret)"');
    assert.equal(redactSecrets('C: A2 AUTHENTICATE XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ=='), 'C: A2 AUTHENTICATE XOAUTH2 (secret)');
    assert.equal(redactSecrets('AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ=='), 'AUTH XOAUTH2 (secret)');
    assert.equal(redactSecrets('C: AUTH OAUTHBEARER bixhPWFAYi5jLAFhdXRoPUJlYXJlciB0AQE='), 'C: AUTH OAUTHBEARER (secret)');
    assert.equal(redactSecrets('[pop3 u@h] C: PASS s3cret'), '[pop3 u@h] C: PASS (secret)');
    assert.equal(redactSecrets('C: APOP alice c4c9334bac560ecc979e58001b3e22fb'), 'C: APOP alice (secret)');
  });
  it('masks the lines a client sends to answer SASL challenges (AUTH LOGIN user and password, CRAM-MD5)', () => {
    assert.equal(redactSecrets('C: cGFzc3dvcmQ='), 'C: (secret)');
    assert.equal(redactSecrets('[smtp] C: QUJD'), '[smtp] C: (secret)');
    assert.equal(redactSecrets('C: YWxpY2UgNmUwMmY4ZjcwZDcxNTZhMzQ5OTQ='), 'C: (secret)');
    for (const line of ['C: (empty)', 'C: QUIT', 'C: DATA', 'C: STARTTLS', 'C: CAPA', 'C: DONE', 'C: *', 'C: ', 'C: AUTH LOGIN', 'C: EHLO mailroom.local']) {
      assert.equal(redactSecrets(line), line);
    }
  });
  it('leaves ordinary protocol lines alone', () => {
    for (const line of ['* OK [CAPABILITY IMAP4rev1] ready', 'A3 SELECT "INBOX"', 'C: A4 FETCH 1:50 (UID ENVELOPE)', 'USER alice']) {
      assert.equal(redactSecrets(line), line);
    }
  });
  it('taggedLog prefixes the component and redacts', () => {
    const lines: string[] = [];
    const sink = { trace: (m: string) => lines.push(m), debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    taggedLog(sink, 'imap a@b').info('PASS topsecret');
    assert.deepEqual(lines, ['[imap a@b] PASS (secret)']);
  });
  it('maskKnownSecret replaces every occurrence of a known secret', () => {
    assert.equal(maskKnownSecret('bad pw: s3cr3t (s3cr3t)', 's3cr3t'), 'bad pw: (secret) ((secret))');
    assert.equal(maskKnownSecret('short ab', 'ab'), 'short ab');
  });
});

describe('redactTokens (OAuth2 tokens as a canary)', () => {
  const canary = 'eyJhbGciOi.CANARY-token_value~42/x+y==';
  const lines = [
    `authorization: Bearer ${canary}`,
    `[oauth] S: {"access_token":"${canary}","token_type":"Bearer","refresh_token":"${canary}","expires_in":3600}`,
    `[oauth] C: grant_type=refresh_token&refresh_token=${canary}&client_id=mailroom`,
    `[oauth] C: grant_type=authorization_code&code_verifier=${canary}&code=abc`,
    `device_code: ${canary}`,
    `C: user=alice\u0001auth=Bearer ${canary}\u0001\u0001`,
  ];
  for (const line of lines) {
    it(`keeps the token out of: ${line.slice(0, 40)}…`, () => {
      const out = redactSecrets(line);
      assert.ok(!out.includes('CANARY'), out);
      assert.match(out, /\(secret\)/);
    });
  }
  it('leaves lines without tokens alone', () => {
    for (const line of ['S: 250 AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER', 'S: * CAPABILITY IMAP4rev1 AUTH=OAUTHBEARER', '[oauth] token_type=Bearer expires_in=3600']) {
      assert.equal(redactSecrets(line), line);
    }
  });
});
