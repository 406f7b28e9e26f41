import { MailError } from './errors';
import type { OAuthProviderId } from './oauth/provider';

export type MailProtocol = 'imap' | 'pop3';
export type ConnectionSecurity = 'tls' | 'starttls' | 'none';

/** The shape of one entry of the `mailroom.accounts` setting. No secrets live here. */
export interface AccountConfig {
  id: string;
  label?: string;
  protocol: MailProtocol;
  host: string;
  port: number;
  security: ConnectionSecurity;
  user: string;
  allowPlaintextPassword?: boolean;
  trustedCertificateSha256?: string;
  /** POP3: keep messages on the server after downloading them (default true). */
  leaveOnServer?: boolean;
  /** POP3 with leaveOnServer: delete from the server this many days after downloading. */
  deleteFromServerAfterDays?: number;
  /** POP3: download only the headers of messages larger than this; the body when opened. */
  headersOnlyAboveKilobytes?: number;
  /** The address mail is sent from; `user` when that is an address and this is unset. */
  email?: string;
  /** Display name in From. */
  name?: string;
  /** Other addresses of the user: reply-all leaves them out, and compose offers them as From. */
  aliases?: string[];
  /** Outgoing server; without it the account can read but not send. */
  smtp?: SmtpConfig;
  /**
   * Sending identities beyond the account's own address (an entry with that address configures it):
   * name, Reply-To, a Markdown signature, and an SMTP server of its own (its password in SecretStorage).
   */
  identities?: IdentityConfig[];
  /** IMAP: APPEND what was sent to the Sent folder (default true). */
  saveToSent?: boolean;
  /** IMAP: folder paths overriding the special-use \Sent and \Drafts folders. */
  sentFolder?: string;
  draftsFolder?: string;
  /** How the account signs in; default 'password' (stored in SecretStorage). */
  auth?: AccountAuth;
  /** With auth 'oauth2': the provider and this user's or organisation's own app registration. */
  oauth2?: OAuth2Settings;
}

export type AccountAuth = 'password' | 'oauth2';

/**
 * An account's OAuth2 sign-in. Client IDs are settings, never built in: an application must not
 * borrow another application's registration. The tokens live in SecretStorage.
 */
export interface OAuth2Settings {
  provider: OAuthProviderId;
  clientId: string;
  /** Google's "Desktop app" clients come with a secret that is not secret; sent where required. */
  clientSecret?: string;
  /** Microsoft: common, organizations, consumers, a tenant ID or domain; default common. */
  tenant?: string;
  /** provider 'custom': the issuer whose metadata names the endpoints (https, or http on loopback). */
  issuer?: string;
  /** provider 'custom': the scopes (space-separated) the server needs for mail; offline_access is always asked. */
  scope?: string;
}

/** Whether the account signs in with OAuth2 rather than a password. */
export function usesOAuth2(account: AccountConfig): account is AccountConfig & { auth: 'oauth2'; oauth2: OAuth2Settings } {
  return account.auth === 'oauth2' && account.oauth2 !== undefined;
}

/** An outgoing server: the account's (its login is the account's) or an identity's own (its own stored password). */
export interface SmtpConfig {
  host: string;
  port: number;
  /** 'tls': implicit TLS (465); 'starttls': STARTTLS required (587); 'none': only with allowPlaintextPassword. */
  security: ConnectionSecurity;
  /** Login name; the account's `user` when unset. */
  user?: string;
  allowPlaintextPassword?: boolean;
  trustedCertificateSha256?: string;
}

/** One address the user sends as, with what goes with it. */
export interface IdentityConfig {
  address: string;
  /** Display name in From; the account's `name` when unset. */
  name?: string;
  /** Reply-To addresses added when sending as this identity. */
  replyTo?: string[];
  /** Markdown, placed under the `-- ` delimiter (RFC 3676 4.3). */
  signature?: string;
  /**
   * Its own outgoing server. Its password is stored for this identity in SecretStorage ("Mailroom:
   * Set Identity SMTP Password…"), never the account's; `user` defaults to the identity's address.
   */
  smtp?: SmtpConfig;
}

export const DEFAULT_SMTP_PORTS: Record<ConnectionSecurity, number> = { tls: 465, starttls: 587, none: 25 };

/** The address this account sends from, or undefined when neither `email` nor `user` is one. */
export function accountAddress(account: AccountConfig): string | undefined {
  if (account.email) return account.email;
  return ADDRESS.test(account.user) ? account.user : undefined;
}

/** Every address that is the user's own for this account (identities included), lower-cased. */
export function ownAddresses(account: AccountConfig): string[] {
  const all = [accountAddress(account), ...(account.identities ?? []).map((i) => i.address), ...(account.aliases ?? [])].filter((a): a is string => !!a);
  return [...new Set(all.map((a) => a.toLowerCase()))];
}

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

export const DEFAULT_PORTS: Record<MailProtocol, Record<ConnectionSecurity, number>> = {
  imap: { tls: 993, starttls: 143, none: 143 },
  pop3: { tls: 995, starttls: 110, none: 110 },
};

export function accountLabel(account: AccountConfig): string {
  return account.label?.trim() || `${account.user}@${account.host}`;
}

