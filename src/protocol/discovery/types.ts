/** What discovery finds and how it says where each answer came from. No VS Code, no I/O. */

export type ServerProtocol = 'imap' | 'pop3' | 'smtp';
export type ServerSecurity = 'tls' | 'starttls' | 'none';

/** Where a candidate came from, in Thunderbird's order of trust (first is most trusted). */
export type SourceKind = 'autoconfig' | 'wellKnown' | 'mxAutoconfig' | 'mxWellKnown' | 'srv' | 'guess';

export const SOURCE_ORDER: readonly SourceKind[] = ['autoconfig', 'wellKnown', 'mxAutoconfig', 'mxWellKnown', 'srv', 'guess'];

export interface CandidateSource {
  kind: SourceKind;
  /** The autoconfig URL actually read (after a same-domain redirect), the SRV name, or the guessed host. */
  where: string;
  /** Position among the alternatives of its config file or SRV answer (0 = the provider's first choice). */
  rank: number;
}

/** What the prober saw when it checked the endpoint, without logging in. */
export interface Verification {
  /** The server greeted and TLS (implicit or STARTTLS, as the candidate says) came up. */
  reachable: boolean;
  /** TLS verified against the trusted roots (or a pinned certificate); false means the trust flow applies. */
  certificateTrusted: boolean;
  /** Why it is not reachable or not trusted, in words the user can act on. */
  problem?: string;
  /** The probe error code when it failed (a MailErrorCode). */
  errorCode?: string;
  /** SHA-256 of the leaf certificate, for the existing trust-this-certificate flow. */
  certificateSha256?: string;
  ms: number;
}

export interface CandidateFlags {
  /** The server name is outside the address's domain: the password would go to someone else's host. Must be confirmed. */
  passwordGoesToOtherDomain: boolean;
  /** The config came over plain http (only with consent): someone on the path could have rewritten it. */
  fetchedOverPlainHttp: boolean;
  /** The autoconfig URL redirected (within the same domain); the URL first asked for. */
  redirectedFrom?: string;
  /** The provider signs in with OAuth2 (no password asked). */
  oauth2: boolean;
  /** No TLS at all: the password would cross the network readable. */
  unencrypted: boolean;
}

/** One server as a config file names it, or as an SRV record or a guess gives it. */
export interface ServerEndpoint {
  role: 'incoming' | 'outgoing';
  protocol: ServerProtocol;
  host: string;
  port: number;
  security: ServerSecurity;
  /** Login name with the placeholders filled in; the address where the source does not say (SRV, guesses). */
  username: string;
  /** Config-v1.1 authentication values in the provider's order, e.g. ['OAuth2', 'password-cleartext']. */
  authentication: string[];
}

export interface ServerCandidate extends ServerEndpoint {
  source: CandidateSource;
  /** Other sources that named the same endpoint. */
  alsoFrom: CandidateSource[];
  verification?: Verification;
  flags: CandidateFlags;
}

/** One lookup as `mailroom-check --discover` prints it. */
export interface LookupRecord {
  /** e.g. `autoconfig`, `wellKnown`, `mx`, `srv`, `guess`, `verify`. */
  kind: SourceKind | 'mx' | 'verify';
  /** URL, DNS name or `scheme://host:port`. */
  target: string;
  ok: boolean;
  /** A one-line summary of the answer (e.g. "2 incoming, 1 outgoing", "imap.example.com:993 (priority 0)"). */
  answer?: string;
  error?: { code: string; message: string };
  startedMs: number;
  ms: number;
}

export interface DiscoveryResult {
  address: string;
  domain: string;
  /** The MX host's domain when it differs from the address's. */
  mxDomain?: string;
  /** Every lookup in the order it was started. */
  lookups: LookupRecord[];
  /** Every candidate, best first within each role. */
  incoming: ServerCandidate[];
  outgoing: ServerCandidate[];
  /** The winners (first of each list when it is usable), or undefined when nothing usable was found. */
  best: { incoming?: ServerCandidate; outgoing?: ServerCandidate };
  /** Sentences the user must confirm before saving (other domain, plain http, no TLS, untrusted certificate). */
  confirmations: string[];
  /** When nothing usable was found: what to do next. */
  problem?: string;
  totalMs: number;
}
