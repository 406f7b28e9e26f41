/**
 * From a discovery result to an account Add Account can test and save: what was found in words,
 * how the account signs in (password or OAuth2), and the settings entry. No VS Code, no I/O.
 */
import type { AccountConfig, MailProtocol } from '../account';
import type { OAuthProviderId } from '../oauth/provider';
import type { DiscoveryResult, LookupRecord, ServerCandidate } from './types';

export type KnownOAuthProvider = Exclude<OAuthProviderId, 'custom'>;

// Hosts whose providers accept only OAuth2 for mail clients (Microsoft turned basic auth off for
// Exchange Online; Google requires OAuth2 or app passwords), whatever a config file says.
const OAUTH_HOSTS: ReadonlyArray<[RegExp, KnownOAuthProvider]> = [
  [/(^|\.)office365\.com$/i, 'microsoft'],
  [/(^|\.)outlook\.com$/i, 'microsoft'],
  [/(^|\.)outlook\.office\.com$/i, 'microsoft'],
  [/(^|\.)hotmail\.com$/i, 'microsoft'],
  [/(^|\.)gmail\.com$/i, 'google'],
  [/(^|\.)googlemail\.com$/i, 'google'],
];

export function knownOAuthProvider(host: string): KnownOAuthProvider | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  return OAUTH_HOSTS.find(([re]) => re.test(h))?.[1];
}

export type SignInPlan = { kind: 'password' } | { kind: 'oauth2'; provider: KnownOAuthProvider } | { kind: 'oauth2Unknown'; host: string };

/** OAuth2 when the host is a known Microsoft/Google host or the config says OAuth2; otherwise a password. */
export function signInPlan(incoming: ServerCandidate): SignInPlan {
  const provider = knownOAuthProvider(incoming.host);
  if (provider) return { kind: 'oauth2', provider };
  if (incoming.flags.oauth2) return { kind: 'oauth2Unknown', host: incoming.host };
  return { kind: 'password' };
}

const SOURCE_WORDS: Record<ServerCandidate['source']['kind'], string> = {
  autoconfig: 'the provider’s setup file',
  wellKnown: 'the domain’s setup file',
  mxAutoconfig: 'the setup file of the mail exchanger’s domain',
  mxWellKnown: 'the setup file of the mail exchanger’s domain',
  srv: 'the DNS SRV record',
  guess: 'a guessed host name',
};

/** Where a candidate came from and what the check found, in one line. */
export function describeSource(c: ServerCandidate): string {
  const from = c.source.kind === 'guess' ? `${SOURCE_WORDS.guess} (${c.source.where})` : `${SOURCE_WORDS[c.source.kind]} ${c.source.where}`;
  const v = c.verification;
  const checked = !v ? 'not checked' : !v.reachable ? `no answer: ${v.problem ?? 'failed'}` : v.certificateTrusted ? 'a server answered, certificate verified' : 'a server answered, certificate to confirm';
  return `from ${from}; ${checked}`;
}

export function describeEndpoint(c: ServerCandidate): string {
  const security = c.security === 'tls' ? 'TLS' : c.security === 'starttls' ? 'STARTTLS' : 'no encryption';
  return `${c.protocol.toUpperCase()} ${c.host}:${c.port} (${security})`;
}

export type DiscoveryOutcome = { kind: 'found' } | { kind: 'nothing'; message: string } | { kind: 'timedOut'; message: string };

// What the engine says when it refused a file it got; an HTTP status or a missing host is no refusal.
const REFUSAL_CODES = new Set(['ConfigInvalid', 'LimitExceeded', 'RedirectRefused']);
const AUTOCONFIG_KINDS = new Set<LookupRecord['kind']>(['autoconfig', 'wellKnown', 'mxAutoconfig', 'mxWellKnown']);

/** Setup files discovery refused (hostile, malformed, too big, redirected away), in the engine's words. */
export function refusedConfigs(result: DiscoveryResult): string[] {
  return result.lookups.filter((l) => AUTOCONFIG_KINDS.has(l.kind) && !l.ok && l.error && REFUSAL_CODES.has(l.error.code)).map((l) => l.error!.message);
}

/** Whether anything usable came back, and when not, a message that says why. */
export function discoveryOutcome(result: DiscoveryResult): DiscoveryOutcome {
  if (result.best.incoming) return { kind: 'found' };
  const refused = refusedConfigs(result);
  const timeouts = result.lookups.filter((l) => l.error?.code === 'Timeout');
  const allFailed = result.lookups.length > 0 && result.lookups.every((l) => !l.ok && (l.error?.code === 'Timeout' || l.error?.code === 'HostNotFound'));
  if (allFailed && timeouts.length > 0 && timeouts.length >= result.lookups.length / 2) {
    return {
      kind: 'timedOut',
      message: `Every lookup for ${result.domain} failed, ${timeouts.length} of ${result.lookups.length} by timing out: the network, DNS or a firewall did not answer. Check the connection and try again, or set up the account manually.`,
    };
  }
  const refusedText = refused.length ? ` Refused: ${refused.join(' ')}` : '';
  return { kind: 'nothing', message: `${result.problem ?? `No mail server settings were found for ${result.domain}.`}${refusedText}` };
}

export interface SetupChoice {
  address: string;
  name?: string;
  incoming: ServerCandidate;
  outgoing?: ServerCandidate;
  /** The developer override's host map (envOverrides.ts): where a mapped name really is. */
  connectTo?: (host: string, port: number) => { host: string; port: number } | undefined;
}

/**
 * The settings entry (without id) for the chosen servers. The user name is the one the source
 * gave; the address is the From address. Unencrypted servers carry allowPlaintextPassword: the
 * caller asks before it builds this.
 */
export function accountFromDiscovery(choice: SetupChoice): Omit<AccountConfig, 'id'> {
  const { incoming, outgoing } = choice;
  const at = (c: ServerCandidate): { host: string; port: number } => choice.connectTo?.(c.host, c.port) ?? { host: c.host, port: c.port };
  const account: Omit<AccountConfig, 'id'> = {
    label: choice.address,
    protocol: incoming.protocol as MailProtocol,
    ...at(incoming),
    security: incoming.security,
    user: incoming.username,
    email: choice.address,
  };
  if (choice.name?.trim()) account.name = choice.name.trim();
  if (incoming.security === 'none') account.allowPlaintextPassword = true;
  if (outgoing) {
    account.smtp = { ...at(outgoing), security: outgoing.security };
    if (outgoing.username !== incoming.username) account.smtp.user = outgoing.username;
    if (outgoing.security === 'none') account.smtp.allowPlaintextPassword = true;
  }
  return account;
}

/** The incoming candidates worth offering: those a server answered at (or unchecked), IMAP before POP3 as ranked. */
export function offeredCandidates(list: readonly ServerCandidate[]): ServerCandidate[] {
  return list.filter((c) => c.verification?.reachable !== false && (c.protocol === 'imap' || c.protocol === 'pop3'));
}