const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

/**
 * Validates one raw settings entry. Settings are user-editable JSON, so nothing about their shape
 * is assumed; a bad entry yields an InvalidAccount error naming the field.
 */
export function parseAccountConfig(raw: unknown): AccountConfig {
  if (typeof raw !== 'object' || raw === null) {
    throw invalid('an account entry must be an object');
  }
  const r = raw as Record<string, unknown>;
  const id = requireString(r, 'id');
  const protocol = r.protocol;
  if (protocol !== 'imap' && protocol !== 'pop3') throw invalid(`account "${id}": protocol must be "imap" or "pop3"`);
  const security = r.security;
  if (security !== 'tls' && security !== 'starttls' && security !== 'none') {
    throw invalid(`account "${id}": security must be "tls", "starttls" or "none"`);
  }
  const port = r.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(`account "${id}": port must be a whole number from 1 to 65535`);
  }
  const account: AccountConfig = {
    id,
    protocol,
    host: requireString(r, 'host'),
    port,
    security,
    user: requireString(r, 'user'),
  };
  if (typeof r.label === 'string' && r.label.trim()) account.label = r.label.trim();
  if (r.allowPlaintextPassword === true) account.allowPlaintextPassword = true;
  if (typeof r.trustedCertificateSha256 === 'string' && r.trustedCertificateSha256) {
    const fp = normalizeFingerprint(r.trustedCertificateSha256);
    if (!FINGERPRINT.test(fp)) throw invalid(`account "${id}": trustedCertificateSha256 is not a SHA-256 fingerprint`);
    account.trustedCertificateSha256 = fp;
  }
  if (typeof r.leaveOnServer === 'boolean') account.leaveOnServer = r.leaveOnServer;
  for (const key of ['deleteFromServerAfterDays', 'headersOnlyAboveKilobytes'] as const) {
    const v = r[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalid(`account "${id}": ${key} must be a whole number of at least 1`);
    account[key] = v;
  }
  if (r.email !== undefined) {
    if (typeof r.email !== 'string' || !ADDRESS.test(r.email.trim())) throw invalid(`account "${id}": email must be an address like name@example.com`);
    account.email = r.email.trim();
  }
  if (typeof r.name === 'string' && r.name.trim()) account.name = r.name.trim();
  if (r.aliases !== undefined) {
    if (!Array.isArray(r.aliases) || !r.aliases.every((a) => typeof a === 'string' && ADDRESS.test(a.trim()))) {
      throw invalid(`account "${id}": aliases must be a list of addresses`);
    }
    account.aliases = (r.aliases as string[]).map((a) => a.trim());
  }
  if (r.smtp !== undefined && r.smtp !== null) account.smtp = parseSmtpConfig(id, r.smtp);
  if (r.identities !== undefined && r.identities !== null) account.identities = parseIdentities(id, r.identities);
  if (typeof r.saveToSent === 'boolean') account.saveToSent = r.saveToSent;
  for (const key of ['sentFolder', 'draftsFolder'] as const) {
    const v = r[key];
    if (typeof v === 'string' && v.trim()) account[key] = v.trim();
  }
  if (r.auth !== undefined && r.auth !== 'password' && r.auth !== 'oauth2') throw invalid(`account "${id}": auth must be "password" or "oauth2"`);
  if (r.auth === 'oauth2') {
    account.auth = 'oauth2';
    account.oauth2 = parseOAuth2Settings(id, r.oauth2);
  }
  return account;

  function requireString(obj: Record<string, unknown>, key: string): string {
    const v = obj[key];
    if (typeof v !== 'string' || !v.trim()) throw invalid(`account ${key === 'id' ? '' : `"${String(obj.id)}" `}needs a "${key}"`);
    return v.trim();
  }
}

/** Longest signature kept (characters): a signature is a few lines, not a document. */
export const MAX_SIGNATURE_LENGTH = 4000;
/** More identities than this in one account is a settings mistake, not a use. */
export const MAX_IDENTITIES = 50;

