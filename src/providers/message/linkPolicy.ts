// What clicking a link in a message does, decided without VS Code (unit-tested): only http(s) and
// mailto; a link whose visible text names another host than its real destination is shown first.
import { lazyNode } from '../../util/lazyNode';

export type LinkDecision =
  /** Open in the browser straight away. */
  | { kind: 'open'; url: string }
  /** Show the real destination and ask first. */
  | { kind: 'confirm'; url: string; realHost: string; shownHost: string; reason: string }
  /** Write to this address (mailroom.compose). */
  | { kind: 'mailto'; address: string; url: string }
  | { kind: 'refuse'; reason: string };

/** A host name written in link text: labels of letters/digits/hyphens (any script) ending in a TLD of letters. */
const HOST_IN_TEXT = /(?:^|[^\p{L}\p{N}@.-])((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,62}[\p{L}\p{N}])?\.)+(?:[\p{L}]{2,63}|xn--[a-z0-9-]{2,59}))\.?(?=$|[^\p{L}\p{N}-])/giu;

/**
 * `text` is the link's DOM text (hidden parts included); `shown`, when the view could measure it,
 * is the part a person can actually see. A link goes straight to the browser only when neither
 * names a host other than its destination, and, if it writes anything host-like (a dot), no part
 * of it is hidden: hidden text can make a host read as another one ("paypal<0px>xyz</0px>.com").
 */
export function decideLink(href: string, text: string, shown?: string): LinkDecision {
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
  const seen = shown ?? text;
  if (url.username || url.password) {
    return { kind: 'confirm', url: url.href, realHost, shownHost: hostNamedIn(seen) ?? '', reason: 'The link hides its destination behind a user name.' };
  }
  // What is visible first: the reason then names the host the person read.
  const other = [...(shown === undefined ? [] : hostsNamedIn(shown)), ...hostsNamedIn(text)].find((host) => host !== realHost);
  if (other !== undefined) {
    return { kind: 'confirm', url: url.href, realHost, shownHost: other, reason: `The link text shows ${other}, but the link goes to ${realHost}.` };
  }
  if (shown !== undefined && squash(shown) !== squash(text) && HOST_LIKE.test(text)) {
    return { kind: 'confirm', url: url.href, realHost, shownHost: hostNamedIn(shown) ?? '', reason: 'Part of the link text is hidden, so what it shows may not be where it goes.' };
  }
  return { kind: 'open', url: url.href };
}

/** A dot, or a character that reads as one: text without any cannot write a host name. */
const HOST_LIKE = /[.\u00b7\u0701\u0702\u2024\u2027\u3002\ufe52\uff0e\uff61]/u;

/** Text without white space and invisible format characters (zero-width space, soft hyphen, …). */
function squash(text: string): string {
  return text.replace(/[\s\p{Z}\p{Cf}]+/gu, '');
}

/** The host a link's visible text names first, normalized; undefined when the text names none ("Click here"). */
export function hostNamedIn(text: string): string | undefined {
  return hostsNamedIn(text)[0];
}

/** Every host the text names (URLs and bare host names), normalized, in order. */
export function hostsNamedIn(text: string): string[] {
  // Format characters draw nothing: "pay\u200bpal.com" reads as paypal.com.
  const plain = text.replace(/\p{Cf}/gu, '').trim();
  const hosts: string[] = [];
  // Full URLs in the text: trust the URL parser for the host part.
  for (const m of plain.matchAll(/(?:^|[^a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/\S+)/gi)) {
    try {
      const host = new URL(m[1]).hostname;
      if (host) hosts.push(normalizeHost(host));
    } catch {
      // not a URL: the host pattern below still reads it
    }
  }
  for (const m of plain.matchAll(HOST_IN_TEXT)) hosts.push(normalizeHost(m[1]));
  return hosts;
}

/** Punycode, lower case, no trailing dot, no leading `www.`: so equal hosts compare equal. */
export function normalizeHost(host: string): string {
  let h = host.trim().replace(/\.$/, '');
  if (h.startsWith('[') || /^[\d.]+$/.test(h)) return h.toLowerCase();
  h = lazyNode.url().domainToASCII(h.toLowerCase()) || h.toLowerCase();
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
