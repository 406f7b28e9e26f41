import type { ImapFlow } from 'imapflow';
import { AccountConfig, assertPasswordTransportAllowed } from '../account';
import { toMailError } from '../connectionErrors';
import type { ProtocolLog } from '../log';
import { loadMailLibraries } from '../loadMailLibraries';
import { fetchPeerCertificate } from '../tls/certificate';
import { explainOutdatedTls } from '../tls/outdated';
import { pinnedImapTransport, tlsOptionsFor } from '../tls/pinning';
import { CommandDeadline } from './commandDeadline';
import { connectionFailure, recordConnectionFailure } from './connectionFailure';
import { imapflowLogger } from './imapflowLogger';
import { ImapLimits, resolveImapLimits } from './limits';
import { adoptNamespaces } from './namespaces';
import { watchStartTlsRefusal } from './startTlsRefusal';

export interface ImapConnectOptions {
  account: AccountConfig;
  /** The password; ignored when `accessToken` is set. */
  password: string;
  /** An OAuth2 access token: logs in with SASL OAUTHBEARER where offered, else XOAUTH2. */
  accessToken?: string;
  log: ProtocolLog;
  /** Budget for connect + greeting + TLS upgrade. */
  timeoutMs: number;
  clientVersion?: string;
  /** Break and re-issue IDLE this often (RFC 2177: before 29 minutes); only the IDLE connection sets it. */
  maxIdleTimeMs?: number;
  /** Silence after which imapflow probes with NOOP, then gives up; default 5 minutes. */
  socketTimeoutMs?: number;
  /** Size and rate bounds; DEFAULT_IMAP_LIMITS (./limits.ts) for whatever is not given. */
  limits?: Partial<ImapLimits>;
}

/** After login, an idle socket is given this long before imapflow reports a timeout. */
const SOCKET_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * Opens an authenticated imapflow connection, or throws a MailError. The password is checked
 * against the account's transport policy before a socket is opened; a certificate the user
 * pinned is honoured, any other unverified certificate fails with CertificateUntrusted carrying
 * the certificate so the UI can ask.
 */
export async function connectImap(options: ImapConnectOptions): Promise<ImapFlow> {
  const { account, log } = options;
  assertPasswordTransportAllowed(account);
  const limits = resolveImapLimits(options.limits);
  const tlsOptions = tlsOptionsFor(account);
  const starttls = watchStartTlsRefusal(imapflowLogger(log));

  const { ImapFlow } = loadMailLibraries();
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: account.security === 'tls',
    doSTARTTLS: account.security === 'starttls' ? true : account.security === 'none' ? false : undefined,
    auth: options.accessToken ? { user: account.user, accessToken: options.accessToken } : { user: account.user, pass: options.password },
    tls: tlsOptions,
    // A pinned certificate is checked between the handshake and the first command (pinning.ts).
    ...(account.trustedCertificateSha256 && account.security !== 'none' ? { transport: pinnedImapTransport(account) } : {}),
    logger: starttls.logger,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
    disableAutoIdle: true,
    maxLineLength: limits.maxLineBytes,
    maxLiteralSize: limits.maxLiteralBytes,
    maxResponseSize: limits.maxResponseBytes,
    maxResponseTokens: limits.maxResponseTokens,
    ...(options.maxIdleTimeMs ? { maxIdleTime: options.maxIdleTimeMs } : {}),
    // ENABLE QRESYNC (with CONDSTORE) when offered: resync then costs the change, not the folder.
    qresync: true,
    // imapflow sends ID with this before and after LOGIN when the server offers ID.
    clientInfo: { name: 'Mailroom', version: options.clientVersion ?? '0' },
  });
  // imapflow emits 'error' for socket failures after connect; without a listener Node throws, so
  // this listener is attached before connect() and never removed. The error is the cause the
  // command in flight will only see as NoConnection: it is kept for the caller (connectionFailure).
  client.on('error', (err: Error) => {
    log.warn(`connection error: ${err.message}`);
    recordConnectionFailure(client, toMailError(err, account));
  });
  // Covers the commands of connect() (CAPABILITY, LOGIN, ENABLE) as well as every later one.
  const deadline = new CommandDeadline(client, {
    graceMs: limits.commandGraceMs,
    minBytesPerSecond: limits.minBytesPerSecond,
    onExpired: (err) => {
      log.warn(`${err.message}; closing the connection`);
      recordConnectionFailure(client, toMailError(err, account));
      client.close();
    },
  });

  log.info(`connecting to ${account.host}:${account.port} (${account.security})`);
  try {
    await client.connect();
  } catch (failure) {
    deadline.stop();
    client.close();
    const err = connectionFailure(client) ?? failure;
    const mapped = starttls.explain(toMailError(err, account), account);
    if (mapped.code === 'CertificateUntrusted' && account.security !== 'none') {
      const peer = await fetchPeerCertificate(account, options.timeoutMs).catch(() => undefined);
      if (peer) throw toMailError(err, account, peer.certificate);
    }
    throw await explainOutdatedTls(mapped, account, options.timeoutMs);
  }
  log.info(`connected; capabilities: ${[...client.capabilities.keys()].join(' ')}`);
  // Full paths from here on, in every namespace (see namespaces.ts).
  adoptNamespaces(client);
  return client;
}
