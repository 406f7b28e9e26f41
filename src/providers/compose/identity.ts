/**
 * The user's sending identities: the From line offers the account's address, its identities and
 * its aliases, and a From that is none of them is refused. Pure (no vscode), unit-tested.
 */
import { AccountConfig, accountLabel, ownAddresses } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { MailAddress } from '../../protocol/mime/types';
import { accountIdentities, Identity, identityByAddress } from '../../protocol/smtp/identities';
import { loadEngine } from '../../loadEngine';

/** The account's identities for the From line: its address (with name), its identities, its aliases. */
export function identities(account: AccountConfig): MailAddress[] {
  return accountIdentities(account).map(fromOf);
}

export function fromOf(identity: Identity): MailAddress {
  return { name: identity.name, address: identity.address };
}

export function defaultFrom(account: AccountConfig): string {
  const first = identities(account)[0];
  return first ? loadEngine().formatAddress(first) : '';
}

/**
 * The From line as one of the account's own addresses. Anything else is refused: sending as
 * someone else is a mistake here (or spoofing), and the server would often reject it anyway.
 */
export function resolveFrom(account: AccountConfig, text: string): MailAddress {
  return resolveIdentity(account, text).from;
}

/** The From line's address and the identity it belongs to (its signature, Reply-To and server). */
export function resolveIdentity(account: AccountConfig, text: string): { from: MailAddress; identity: Identity } {
  const own = ownAddresses(account);
  const all = accountIdentities(account);
  if (own.length === 0 || all.length === 0) {
    throw new MailError('InvalidAddress', `${accountLabel(account)} has no address to send from: set "email" for this account in the mailroom.accounts setting.`);
  }
  if (!text.trim()) return { from: fromOf(all[0]!), identity: all[0]! };
  const list = loadEngine().parseAddressList(text);
  if (list.length !== 1) throw new MailError('InvalidAddress', 'From must name exactly one address.');
  const from = list[0]!;
  const identity = identityByAddress(all, from.address);
  if (!identity) {
    throw new MailError(
      'InvalidAddress',
      `${from.address} is not an address of ${accountLabel(account)} (${own.join(', ')}). Add it to "identities" (or "aliases") in the account's settings to send from it.`,
    );
  }
  return { from, identity };
}
