/**
 * Thunderbird's config-v1.1.xml (wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat)
 * -> the servers it names, in the provider's order. Everything in the file is untrusted input.
 *
 * XML is parsed with fast-xml-parser, configured so that no entity is ever expanded
 * (`processEntities: false`), with a nesting bound; on top of that any DOCTYPE is refused before
 * parsing: a config file has no use for a DTD, and a DTD is how billion-laughs and external-entity
 * attacks start. Only the five predefined entities and character references are decoded, by
 * `decodeText` below, which cannot expand anything.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MailError } from '../errors';
import { isHostName } from './address';
import { DISCOVERY_LIMITS } from './limits';
import type { ServerEndpoint, ServerProtocol, ServerSecurity } from './types';

export interface ConfigServer extends ServerEndpoint {
  /** Position among this role's usable alternatives (0 = the provider's first choice). */
  rank: number;
}

export interface ParsedConfig {
  providerId?: string;
  displayName?: string;
  /** The domains the file says it serves. */
  domains: string[];
  incoming: ConfigServer[];
  outgoing: ConfigServer[];
  /** Alternatives left out, each with the reason (unknown type, bad port, ...). */
  skipped: string[];
}

export interface AddressParts {
  address: string;
  localPart: string;
  domain: string;
}

/** The authentication values of the format (plus its two legacy aliases). */
const AUTHENTICATION_VALUES = new Map<string, string>(
  [
    'password-cleartext',
    'password-encrypted',
    'NTLM',
    'GSSAPI',
    'client-IP-address',
    'TLS-client-cert',
    'OAuth2',
    'none',
    'smtp-after-pop',
  ].map((v) => [v.toLowerCase(), v]),
);
const AUTHENTICATION_ALIASES: Record<string, string> = { plain: 'password-cleartext', secure: 'password-encrypted', gsapi: 'GSSAPI' };

const SOCKET_TYPES: Record<string, ServerSecurity> = { ssl: 'tls', tls: 'tls', starttls: 'starttls', plain: 'none' };

const INCOMING_TYPES = new Set<ServerProtocol>(['imap', 'pop3']);

/** `%EMAILADDRESS%`, `%EMAILLOCALPART%`, `%EMAILDOMAIN%` filled in; other text unchanged. */
export function fillPlaceholders(template: string, parts: AddressParts): string {
  return template.replace(/%EMAILADDRESS%/g, parts.address).replace(/%EMAILLOCALPART%/g, parts.localPart).replace(/%EMAILDOMAIN%/g, parts.domain);
}

function invalid(where: string, why: string): MailError {
  return new MailError('ConfigInvalid', `The mail setup file at ${where} ${why}; nothing from it was used. Enter the server settings by hand, or tell the domain's administrator.`);
}

