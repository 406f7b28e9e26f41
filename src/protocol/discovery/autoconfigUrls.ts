import type { SourceKind } from './types';

export interface AutoconfigUrl {
  kind: Extract<SourceKind, 'autoconfig' | 'wellKnown' | 'mxAutoconfig' | 'mxWellKnown'>;
  url: string;
  /** The domain whose owner publishes this file. */
  domain: string;
}

/**
 * Thunderbird's autoconfig locations for one domain, in its order: the provider's autoconfig
 * host (which also gets the address, so one server can answer per user), then the domain's
 * well-known path. https only, unless the user consented to plain http, which adds the same URLs
 * over http after all https ones (an attacker on the path can rewrite those).
 */
export function autoconfigUrls(domain: string, address: string, options: { viaMx?: boolean; allowPlainHttp?: boolean } = {}): AutoconfigUrl[] {
  const host = domain.toLowerCase();
  const query = `?emailaddress=${encodeURIComponent(address)}`;
  const kinds = options.viaMx ? (['mxAutoconfig', 'mxWellKnown'] as const) : (['autoconfig', 'wellKnown'] as const);
  const paths = [`autoconfig.${host}/mail/config-v1.1.xml${query}`, `${host}/.well-known/autoconfig/mail/config-v1.1.xml`];
  const schemes = options.allowPlainHttp ? ['https', 'http'] : ['https'];
  return schemes.flatMap((scheme) => paths.map((p, i) => ({ kind: kinds[i], url: `${scheme}://${p}`, domain: host })));
}
