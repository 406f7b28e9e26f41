/**
 * The `tag=value; tag=value` syntax DMARC (RFC 7489 6.4), MTA-STS (RFC 8461 3.1) and TLS-RPT
 * (RFC 8460 3) records share. Bounded: a record over the size limit or with too many tags is
 * refused, never parsed.
 */
import { DOMAIN_LIMITS } from './limits';

export class RecordSyntaxError extends Error {}

/** Tags in order, names lower-case; the first occurrence of a name wins. */
export function parseTags(record: string): Array<[string, string]> {
  if (record.length > DOMAIN_LIMITS.maxRecordChars) throw new RecordSyntaxError(`it is ${record.length} characters long, more than the ${DOMAIN_LIMITS.maxRecordChars} a real record needs`);
  const out: Array<[string, string]> = [];
  const parts = record.split(';');
  if (parts.length > DOMAIN_LIMITS.maxTags + 1) throw new RecordSyntaxError(`it has ${parts.length} tags, more than ${DOMAIN_LIMITS.maxTags}`);
  for (const part of parts) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? '' : part.slice(0, eq)).trim().toLowerCase();
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new RecordSyntaxError(`"${part.trim().slice(0, 60)}" is not a tag=value pair`);
    if (!out.some(([n]) => n === name)) out.push([name, part.slice(eq + 1).trim()]);
  }
  return out;
}

/** A comma-separated list of URIs (rua, ruf), bounded, without size suffixes (`!10m`). */
export function uriList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((u) => u.trim().replace(/!\d+[kmgt]?$/i, ''))
    .filter(Boolean)
    .slice(0, DOMAIN_LIMITS.maxReportAddresses);
}
