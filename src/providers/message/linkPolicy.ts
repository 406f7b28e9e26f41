// What clicking a link in a message does, decided without VS Code (unit-tested): only http(s) and
// mailto; a link whose visible text names another host than its real destination is shown first.
import { domainToASCII } from 'node:url';

export type LinkDecision =
  /** Open in the browser straight away. */
  | { kind: 'open'; url: string }
  /** Show the real destination and ask first. */
  | { kind: 'confirm'; url: string; realHost: string; shownHost: string; reason: string }
  /** Write to this address (mailroom.compose). */
  | { kind: 'mailto'; address: string; url: string }
  | { kind: 'refuse'; reason: string };

/** A host name written in link text: labels of letters/digits/hyphens (any script) ending in a TLD of letters. */
const HOST_IN_TEXT = /(?:^|[^\p{L}\p{N}@.-])((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,62}[\p{L}\p{N}])?\.)+(?:[\p{L}]{2,63}|xn--[a-z0-9-]{2,59}))\.?(?=$|[^\p{L}\p{N}-])/iu;

export function decideLink(href: string, text: string): LinkDecision {
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return { kind: 'refuse', reason: 'The link is not a valid address.' };
  }
  if (url.protocol === 'mailto:') {
    const address = mailtoAddress(url);
    return address ? { kind: 'mailto', address, url: url.href } : { kind: 'refuse', reason: 'The mail link has no address.' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { kind: 'refuse', reason: `Links of type “${url.protocol.replace(/:$/, '')}” are not opened from mail.` };
  }
  const realHost = normalizeHost(url.hostname);
  if (url.username || url.password) {
    return { kind: 'confirm', url: url.href, realHost, shownHost: hostNamedIn(text) ?? '', reason: 'The link hides its destination behind a user name.' };
  }
  const shownHost = hostNamedIn(text);
  if (shownHost !== undefined && shownHost !== realHost) {
    return { kind: 'confirm', url: url.href, realHost, shownHost, reason: `The link text shows ${shownHost}, but the link goes to ${realHost}.` };
  }
  return { kind: 'open', url: url.href };
}

/** The host a link's visible text names, normalized; undefined when the text names none ("Click here"). */
export function hostNamedIn(text: string): string | undefined {
  const trimmed = text.trim();
  // A full URL in the text: trust the URL parser for the host part.
  const urlLike = /^[a-z][a-z0-9+.-]*:\/\/\S+/i.exec(trimmed);
  if (urlLike) {
    try {
      const host = new URL(urlLike[0]).hostname;
      if (host) return normalizeHost(host);
    } catch {
      // fall through to the host pattern
    }
  }
  const match = HOST_IN_TEXT.exec(trimmed);
  return match ? normalizeHost(match[1]) : undefined;
}

/** Punycode, lower case, no trailing dot, no leading `www.`: so equal hosts compare equal. */
export function normalizeHost(host: string): string {
  let h = host.trim().replace(/\.$/, '');
  if (h.startsWith('[') || /^[\d.]+$/.test(h)) return h.toLowerCase();
  h = domainToASCII(h.toLowerCase()) || h.toLowerCase();
  return h.replace(/^www\./, '');
}

function mailtoAddress(url: URL): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  const first = path.split(',')[0]?.trim() ?? '';
  // eslint-disable-next-line no-control-regex
  if (!first || /[\x00-\x1f\x7f<>]/.test(first) || !first.includes('@')) return undefined;
  return first;
}
