import * as net from 'node:net';
import type { AccountConfig } from '../account';
import { MailError } from '../errors';
import type { ProbeProtocol, ProbeScheme, TlsMode } from '../../shared/probeReport';

/** What to check: one endpoint, named the way the report names it. */
export interface ProbeTarget {
  /** Normalized `scheme://host:port`, never with credentials. */
  url: string;
  scheme: ProbeScheme;
  protocol: ProbeProtocol;
  host: string;
  port: number;
  /** implicit: TLS from the first byte; starttls: upgrade when the server offers it. */
  tls: Exclude<TlsMode, 'none'>;
  /** User name from the URL or account, when there is one. */
  user?: string;
  /** SHA-256 of a certificate the account chose to trust although it does not verify. */
  trustedCertificateSha256?: string;
}

interface SchemeInfo {
  protocol: ProbeProtocol;
  port: number;
  tls: ProbeTarget['tls'];
}

export const SCHEMES: Readonly<Record<ProbeScheme, SchemeInfo>> = {
  imap: { protocol: 'imap', port: 143, tls: 'starttls' },
  imaps: { protocol: 'imap', port: 993, tls: 'implicit' },
  pop3: { protocol: 'pop3', port: 110, tls: 'starttls' },
  pop3s: { protocol: 'pop3', port: 995, tls: 'implicit' },
  smtp: { protocol: 'smtp', port: 25, tls: 'starttls' },
  smtps: { protocol: 'smtp', port: 465, tls: 'implicit' },
  submission: { protocol: 'smtp', port: 587, tls: 'starttls' },
};

/** The ports `scanHost` checks by default, in report order. */
export const SCAN_SCHEMES: readonly ProbeScheme[] = ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps', 'submission'];

export function isProbeScheme(value: string): value is ProbeScheme {
  return Object.prototype.hasOwnProperty.call(SCHEMES, value);
}

export function makeTarget(scheme: ProbeScheme, host: string, port?: number, extra: Pick<ProbeTarget, 'user' | 'trustedCertificateSha256'> = {}): ProbeTarget {
  const info = SCHEMES[scheme];
  const p = port ?? info.port;
  const shownHost = net.isIPv6(host) ? `[${host}]` : host;
  return {
    url: `${scheme}://${shownHost}:${p}`,
    scheme,
    protocol: info.protocol,
    host,
    port: p,
    tls: info.tls,
    ...(extra.user ? { user: extra.user } : {}),
    ...(extra.trustedCertificateSha256 ? { trustedCertificateSha256: extra.trustedCertificateSha256 } : {}),
  };
}

/**
 * Parses `imap://host[:port]` and friends. A password in the URL is refused rather than
 * carried along: it would end up in shell history and in the report.
 */
export function parseProbeUrl(input: string): ProbeTarget {
  const text = input.trim();
  const match = /^([a-z0-9]+):\/\//i.exec(text);
  if (!match) throw invalid(input, 'it needs a scheme such as imaps:// or submission://');
  const scheme = match[1].toLowerCase();
  if (!isProbeScheme(scheme)) throw invalid(input, `"${scheme}" is not one of ${Object.keys(SCHEMES).join(', ')}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(input, 'it is not a valid URL');
  }
  if (url.password) throw invalid(input, 'put no password in the URL; pass it through an environment variable instead');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (!host) throw invalid(input, 'it names no host');
  let port: number | undefined;
  if (url.port) {
    port = Number(url.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(input, 'the port must be 1 to 65535');
  }
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  return makeTarget(scheme, host, port, user ? { user } : {});
}

/** The endpoint a configured account uses; the account's own port and security decide the scheme. */
export function targetFromAccount(account: AccountConfig): ProbeTarget {
  const scheme: ProbeScheme = account.protocol === 'imap' ? (account.security === 'tls' ? 'imaps' : 'imap') : account.security === 'tls' ? 'pop3s' : 'pop3';
  return makeTarget(scheme, account.host, account.port, {
    user: account.user,
    ...(account.trustedCertificateSha256 ? { trustedCertificateSha256: account.trustedCertificateSha256 } : {}),
  });
}

function invalid(input: string, why: string): MailError {
  const shown = input.replace(/\/\/[^@/]*@/, '//(user)@').slice(0, 200);
  return new MailError('InvalidAccount', `"${shown}" cannot be checked: ${why}.`);
}
