/**
 * Opens a POP3 session in TRANSACTION state: socket (implicit TLS or plain), greeting, CAPA,
 * STLS when the account says starttls, login, CAPA again. Nothing that carries a credential is
 * sent before the transport is what the account asked for.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { accountLabel, assertPasswordTransportAllowed, type AccountConfig } from '../account';
import { startTlsMissing, toMailError } from '../connectionErrors';
import { MailError } from '../errors';
import { maskKnownSecret, type ProtocolLog } from '../log';
import { fetchPeerCertificate } from '../tls/certificate';
import { explainOutdatedTls } from '../tls/outdated';
import { checkPinnedPeer, tlsOptionsFor } from '../tls/pinning';
import type { Pop3AuthMethod } from './auth';
import { Pop3Client, type Pop3Session } from './client';
import { Pop3Connection } from './connection';
import { resolveLimits, resolvePace, type Pop3Limits, type Pop3Pace } from './limits';

export interface Pop3ConnectOptions {
  /** protocol 'pop3'; security 'tls' | 'starttls' | 'none'. */
  account: AccountConfig;
  /** The password, or the OAuth2 access token with auth 'oauth2' (or 'xoauth2'/'oauthbearer'). */
  password: string;
  log: ProtocolLog;
  /** Per command (time without progress), and for connect + greeting + each TLS handshake. */
  timeoutMs: number;
  /** How slow a response may be however alive the server looks (defaults: DEFAULT_POP3_PACE). */
  pace?: Partial<Pop3Pace>;
  /** 'auto' (default): the strongest the server offers, SASL CRAM-MD5 > APOP > PLAIN > LOGIN > USER. */
  auth?: Pop3AuthMethod;
  limits?: Partial<Pop3Limits>;
}

export async function connectPop3(options: Pop3ConnectOptions): Promise<Pop3Session> {
  const { account, log } = options;
  if (account.protocol !== 'pop3') {
    throw new MailError('InvalidAccount', `${accountLabel(account)} is not a POP3 account.`);
  }
  assertPasswordTransportAllowed(account);
  const limits = resolveLimits(options.limits);
  const pace = resolvePace(options.pace);
  const tlsOptions = tlsOptionsFor(account);

  log.info(`connecting to ${account.host}:${account.port} (${account.security})`);
  const socket = await openSocket(account, tlsOptions, options.timeoutMs);
  const conn = new Pop3Connection(socket, limits, log, options.timeoutMs, account, pace);
  const client = new Pop3Client(conn, log, limits);
  try {
    await client.readGreeting();
    let caps = await client.capa();
    if (account.security === 'starttls') {
      // RFC 2595: without STLS the client must not go on to send credentials in the clear.
      if (caps.raw !== undefined && !caps.stls) {
        const missing = startTlsMissing(account, 'pop3');
        throw new MailError(missing.code, missing.message, { detail: caps.raw.join(' | ') });
      }
      await client.startTls(tlsOptions, (secure) => checkPinnedPeer(secure, account));
      // RFC 2595 section 4: forget what was learnt before TLS.
      caps = await client.capa();
    }
    await client.login(options.auth ?? 'auto', { user: account.user, secret: options.password, host: account.host, port: account.port });
    log.info(`logged in; ${client.encrypted ? 'encrypted' : 'NOT encrypted'}; capabilities: ${client.capabilities.raw?.join(' ') ?? '(no CAPA)'}`);
    return client;
  } catch (err) {
    client.close();
    throw await mapConnectError(err, account, options.password, options.timeoutMs);
  }
}

async function mapConnectError(err: unknown, account: AccountConfig, password: string, timeoutMs: number): Promise<MailError> {
  let mapped = toMailError(err, account);
  if (mapped.code === 'CertificateUntrusted' && !mapped.certificate && account.security !== 'none') {
    const peer = await fetchPeerCertificate(account, timeoutMs).catch(() => undefined);
    if (peer) mapped = toMailError(err, account, peer.certificate);
  }
  mapped = await explainOutdatedTls(mapped, account, timeoutMs);
  if (mapped.code === 'ProtocolError' && !MailError.is(err)) {
    mapped = new MailError('ProtocolError', `${account.host}:${account.port} sent a response Mailroom could not understand. It may not be a POP3 server.`, {
      detail: mapped.detail,
      cause: err,
    });
  }
  // Server text can echo what it was sent; never let the password reach a message or the log.
  const message = maskKnownSecret(mapped.message, password);
  const detail = mapped.detail === undefined ? undefined : maskKnownSecret(mapped.detail, password);
  if (message === mapped.message && detail === mapped.detail) return mapped;
  return new MailError(mapped.code, message, {
    ...(detail === undefined ? {} : { detail }),
    cause: mapped.cause,
    ...(mapped.certificate ? { certificate: mapped.certificate } : {}),
    ...(mapped.tlsReason ? { tlsReason: mapped.tlsReason } : {}),
  });
}

function openSocket(account: AccountConfig, tlsOptions: tls.ConnectionOptions, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const servername = net.isIP(account.host) ? undefined : account.host;
    const socket: net.Socket =
      account.security === 'tls'
        ? tls.connect({ ...tlsOptions, host: account.host, port: account.port, ...(servername ? { servername } : {}) })
        : net.connect({ host: account.host, port: account.port });
    const ready = account.security === 'tls' ? 'secureConnect' : 'connect';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new MailError('Timeout', `${account.host}:${account.port} did not accept the connection within ${Math.round(timeoutMs / 1000)} s. A firewall may be dropping it.`),
      );
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      clearTimeout(timer);
      const refused = socket instanceof tls.TLSSocket ? checkPinnedPeer(socket, account) : undefined;
      if (refused) return onError(refused);
      socket.off('error', onError);
      resolve(socket);
    });
  }).catch(async (err: unknown) => {
    throw await mapConnectError(err, account, '', timeoutMs);
  });
}
