/**
 * Which URLs in sanitized mail survive, and in what form. Everything is decided on the value the
 * browser would see (entities already decoded by the HTML parser, CSS escapes decoded by css.ts),
 * with the WHATWG URL parser the browser uses, so spellings like `JaVa&#x09;script:` cannot differ
 * between the check and the use.
 */

/** Raster images only: an SVG data: URL is a document that can carry script and remote references. */
const RASTER_DATA_URL = /^data:image\/(png|gif|jpeg|webp|bmp)[;,]/i;
// C0 controls and space, which the URL parser strips at both ends; tab and newlines, which it removes anywhere.
// The lookbehind starts the trailing match only where a run begins (without it, a long run inside
// the value is rescanned from each of its characters: quadratic).
// eslint-disable-next-line no-control-regex
const URL_EDGE = /^[\u0000-\u0020]+|(?<![\u0000-\u0020])[\u0000-\u0020]+$/g;
const URL_TAB_OR_NEWLINE = /[\t\n\r]/g;
// eslint-disable-next-line no-control-regex
const URL_CONTROL = /[\u0000-\u001f\u007f]/;

/** Collects the remote URLs a sanitized message would fetch and resolves `cid:` references. */
export class ResourcePolicy {
  /** Unique absolute http(s) URLs, in the order first met. */
  readonly remote = new Set<string>();

  /** The remote ones that are stylesheets (@import): each can fetch more that nobody counted. */
  readonly stylesheets = new Set<string>();

  constructor(private readonly inlineImages: Record<string, string>) {}

  /** Marks a remote URL already returned by resource() as an imported stylesheet. */
  stylesheet(href: string): void {
    if (this.remote.has(href)) this.stylesheets.add(href);
  }

  /**
   * A URL that is fetched to render (img src, srcset, background, CSS url()): an absolute http(s)
   * URL (recorded as remote; `//host/x` taken as https), a raster data: URL when `allowData`, or the
   * data: URL of a known `cid:` image. Anything else (relative, javascript:, unknown cid) → undefined.
   */
  resource(value: string, allowData = true): string | undefined {
    const url = cleanUrl(value);
    if (url === undefined) return undefined;
    if (/^cid:/i.test(url)) return this.inlineImage(url.slice(4));
    if (/^data:/i.test(url)) return allowData && RASTER_DATA_URL.test(url) ? url : undefined;
    const href = absoluteHttp(url);
    if (href) this.remote.add(href);
    return href;
  }

  private inlineImage(cid: string): string | undefined {
    const found = Object.prototype.hasOwnProperty.call(this.inlineImages, cid) ? this.inlineImages[cid] : undefined;
    if (found !== undefined) return RASTER_DATA_URL.test(found) ? found : undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(cid); // RFC 2392 allows %-encoding in cid: URLs
    } catch {
      return undefined;
    }
    const again = Object.prototype.hasOwnProperty.call(this.inlineImages, decoded) ? this.inlineImages[decoded] : undefined;
    return again !== undefined && RASTER_DATA_URL.test(again) ? again : undefined;
  }
}

/** A link destination: http(s) (`//host` as https), mailto:, or a `#fragment` in the message. */
export function linkHref(value: string): string | undefined {
  const url = cleanUrl(value);
  if (url === undefined) return undefined;
  if (url.startsWith('#')) return url;
  if (/^mailto:/i.test(url)) {
    try {
      return new URL(url).href;
    } catch {
      return undefined;
    }
  }
  return absoluteHttp(url);
}

/** The value as the URL parser reads it, or undefined when it holds control characters. */
function cleanUrl(value: string): string | undefined {
  const url = value.replace(URL_EDGE, '').replace(URL_TAB_OR_NEWLINE, '');
  return url && !URL_CONTROL.test(url) ? url : undefined;
}

/** The serialized absolute http(s) URL, `//host/x` and `\\host\x` read as https; else undefined. */
function absoluteHttp(url: string): string | undefined {
  const candidate = /^[/\\]{2}/.test(url) ? `https:${url}` : url;
  if (!/^https?:/i.test(candidate)) return undefined;
  try {
    const parsed = new URL(candidate);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
