/**
 * Reading capability lists the way each protocol writes them. IMAP: atoms (case-insensitive),
 * AUTH=<mech>. POP3 CAPA: lines "KEYWORD args", SASL mechanisms on the SASL line. SMTP EHLO:
 * lines "KEYWORD params", mechanisms on the AUTH line (or the old "AUTH=" form).
 */
import type { ProbeProtocol } from '../../shared/probeReport';

export function hasImapToken(capabilities: readonly string[], token: string): boolean {
  const t = token.toUpperCase();
  return capabilities.some((c) => c.toUpperCase() === t);
}

/** The keyword of a POP3 CAPA or SMTP EHLO line, upper-cased. */
export function keywordOf(line: string): string {
  return (line.trim().split(/[\s=]/, 1)[0] ?? '').toUpperCase();
}

/** The arguments of the first line whose keyword matches (POP3/SMTP), or undefined. */
export function lineArgs(capabilities: readonly string[], keyword: string): string | undefined {
  const k = keyword.toUpperCase();
  const line = capabilities.find((l) => keywordOf(l) === k);
  return line === undefined ? undefined : line.trim().slice(k.length).replace(/^[\s=]+/, '');
}

export function hasCapability(protocol: ProbeProtocol, capabilities: readonly string[], name: string): boolean {
  if (protocol === 'imap') return hasImapToken(capabilities, name);
  return lineArgs(capabilities, name) !== undefined;
}

export function saslMechanisms(protocol: ProbeProtocol, capabilities: readonly string[]): string[] {
  const mechs = new Set<string>();
  if (protocol === 'imap') {
    for (const c of capabilities) if (/^AUTH=/i.test(c)) mechs.add(c.slice(5).toUpperCase());
  } else {
    const keyword = protocol === 'pop3' ? 'SASL' : 'AUTH';
    for (const line of capabilities) {
      if (keywordOf(line) !== keyword) continue;
      for (const m of line.trim().slice(keyword.length).replace(/^=/, ' ').trim().split(/\s+/)) if (m) mechs.add(m.toUpperCase());
    }
  }
  return [...mechs];
}

export function starttlsOffered(protocol: ProbeProtocol, capabilities: readonly string[]): boolean {
  return hasCapability(protocol, capabilities, protocol === 'pop3' ? 'STLS' : 'STARTTLS');
}

export function loginDisabled(protocol: ProbeProtocol, capabilities: readonly string[]): boolean {
  return protocol === 'imap' && hasImapToken(capabilities, 'LOGINDISABLED');
}

/**
 * Whether a password could be sent in the clear with these capabilities: IMAP LOGIN (unless
 * LOGINDISABLED) or AUTH=PLAIN/LOGIN; POP3 USER or SASL PLAIN/LOGIN; SMTP AUTH PLAIN/LOGIN.
 */
export function plaintextLoginOffered(protocol: ProbeProtocol, capabilities: readonly string[]): boolean {
  const mechs = saslMechanisms(protocol, capabilities);
  const plainMech = mechs.includes('PLAIN') || mechs.includes('LOGIN');
  if (protocol === 'imap') return plainMech || !hasImapToken(capabilities, 'LOGINDISABLED');
  if (protocol === 'pop3') return plainMech || hasCapability('pop3', capabilities, 'USER');
  return plainMech;
}

/**
 * Capabilities that legitimately differ before and after TLS: the upgrade itself and
 * authentication (servers hide passwords mechanisms until the link is encrypted).
 */
function isTlsOrAuthRelated(protocol: ProbeProtocol, item: string): boolean {
  const k = protocol === 'imap' ? item.toUpperCase() : keywordOf(item);
  if (protocol === 'imap') return k === 'STARTTLS' || k === 'LOGINDISABLED' || k.startsWith('AUTH=');
  if (protocol === 'pop3') return k === 'STLS' || k === 'USER' || k === 'SASL';
  return k === 'STARTTLS' || k === 'AUTH' || k === 'REQUIRETLS';
}

/** What was added and removed after TLS, besides TLS and authentication. */
export function capabilityDiff(protocol: ProbeProtocol, before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const norm = (s: string): string => s.trim().toUpperCase();
  const b = new Set(before.filter((c) => !isTlsOrAuthRelated(protocol, c)).map(norm));
  const a = new Set(after.filter((c) => !isTlsOrAuthRelated(protocol, c)).map(norm));
  return { added: [...a].filter((c) => !b.has(c)), removed: [...b].filter((c) => !a.has(c)) };
}
