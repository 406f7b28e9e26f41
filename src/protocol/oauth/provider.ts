/**
 * Sign-in providers are data: where to authorize and get tokens, which scopes mail needs per
 * protocol. Presets for Microsoft (Entra ID: Microsoft 365 and Outlook.com) and Google; any other
 * issuer by discovery (OpenID Connect Discovery, RFC 8414). Client IDs are never built in: each
 * user or organisation registers its own app (an app must not borrow another's registration).
 */
import { MailError } from '../errors';
import { getJson, requireSecureUrl } from './http';

export interface OAuthEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
}

export type OAuthProviderId = 'microsoft' | 'google' | 'custom';
export type MailService = 'imap' | 'pop3' | 'smtp';

export interface OAuthProviderPreset {
  id: OAuthProviderId;
  label: string;
  /** Scopes per service; `offline_access`-style scopes that bring a refresh token are in `always`. */
  scopes: Record<MailService, string[]>;
  always: string[];
  /** Where to register an app (shown in messages when no client ID is set). */
  registrationHelp: string;
}

const MICROSOFT_RESOURCE = 'https://outlook.office.com';

export const PRESETS: Record<Exclude<OAuthProviderId, 'custom'>, OAuthProviderPreset> = {
  microsoft: {
    id: 'microsoft',
    label: 'Microsoft 365 / Outlook.com',
    scopes: {
      imap: [`${MICROSOFT_RESOURCE}/IMAP.AccessAsUser.All`],
      pop3: [`${MICROSOFT_RESOURCE}/POP.AccessAsUser.All`],
      smtp: [`${MICROSOFT_RESOURCE}/SMTP.Send`],
    },
    always: ['offline_access'],
    registrationHelp: 'Register an app in Microsoft Entra ID (App registrations), add the platform "Mobile and desktop applications" with the redirect URI http://localhost, and grant it the IMAP, POP and SMTP permissions of Office 365 Exchange Online.',
  },
  google: {
    id: 'google',
    label: 'Google (Gmail)',
    scopes: { imap: ['https://mail.google.com/'], pop3: ['https://mail.google.com/'], smtp: ['https://mail.google.com/'] },
    always: [],
    registrationHelp: 'Create an OAuth client of type "Desktop app" in the Google Cloud console (APIs & Services, Credentials) and add the scope https://mail.google.com/ on the consent screen.',
  },
};

/** Microsoft's endpoints for a tenant: `common`, `organizations`, `consumers`, a tenant ID or domain. */
export function microsoftEndpoints(tenant = 'common'): OAuthEndpoints {
  if (!/^[A-Za-z0-9.-]{1,100}$/.test(tenant)) {
    throw new MailError('InvalidAccount', `"${tenant}" is not a Microsoft tenant (use common, organizations, consumers, a tenant ID or a domain).`);
  }
  const base = `https://login.microsoftonline.com/${tenant}/oauth2/v2.0`;
  return {
    authorizationEndpoint: `${base}/authorize`,
    tokenEndpoint: `${base}/token`,
    deviceAuthorizationEndpoint: `${base}/devicecode`,
  };
}

export const GOOGLE_ENDPOINTS: OAuthEndpoints = {
  authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenEndpoint: 'https://oauth2.googleapis.com/token',
  deviceAuthorizationEndpoint: 'https://oauth2.googleapis.com/device/code',
  revocationEndpoint: 'https://oauth2.googleapis.com/revoke',
};

/** The scopes to ask for: each service's, plus those that bring a refresh token, without duplicates. */
export function scopesFor(preset: OAuthProviderPreset | undefined, services: MailService[], extra: string[] = []): string {
  const all = [...services.flatMap((s) => preset?.scopes[s] ?? []), ...(preset?.always ?? []), ...extra];
  return [...new Set(all)].join(' ');
}

/**
 * Reads an issuer's metadata: OpenID Connect Discovery first, then RFC 8414's
 * oauth-authorization-server document. The issuer in the document must be the one asked for
 * (RFC 8414 3.3), and every endpoint must be https (http only on loopback).
 */
export async function discoverEndpoints(issuer: string): Promise<OAuthEndpoints> {
  const base = requireSecureUrl(issuer, 'sign-in server address');
  const trimmed = base.href.replace(/\/$/, '');
  const origin = base.origin;
  const path = base.pathname.replace(/\/$/, '');
  const candidates = [
    `${trimmed}/.well-known/openid-configuration`,
    `${origin}/.well-known/oauth-authorization-server${path}`,
  ];
  const failures: string[] = [];
  for (const url of candidates) {
    const res = await getJson(url, 'sign-in server');
    if (res.status !== 200 || !res.json) {
      failures.push(`${url}: HTTP ${res.status}`);
      continue;
    }
    const doc = res.json;
    if (typeof doc.issuer === 'string' && doc.issuer.replace(/\/$/, '') !== trimmed) {
      throw new MailError('ProtocolError', `The sign-in server at ${base.host} describes itself as another issuer (${doc.issuer}); Mailroom does not trust it.`);
    }
    const endpoint = (key: string, required: boolean): string | undefined => {
      const v = doc[key];
      if (typeof v !== 'string') {
        if (required) throw new MailError('ProtocolError', `The sign-in server at ${base.host} does not name its ${key.replace(/_/g, ' ')}.`);
        return undefined;
      }
      return requireSecureUrl(v, key.replace(/_/g, ' ')).href;
    };
    const out: OAuthEndpoints = {
      authorizationEndpoint: endpoint('authorization_endpoint', true)!,
      tokenEndpoint: endpoint('token_endpoint', true)!,
    };
    const device = endpoint('device_authorization_endpoint', false);
    if (device) out.deviceAuthorizationEndpoint = device;
    const revocation = endpoint('revocation_endpoint', false);
    if (revocation) out.revocationEndpoint = revocation;
    return out;
  }
  throw new MailError('ProtocolError', `No sign-in server description found at ${base.host}. Check the issuer address.`, { detail: failures.join('; ') });
}
