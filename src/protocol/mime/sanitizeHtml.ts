/**
 * The HTML of a message made safe to render, with its presentation kept (tables, inline styles,
 * <style> elements, legacy attributes). sanitize-html does the parsing and the tag/attribute
 * ALLOWLIST; every URL and every piece of CSS is then decided by resourceUrls.ts and css.ts.
 *
 * Remote http(s) resources are kept on purpose: the view's CSP blocks them until the user chooses
 * "Load Remote Content" (issue 6: "The CSP, not the sanitizer, is what blocks remote content").
 * `remoteResources` lists every one the result would fetch, for the view's "N blocked" bar.
 */
import type { IOptions, Attributes } from 'sanitize-html';
import { loadMailLibraries } from '../loadMailLibraries';
import { sanitizeCss } from './css';
import { linkHref, ResourcePolicy } from './resourceUrls';

export interface SanitizedHtml {
  html: string;
  /** Unique absolute http(s) URLs the HTML would fetch (img src, srcset, background, CSS url(), @import, fonts). */
  remoteResources: string[];
  /**
   * How many of them are remote stylesheets (@import): each may import more stylesheets, images
   * and fonts that no one can see before it loads, so the bar says "at least".
   */
  remoteStylesheets: number;
}

/** Presentation tags. Not here (so dropped): script, forms and controls, frames, object/embed/applet, base, meta, link, svg, math, media, template, noscript. */
const ALLOWED_TAGS = [
  'a', 'abbr', 'acronym', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption', 'center', 'cite',
  'code', 'col', 'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'footer',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'main', 'mark', 'nav', 'nobr', 'ol', 'p',
  'pre', 'q', 'rp', 'rt', 'ruby', 's', 'samp', 'section', 'small', 'span', 'strike', 'strong', 'style', 'sub', 'summary', 'sup', 'table',
  'tbody', 'td', 'tfoot', 'th', 'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];
const ALLOWED = new Set(ALLOWED_TAGS);

/** Elements where the legacy `background` attribute paints an image. */
const BACKGROUND_TAGS = ['table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th'];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  '*': ['style', 'class', 'id', 'dir', 'lang', 'title', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border', 'role', 'aria-*', 'nowrap'],
  a: ['href', 'name'],
  img: ['src', 'srcset', 'sizes', 'alt', 'hspace', 'vspace'],
  table: ['cellpadding', 'cellspacing', 'background', 'frame', 'rules', 'summary'],
  thead: ['background'],
  tbody: ['background'],
  tfoot: ['background'],
  tr: ['background'],
  td: ['colspan', 'rowspan', 'background', 'abbr', 'scope', 'headers'],
  th: ['colspan', 'rowspan', 'background', 'abbr', 'scope', 'headers'],
  col: ['span'],
  colgroup: ['span'],
  font: ['face', 'size'],
  ol: ['start', 'type', 'reversed'],
  ul: ['type'],
  li: ['value', 'type'],
  time: ['datetime'],
  details: ['open'],
};

/**
 * Elements dropped WITH their content: raw-text or foreign content that must not resurface as
 * markup or visible text (svg/math hold whole foreign trees; title would show as body text).
 */
const DROPPED_WITH_CONTENT = ['script', 'textarea', 'option', 'select', 'xmp', 'title', 'noscript', 'noembed', 'noframes', 'iframe', 'template', 'svg', 'math', 'applet', 'object', 'frameset'];

/** Colours in legacy attributes: names, #hex, rgb()/hsl(); anything else is not copied into CSS. */
const SIMPLE_COLOUR = /^[#\w\s(),.%-]{1,40}$/;

export function sanitizeMessageHtml(html: string, options: { inlineImages: Record<string, string> }): SanitizedHtml {
  const { sanitizeHtml } = loadMailLibraries();
  const policy = new ResourcePolicy(options.inlineImages);

  const config: IOptions = {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    // Second line of defence behind cleanAttributes: sanitize-html's own scheme check.
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: Object.fromEntries(['img', ...BACKGROUND_TAGS].map((t) => [t, ['http', 'https', 'data']])),
    allowedSchemesAppliedToAttributes: ['href', 'src', 'background', 'cite', 'action', 'formaction', 'poster', 'data', 'xlink:href', 'longdesc', 'usemap', 'ping', 'codebase', 'dynsrc', 'lowsrc'],
    allowProtocolRelative: false,
    // <style> is needed to keep mail presentable. This is acceptable ONLY because the host renders
    // the result in a sandboxed iframe without allow-scripts, under a CSP with no script
    // source; its CSS is still made inert by sanitizeCss (url(), @import, expression(), bindings).
    allowVulnerableTags: true,
    // Style attributes are handled by sanitizeCss, which keeps the CSS as written (postcss would re-serialise it).
    parseStyleAttributes: false,
    nonTextTags: DROPPED_WITH_CONTENT,
    disallowedTagsMode: 'discard',
    transformTags: {
      body: (_tag, attribs) => ({ tagName: 'div', attribs: bodyAttributes(attribs) }),
      '*': (tagName, attribs) => ({ tagName, attribs: ALLOWED.has(tagName) ? cleanAttributes(tagName, attribs, policy) : attribs }),
    },
  };
  const sanitized = sanitizeHtml(html, config);
  // sanitize-html passes <style> text through verbatim: make it inert here. In its output `<style` only
  // starts a real element (text and attribute values have `<` escaped) and the text runs to the first
  // `</style`, exactly as the HTML parser that produced it and the browser both read it.
  const result = sanitized.replace(/(<style\b[^>]*>)([\s\S]*?)(<\/style>|$)/gi, (_m, open: string, css: string) => `${open}${sanitizeCss(css, policy, { inStyleElement: true })}</style>`);
  return { html: result, remoteResources: [...policy.remote], remoteStylesheets: policy.stylesheets.size };
}

/** `<body>` becomes `<div class="mailroom-body">` keeping its colours and background as CSS. */
function bodyAttributes(attribs: Attributes): Attributes {
  const css: string[] = [];
  if (attribs.bgcolor && SIMPLE_COLOUR.test(attribs.bgcolor)) css.push(`background-color: ${attribs.bgcolor}`);
  if (attribs.text && SIMPLE_COLOUR.test(attribs.text)) css.push(`color: ${attribs.text}`);
  if (attribs.background) css.push(`background-image: url("${attribs.background.replace(/["\\\n\r]/g, (c) => encodeURIComponent(c))}")`);
  if (attribs.style) css.push(attribs.style);
  const out: Attributes = { class: ['mailroom-body', attribs.class].filter(Boolean).join(' ') };
  if (css.length) out.style = css.join('; ');
  for (const name of ['id', 'dir', 'lang']) if (attribs[name]) out[name] = attribs[name];
  return out;
}

/** URL and CSS attributes decided by the policy; the allowlist drops the rest (event handlers, target, …). */
function cleanAttributes(tagName: string, attribs: Attributes, policy: ResourcePolicy): Attributes {
  const out: Attributes = {};
  for (const [name, value] of Object.entries(attribs)) {
    let kept: string | undefined = value;
    switch (name) {
      case 'href':
        kept = tagName === 'a' ? linkHref(value) : undefined;
        break;
      case 'src':
        kept = tagName === 'img' ? policy.resource(value) : undefined;
        break;
      case 'srcset':
        kept = tagName === 'img' ? cleanSrcset(value, policy) : undefined;
        break;
      case 'background':
        kept = BACKGROUND_TAGS.includes(tagName) ? policy.resource(value) : undefined;
        break;
      case 'style':
        kept = sanitizeCss(value, policy) || undefined;
        break;
    }
    if (kept !== undefined) out[name] = kept;
  }
  return out;
}

/**
 * srcset candidates (HTML 4.8.4.3.10): a URL (no white space; trailing commas end the candidate),
 * then descriptors up to a comma. Each URL goes through the policy; bad candidates are dropped.
 */
function cleanSrcset(value: string, policy: ResourcePolicy): string | undefined {
  const kept: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /[\s,]/.test(value[i])) i++;
    if (i >= value.length) break;
    const start = i;
    while (i < value.length && !/\s/.test(value[i])) i++;
    let url = value.slice(start, i);
    let descriptor = '';
    if (url.endsWith(',')) {
      url = url.replace(/(?<!,),+$/, ''); // from the start of the run only: `,+$` alone is quadratic
    } else {
      const descStart = i;
      let depth = 0;
      while (i < value.length && (value[i] !== ',' || depth > 0)) {
        if (value[i] === '(') depth++;
        else if (value[i] === ')') depth = Math.max(0, depth - 1);
        i++;
      }
      descriptor = value.slice(descStart, i).trim();
      i++;
    }
    const resolved = policy.resource(url);
    if (!resolved) continue;
    kept.push(/^\d+(\.\d+)?[wxh]$/.test(descriptor) ? `${resolved} ${descriptor}` : resolved);
  }
  return kept.length ? kept.join(', ') : undefined;
}