/** The five predefined entities and numeric character references; nothing else is expanded. */
function decodeText(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/gi, (whole, name: string) => {
    const n = name.toLowerCase();
    if (n === 'amp') return '&';
    if (n === 'lt') return '<';
    if (n === 'gt') return '>';
    if (n === 'quot') return '"';
    if (n === 'apos') return "'";
    const code = n.startsWith('#x') ? parseInt(n.slice(2), 16) : parseInt(n.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

type Node = Record<string, unknown>;

const ARRAY_TAGS = new Set(['emailProvider', 'incomingServer', 'outgoingServer', 'authentication', 'domain']);

/** The text of a leaf element, or undefined when missing; an element where text belongs is a type error. */
function text(node: Node, tag: string, where: string): string | undefined {
  const value = node[tag];
  if (value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return decodeText(String(value)).trim();
  if (typeof value === 'object' && value !== null && Object.keys(value).every((k) => k.startsWith('@_'))) return '';
  throw invalid(where, `has markup inside <${tag}> where text belongs`);
}

function texts(node: Node, tag: string, where: string): string[] {
  const value = node[tag];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => text({ [tag]: v }, tag, where) ?? '').filter((t) => t.length > 0);
}

function asNodes(value: unknown): Node[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is Node => typeof v === 'object' && v !== null);
}

/**
 * Parses one config file. `where` names it in messages (its URL). Throws ConfigInvalid when the
 * file is not a usable config (not XML, a DTD, no provider, no usable server at all).
 */
export function parseConfig(xml: string, parts: AddressParts, where: string): ParsedConfig {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid(where, 'declares a DTD or entities, which a mail setup file never needs (it is how XML bombs start)');
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: true });
  if (valid !== true) throw invalid(where, `is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  let doc: Node;
  try {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      processEntities: false,
      htmlEntities: false,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
      maxNestedTags: DISCOVERY_LIMITS.maxXmlDepth,
      isArray: (name) => ARRAY_TAGS.has(name),
    });
    doc = parser.parse(xml) as Node;
  } catch (err) {
    throw invalid(where, `could not be read as XML (${err instanceof Error ? err.message : String(err)})`);
  }
  const root = doc.clientConfig;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw invalid(where, 'has no <clientConfig> root element');
  const providers = asNodes((root as Node).emailProvider);
  if (!providers.length) throw invalid(where, 'names no <emailProvider>');
  // One file describes one provider; a second <emailProvider> is not part of the format.
  const provider = providers[0];

  const skipped: string[] = [];
  const servers = (tag: 'incomingServer' | 'outgoingServer', role: ConfigServer['role']): ConfigServer[] => {
    const out: ConfigServer[] = [];
    asNodes(provider[tag]).forEach((node, index) => {
      if (out.length >= DISCOVERY_LIMITS.maxAlternatives) return;
      const label = `${role} server ${index + 1}`;
      const reason = readServer(node, role, parts, where);
      if (typeof reason === 'string') skipped.push(`${label}: ${reason}`);
      else out.push({ ...reason, rank: out.length });
    });
    return out;
  };
  const incoming = servers('incomingServer', 'incoming');
  const outgoing = servers('outgoingServer', 'outgoing');
  if (!incoming.length && !outgoing.length) {
    throw invalid(where, skipped.length ? `has no usable server (${skipped.join('; ')})` : 'names no incoming or outgoing server');
  }
  const id = provider['@_id'];
  return {
    ...(typeof id === 'string' ? { providerId: decodeText(id) } : {}),
    ...(text(provider, 'displayName', where) ? { displayName: text(provider, 'displayName', where) } : {}),
    domains: texts(provider, 'domain', where).map((d) => d.toLowerCase()),
    incoming,
    outgoing,
    skipped,
  };
}

/** One server element -> a server, or the reason it cannot be used. */
function readServer(node: Node, role: ConfigServer['role'], parts: AddressParts, where: string): Omit<ConfigServer, 'rank'> | string {
  const type = typeof node['@_type'] === 'string' ? node['@_type'].toLowerCase() : '';
  if (role === 'incoming' && !INCOMING_TYPES.has(type as ServerProtocol)) return type ? `type "${type.slice(0, 30)}" is not supported (Mailroom speaks IMAP and POP3)` : 'it has no type';
  if (role === 'outgoing' && type !== 'smtp') return type ? `type "${type.slice(0, 30)}" is not SMTP` : 'it has no type';
  const hostText = text(node, 'hostname', where);
  if (!hostText) return 'it names no hostname';
  const host = fillPlaceholders(hostText, parts).toLowerCase().replace(/\.$/, '');
  if (!isHostName(host)) return `"${host.slice(0, 60)}" is not a host name`;
  const portText = text(node, 'port', where) ?? '';
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return `port "${portText.slice(0, 20)}" is not a number from 1 to 65535`;
  const socketText = text(node, 'socketType', where) ?? '';
  const security = SOCKET_TYPES[socketText.toLowerCase()];
  if (!security) return `socketType "${socketText.slice(0, 20)}" is not SSL, STARTTLS or plain`;
  const username = fillPlaceholders(text(node, 'username', where) || '%EMAILADDRESS%', parts);
  const authentication: string[] = [];
  for (const value of texts(node, 'authentication', where)) {
    const known = AUTHENTICATION_VALUES.get(value.toLowerCase()) ?? AUTHENTICATION_ALIASES[value.toLowerCase()];
    if (known && !authentication.includes(known)) authentication.push(known);
  }
  return { role, protocol: type as ServerProtocol, host, port, security, username, authentication: authentication.length ? authentication : ['password-cleartext'] };
}