function parseIdentities(id: string, raw: unknown): IdentityConfig[] {
  if (!Array.isArray(raw)) throw invalid(`account "${id}": identities must be a list of objects like { "address": "me@example.com" }`);
  if (raw.length > MAX_IDENTITIES) throw invalid(`account "${id}": identities has ${raw.length} entries; at most ${MAX_IDENTITIES} are allowed`);
  const seen = new Set<string>();
  return raw.map((entry: unknown, n) => {
    const where = `account "${id}": identities[${n}]`;
    if (typeof entry !== 'object' || entry === null) throw invalid(`${where} must be an object with an "address"`);
    const r = entry as Record<string, unknown>;
    if (typeof r.address !== 'string' || !ADDRESS.test(r.address.trim())) throw invalid(`${where}.address must be an address like name@example.com`);
    const address = r.address.trim();
    if (seen.has(address.toLowerCase())) throw invalid(`${where}: the address ${address} is listed twice`);
    seen.add(address.toLowerCase());
    const identity: IdentityConfig = { address };
    if (r.name !== undefined) {
      if (typeof r.name !== 'string' || /[\r\n]/.test(r.name)) throw invalid(`${where}.name must be one line of text`);
      if (r.name.trim()) identity.name = r.name.trim();
    }
    if (r.replyTo !== undefined) {
      const list = typeof r.replyTo === 'string' ? [r.replyTo] : r.replyTo;
      if (!Array.isArray(list) || !list.every((a) => typeof a === 'string' && ADDRESS.test(a.trim()))) throw invalid(`${where}.replyTo must be an address or a list of addresses`);
      identity.replyTo = (list as string[]).map((a) => a.trim());
    }
    if (r.signature !== undefined) {
      if (typeof r.signature !== 'string') throw invalid(`${where}.signature must be text (Markdown; "\\n" between lines)`);
      if (r.signature.length > MAX_SIGNATURE_LENGTH) throw invalid(`${where}.signature is longer than ${MAX_SIGNATURE_LENGTH} characters`);
      if (r.signature.trim()) identity.signature = r.signature;
    }
    if (r.smtp !== undefined && r.smtp !== null) identity.smtp = parseSmtpConfig(id, r.smtp, `identities[${n}].smtp`);
    return identity;
  });
}

function parseSmtpConfig(id: string, raw: unknown, field = 'smtp'): SmtpConfig {
  if (typeof raw !== 'object' || raw === null) throw invalid(`account "${id}": ${field} must be an object`);
  const r = raw as Record<string, unknown>;
  if (typeof r.host !== 'string' || !r.host.trim()) throw invalid(`account "${id}": ${field} needs a "host"`);
  const security = r.security ?? 'starttls';
  if (security !== 'tls' && security !== 'starttls' && security !== 'none') {
    throw invalid(`account "${id}": ${field}.security must be "tls", "starttls" or "none"`);
  }
  const port = r.port ?? DEFAULT_SMTP_PORTS[security];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(`account "${id}": ${field}.port must be a whole number from 1 to 65535`);
  }
  const smtp: SmtpConfig = { host: r.host.trim(), port, security };
  if (typeof r.user === 'string' && r.user.trim()) smtp.user = r.user.trim();
  if (r.allowPlaintextPassword === true) smtp.allowPlaintextPassword = true;
  if (typeof r.trustedCertificateSha256 === 'string' && r.trustedCertificateSha256) {
    const fp = normalizeFingerprint(r.trustedCertificateSha256);
    if (!FINGERPRINT.test(fp)) throw invalid(`account "${id}": ${field}.trustedCertificateSha256 is not a SHA-256 fingerprint`);
    smtp.trustedCertificateSha256 = fp;
  }
  return smtp;
}

function parseOAuth2Settings(id: string, raw: unknown): OAuth2Settings {
  if (typeof raw !== 'object' || raw === null) throw invalid(`account "${id}": auth "oauth2" needs an "oauth2" object with the provider and the client ID of your app registration`);
  const r = raw as Record<string, unknown>;
  const provider = r.provider;
  if (provider !== 'microsoft' && provider !== 'google' && provider !== 'custom') {
    throw invalid(`account "${id}": oauth2.provider must be "microsoft", "google" or "custom"`);
  }
  if (typeof r.clientId !== 'string' || !r.clientId.trim()) {
    throw invalid(`account "${id}": oauth2.clientId must be the client ID of your own app registration`);
  }
  const settings: OAuth2Settings = { provider, clientId: r.clientId.trim() };
  if (typeof r.clientSecret === 'string' && r.clientSecret) settings.clientSecret = r.clientSecret;
  if (r.tenant !== undefined) {
    if (typeof r.tenant !== 'string' || !/^[A-Za-z0-9.-]{1,100}$/.test(r.tenant)) {
      throw invalid(`account "${id}": oauth2.tenant must be common, organizations, consumers, a tenant ID or a domain`);
    }
    settings.tenant = r.tenant;
  }
  if (provider === 'custom') {
    if (typeof r.issuer !== 'string' || !isIssuerUrl(r.issuer)) {
      throw invalid(`account "${id}": oauth2.issuer must be the https address of the sign-in server (provider "custom")`);
    }
    settings.issuer = r.issuer;
    if (r.scope !== undefined) {
      if (typeof r.scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(r.scope.trim())) {
        throw invalid(`account "${id}": oauth2.scope must be scope names separated by spaces`);
      }
      settings.scope = r.scope.trim();
    }
  }
  return settings;
}

function isIssuerUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
  } catch {
    return false;
  }
}

function invalid(message: string): MailError {
  return new MailError('InvalidAccount', `Invalid account setting: ${message}.`);
}

/** Refuses, before anything is sent, to put a password on an unencrypted link without consent. */
export function assertPasswordTransportAllowed(account: AccountConfig): void {
  if (account.security === 'none' && !account.allowPlaintextPassword) {
    throw new MailError(
      'InsecureAuthRefused',
      `Mailroom will not send the ${account.auth === 'oauth2' ? 'sign-in token' : 'password'} for ${accountLabel(account)} over an unencrypted connection. ` +
        'Choose TLS or STARTTLS, or set "allowPlaintextPassword": true for this account if it is a local test server.',
    );
  }
}
