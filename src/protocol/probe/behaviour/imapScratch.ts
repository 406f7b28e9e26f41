import { MailError } from '../../errors';
import { quote } from '../dialogue';
import { ImapClient, imapQuote } from './imapClient';

/** Where new top-level folders go: the personal namespace's prefix and separator (RFC 2342). */
export async function personalNamespace(client: ImapClient): Promise<{ prefix: string; separator: string }> {
  if (client.has('NAMESPACE')) {
    const r = await client.run('NAMESPACE');
    const line = r.untagged.find((l) => /^\* NAMESPACE /i.test(l.text));
    const m = line && /^\* NAMESPACE \(\("((?:[^"\\]|\\.)*)" (?:"((?:[^"\\]|\\.)*)"|NIL)/i.exec(line.text);
    if (r.status === 'OK' && m) return { prefix: m[1].replace(/\\(.)/g, '$1'), separator: (m[2] ?? '').replace(/\\(.)/g, '$1') };
  }
  const r = await client.run('LIST "" ""');
  const m = r.untagged.map((l) => /^\* LIST \([^)]*\) (?:"((?:[^"\\]|\\.)*)"|NIL)/i.exec(l.text)).find(Boolean);
  return { prefix: '', separator: m?.[1]?.replace(/\\(.)/g, '$1') ?? '' };
}

/** Scratch folder names for one run: unique, ASCII, top level of the personal namespace. */
export function scratchNames(prefix: string, token: string): { folder: string; destination: string } {
  return { folder: `${prefix}Mailroom-check-${token}`, destination: `${prefix}Mailroom-check-${token}-moved` };
}

/**
 * Creates a scratch folder; records it in `created` only once the server said OK, so cleanup
 * never deletes a folder the check did not make. A refusal (e.g. the name exists) is an error.
 */
export async function createScratch(client: ImapClient, name: string, created: string[]): Promise<void> {
  const r = await client.run(`CREATE ${imapQuote(name)}`);
  if (r.status !== 'OK') throw new MailError('CommandFailed', `The server refused to create the scratch folder ${name}: "${quote(r.text)}".`);
  created.push(name);
}

/**
 * Deletes the scratch folders (only those this run created) and lists each to prove it is gone.
 * Returns the names still there.
 */
export async function removeScratch(client: ImapClient, created: readonly string[]): Promise<string[]> {
  // DELETE of the selected folder is refused by some servers; leave it first (CLOSE only
  // expunges in a scratch folder, which holds nothing but the check's own messages).
  await client.run(client.has('UNSELECT') ? 'UNSELECT' : 'CLOSE');
  const left: string[] = [];
  for (const name of [...created].reverse()) {
    await client.run(`DELETE ${imapQuote(name)}`);
    const list = await client.run(`LIST "" ${imapQuote(name)}`);
    if (list.untagged.some((l) => /^\* LIST /i.test(l.text))) left.push(name);
  }
  return left;
}
