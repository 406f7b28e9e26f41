import * as assert from 'node:assert/strict';
import { toMailError } from '../../src/protocol/connectionErrors';
import { MailError } from '../../src/protocol/errors';

const endpoint = { host: 'mail.example.test', port: 993 };
const err = (props: Record<string, unknown>): Error => Object.assign(new Error(String(props.message ?? 'x')), props);

describe('toMailError', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['an authentication failure', { authenticationFailed: true, responseText: 'Authentication failed.' }, 'AuthFailed'],
    ['a self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'CertificateUntrusted'],
    ['a wrong-host certificate', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'CertificateUntrusted'],
    ['an expired certificate', { code: 'CERT_HAS_EXPIRED' }, 'CertificateUntrusted'],
    ['a refused connection', { code: 'ECONNREFUSED' }, 'ConnectionRefused'],
    ['an unknown host', { code: 'ENOTFOUND' }, 'HostNotFound'],
    ['a greeting timeout', { code: 'GREETING_TIMEOUT' }, 'Timeout'],
    ['a closed connection', { code: 'NoConnection' }, 'ConnectionClosed'],
    ['a reset', { code: 'ECONNRESET' }, 'ConnectionClosed'],
    ['a missing STARTTLS', { tlsFailed: true, message: 'Server does not support STARTTLS' }, 'StartTlsUnavailable'],
    ['a STARTTLS injection', { code: 'STARTTLS_INJECTION' }, 'TlsFailed'],
    ['TLS spoken to a plaintext port', { message: 'ssl3_get_record:wrong version number' }, 'TlsFailed'],
    ['a garbage response', { code: 'ParserError5' }, 'ProtocolError'],
    ['a missing mailbox', { serverResponseCode: 'NONEXISTENT', responseText: 'Mailbox does not exist' }, 'MailboxNotFound'],
    ['a failed EXAMINE of a missing folder', { mailboxMissing: true, responseText: "Mailbox doesn't exist" }, 'MailboxNotFound'],
    ['anything else', { message: 'weird' }, 'Unknown'],
  ];
  for (const [what, props, code] of cases) {
    it(`maps ${what} to ${code}`, () => {
      const mapped = toMailError(err(props), endpoint);
      assert.equal(mapped.code, code);
      assert.ok(mapped.message.length > 20, 'a sentence the user can act on');
    });
  }
  it('keeps an existing MailError as it is', () => {
    const original = new MailError('AuthFailed', 'x');
    assert.equal(toMailError(original, endpoint), original);
  });
  it('says the password was not sent when the certificate failed', () => {
    assert.match(toMailError(err({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), endpoint).message, /did not send your password/);
  });
  it('says a server with only TLS 1.0/1.1 is refused for that, not "unknown" OpenSSL text', () => {
    const alert = err({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', message: 'SSL routines:ssl3_read_bytes:tlsv1 alert protocol version' });
    for (const e of [alert, Object.assign(alert, { tlsFailed: true })]) {
      const mapped = toMailError(e, endpoint);
      assert.equal(mapped.code, 'TlsFailed');
      assert.equal(mapped.tlsReason, 'TLS_VERSION_OUTDATED');
      assert.match(mapped.message, /only speaks TLS 1\.0 or 1\.1.*which Mailroom refuses/);
    }
  });
  it('tells a PREAUTH greeting apart from a server without STARTTLS', () => {
    const mapped = toMailError(err({ tlsFailed: true, message: 'STARTTLS is not possible after a PREAUTH greeting' }), endpoint);
    assert.equal(mapped.code, 'StartTlsUnavailable');
    assert.match(mapped.message, /logged the session in before TLS could be started/);
    assert.doesNotMatch(mapped.message, /does not offer/);
  });
  it('handles non-Error values', () => {
    assert.equal(toMailError('boom', endpoint).code, 'Unknown');
    assert.equal(toMailError(undefined, endpoint).code, 'Unknown');
  });
});
