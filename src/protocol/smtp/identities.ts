/**
 * The user's sending identities of one account, and which one a reply goes out as.
 *
 * An account's identities, in this order: its own address (configured by an `identities` entry with
 * the same address, if there is one), the other `identities` entries, then the bare `aliases`. A
 * reply is sent as the identity the original was addressed to: the original's From when it is the
 * user's own (replying to a sent message), else the first of To, Cc, Delivered-To and
 * X-Original-To (the last two find the address a Bcc'd or forwarded message came in on) that is an
 * identity; exact address first (case-insensitive), then the plus-addressed form
 * (`me+lists@x.org` is `me@x.org`). Pure: no vscode.
 */
import type { AccountConfig, SmtpConfig } from '../account';
import { accountAddress } from '../account';
import type { MailAddress, ParsedMessage } from '../mime/types';

export interface Identity {
  address: string;
  /** Display name ('' when none). */
  name: string;
  replyTo: MailAddress[];
  /** Markdown, without the `-- ` delimiter; undefined when none. */
  signature?: string;
  /** Its own outgoing server; undefined means the account's server and login. */
  smtp?: SmtpConfig;
  kind: 'account' | 'identity' | 'alias';
}

export function accountIdentities(account: AccountConfig): Identity[] {
  const configured = account.identities ?? [];
  const list: Identity[] = [];
  const add = (address: string, kind: Identity['kind']): void => {
    if (list.some((i) => sameMailbox(i.address, address))) return;
    const entry = configured.find((c) => sameMailbox(c.address, address));
    const identity: Identity = { address, name: entry?.name ?? account.name ?? '', replyTo: (entry?.replyTo ?? []).map((a) => ({ name: '', address: a })), kind };
    const signature = entry?.signature !== undefined ? cleanSignature(entry.signature) : '';
    if (signature) identity.signature = signature;
    if (entry?.smtp) identity.smtp = { ...entry.smtp, user: entry.smtp.user ?? address };
    list.push(identity);
  };
  const main = accountAddress(account);
  if (main) add(main, 'account');
  for (const entry of configured) add(entry.address, 'identity');
  for (const alias of account.aliases ?? []) add(alias, 'alias');
  return list;
}

/** The identity with this address (case-insensitive), if the account has one. */
export function identityByAddress(identities: readonly Identity[], address: string): Identity | undefined {
  return identities.find((i) => sameMailbox(i.address, address));
}

/** Recipient headers that name the address a message was delivered to, even when it came by Bcc. */
const DELIVERY_HEADERS = ['delivered-to', 'x-original-to'];

/** The identity a reply to `original` is sent as (the first identity when none matches). */
export function replyIdentity(identities: readonly Identity[], original: ParsedMessage): Identity | undefined {
  if (identities.length === 0) return undefined;
  const fromSelf = original.from.map((a) => identityByAddress(identities, a.address)).find((i) => i !== undefined);
  if (fromSelf) return fromSelf;
  const delivered = original.headers.filter((h) => DELIVERY_HEADERS.includes(h.name.toLowerCase())).map((h) => bareAddress(h.value));
  const candidates = [...original.to.map((a) => a.address), ...original.cc.map((a) => a.address), ...delivered].filter(Boolean);
  for (const address of candidates) {
    const exact = identityByAddress(identities, address);
    if (exact) return exact;
  }
  for (const address of candidates) {
    const base = withoutSubaddress(address);
    if (base === undefined) continue;
    const found = identities.find((i) => withoutSubaddress(i.address) === undefined && sameMailbox(i.address, base));
    if (found) return found;
  }
  return identities[0];
}

/** "me+tag@x.org" → "me@x.org"; undefined when the local part has no "+tag" (or is only one). */
export function withoutSubaddress(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = address.slice(0, at);
  const plus = local.indexOf('+');
  if (plus <= 0) return undefined;
  return `${local.slice(0, plus)}${address.slice(at)}`;
}

function sameMailbox(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** "<a@b>" or "a@b" (Delivered-To is an addr-spec, sometimes bracketed) → "a@b". */
function bareAddress(value: string): string {
  const match = /<([^<>\s]+)>/.exec(value);
  return (match ? match[1]! : value).trim();
}

/**
 * A signature as configured, ready to place: CRLF → LF, a leading `-- ` delimiter line dropped
 * (Mailroom writes it), trailing white space and leading/trailing blank lines removed.
 */
export function cleanSignature(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && lines[0]!.trim() === '') lines.shift();
  if (lines.length && lines[0]!.trimEnd() === '--') lines.shift();
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.map((l) => l.trimEnd()).join('\n');
}
