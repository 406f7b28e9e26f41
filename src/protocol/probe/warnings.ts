/**
 * Warnings with stable codes, derived from a finished report alone (pure, so every rule has a
 * unit test with a hand-built report).
 */
import type { ProbeReport, ProbeWarning, WarningCode } from '../../shared/probeReport';
import { capabilityDiff, hasCapability, plaintextLoginOffered } from './capabilityAnalysis';
import { PROBE_LIMITS } from './limits';
import { starttlsWarnings } from './starttlsWarnings';

export interface WarningOptions {
  /** Greeting slower than this (ms) gets `greeting-slow`. */
  slowGreetingMs?: number;
  /** POP3: the account's leave-on-server days (Infinity: for good), compared with the server's EXPIRE. */
  leaveOnServerDays?: number;
}

const OUTDATED_TLS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);
/** The leaf signed itself. (SELF_SIGNED_CERT_IN_CHAIN is a private CA: `certificate-untrusted`.) */
const SELF_SIGNED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT']);

export function computeWarnings(report: ProbeReport, options: WarningOptions = {}): ProbeWarning[] {
  const out: ProbeWarning[] = [];
  const add = (code: WarningCode, message: string): void => {
    if (!out.some((w) => w.code === code)) out.push({ code, message });
  };
  const { protocol, tls, capabilities } = report;
  const before = capabilities.beforeTls;
  const starttlsName = protocol === 'pop3' ? 'STLS' : 'STARTTLS';

  const preauth = report.greeting.preauth === true && tls.mode !== 'implicit';
  if (preauth) {
    add('preauth', `The server logged the session in before TLS (PREAUTH greeting), so ${starttlsName} cannot be used and everything on this connection travels unencrypted. Someone on the network may be answering in the server's place (a PREAUTH injected by an attacker strips STARTTLS this way); RFC 9051 tells a client that wants TLS to close such a connection, which Mailroom does. Use the TLS port.`);
  }
  if (!preauth && before && before.length && tls.mode !== 'implicit' && plaintextLoginOffered(protocol, before)) {
    add('plaintext-auth-unencrypted', `The server accepts a password on the unencrypted link (${plaintextHow(report, before)}); a client that does not insist on ${starttlsName} sends it in the clear.`);
  }
  if (tls.mode === 'none' && report.greeting.ok && !preauth) {
    add('no-starttls', `The server does not offer ${starttlsName}, so nothing on this port can be encrypted.`);
  }
  if (before && capabilities.afterTls && tls.mode === 'starttls') {
    const { added, removed } = capabilityDiff(protocol, before, capabilities.afterTls);
    if (added.length || removed.length) {
      const change = [added.length ? `added after TLS: ${added.join(', ')}` : '', removed.length ? `gone after TLS: ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
      add('capabilities-changed-after-tls', `The capabilities differ before and after TLS beyond authentication (${change}). Something on the network may be rewriting the unencrypted list (STARTTLS stripping).`);
    }
  }
  if (tls.ok && tls.version && OUTDATED_TLS.has(tls.version)) {
    add('tls-outdated', `The server negotiated ${tls.version}, which is deprecated (RFC 8996); TLS 1.2 or 1.3 is expected.`);
  } else if (!tls.ok && tls.version && OUTDATED_TLS.has(tls.version)) {
    add('tls-outdated', `The server only speaks ${tls.version}, which is deprecated (RFC 8996) and which Mailroom refuses; TLS 1.2 or 1.3 is expected.`);
  }
  const cert = tls.certificate;
  if (cert) {
    if (cert.expired || tls.authorizationError === 'CERT_HAS_EXPIRED') {
      add('certificate-expired', `The certificate expired on ${cert.validTo.slice(0, 10)}.`);
    } else if (cert.daysToExpiry <= PROBE_LIMITS.certificateExpiryWarningDays) {
      add('certificate-expiring', `The certificate expires in ${cert.daysToExpiry} day(s), on ${cert.validTo.slice(0, 10)}.`);
    }
    if (!tls.pinned) {
      const error = tls.authorizationError;
      if ((error && SELF_SIGNED.has(error)) || (cert.selfSigned && tls.authorized === false)) {
        add('certificate-self-signed', `The certificate is self-signed${error ? ` (${error})` : ''}: clients cannot tell it from an attacker's unless they pin it.`);
      }
      if (tls.hostnameMatch === false) {
        add('certificate-wrong-host', `The certificate is not valid for ${report.host}: ${tls.hostnameError ?? 'the name does not match'}.`);
      }
      if (tls.authorized === false && error && !SELF_SIGNED.has(error) && error !== 'CERT_HAS_EXPIRED' && error !== 'ERR_TLS_CERT_ALTNAME_INVALID') {
        add('certificate-untrusted', `The certificate does not verify: ${tls.authorizationReason ?? error} (${error}).`);
      }
    }
  }
  const slow = options.slowGreetingMs ?? PROBE_LIMITS.slowGreetingMs;
  if (report.greeting.ok && report.greeting.ms !== undefined && report.greeting.ms > slow) {
    add('greeting-slow', `The greeting took ${report.greeting.ms} ms (more than ${slow} ms); clients with short timeouts may give up.`);
  }
  if (protocol === 'pop3') pop3Warnings(report, options, add);
  starttlsWarnings(report, add);
  return out;
}

function plaintextHow(report: ProbeReport, before: readonly string[]): string {
  if (report.protocol === 'imap') return hasCapability('imap', before, 'LOGINDISABLED') ? 'AUTH=PLAIN/LOGIN' : 'LOGIN is not disabled';
  if (report.protocol === 'pop3') return hasCapability('pop3', before, 'USER') ? 'USER/PASS' : 'SASL PLAIN/LOGIN';
  return 'AUTH PLAIN/LOGIN';
}

function pop3Warnings(report: ProbeReport, options: WarningOptions, add: (code: WarningCode, message: string) => void): void {
  const caps = report.capabilities.afterLogin ?? report.capabilities.afterTls ?? report.capabilities.beforeTls;
  if (caps && caps.length && !hasCapability('pop3', caps, 'UIDL')) {
    add('pop3-no-uidl', 'The server does not list UIDL, so Mailroom cannot leave mail on the server: it could not tell downloaded messages from new ones.');
  }
  const expire = report.pop3?.expire;
  if (expire === undefined) return;
  const days = /^\d+/.exec(expire.trim());
  if (!days) return; // NEVER
  const n = Number(days[0]);
  if (n === 0) {
    add('pop3-expire-conflict', 'The server deletes messages as soon as they are downloaded (EXPIRE 0), so leave-on-server cannot work.');
  } else if (options.leaveOnServerDays !== undefined && n < options.leaveOnServerDays) {
    const period = Number.isFinite(options.leaveOnServerDays) ? `leave-on-server period of ${options.leaveOnServerDays} day(s) ends` : 'account stops keeping mail on the server (it keeps it for good)';
    add('pop3-expire-conflict', `The server deletes messages after ${n} day(s) (EXPIRE), before the ${period}.`);
  }
}
