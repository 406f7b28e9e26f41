/**
 * The user's sending identities: the From line offers the account's address and aliases, and a
 * From that is none of them is refused. Pure (no vscode), unit-tested.
 */
import { AccountConfig, accountAddress, accountLabel, ownAddresses } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { MailAddress } from '../../protocol/mime/types';
import { loadEngine } from '../../loadEngine';

/** The account's identities for the From line: its address (with name) and its aliases. */
export function identities(account: AccountConfig): MailAddress[] {
  const main = accountAddress(account);
  const list: MailAddress[] = [];
  if (main) list.push({ name: account.name ?? '', address: main });
  for (const alias of account.aliases ?? []) {
    if (!list.some((a) => a.address.toLowerCase() === alias.toLowerCase())) list.push({ name: account.name ?? '', address: alias });
  }
  return list;
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
  const own = ownAddresses(account);
  if (own.length === 0) {
    throw new MailError('InvalidAddress', `${accountLabel(account)} has no address to send from: set "email" for this account in the mailroom.accounts setting.`);
  }
  if (!text.trim()) return identities(account)[0]!;
  const list = loadEngine().parseAddressList(text);
  if (list.length !== 1) throw new MailError('InvalidAddress', 'From must name exactly one address.');
  const from = list[0]!;
  if (!own.includes(from.address.toLowerCase())) {
    throw new MailError(
      'InvalidAddress',
      `${from.address} is not an address of ${accountLabel(account)} (${own.join(', ')}). Add it to "aliases" in the account's settings to send from it.`,
    );
  }
  return from;
}
