/**
 * Between the in-memory index and an account's file (indexFile.ts): the file keeps the account's
 * own term table and, per document, its key, date, flag bits and term numbers in that table. In
 * memory the terms are one shared dictionary and postings (TextIndex), the rest columns (DocTable);
 * a doc's terms are read back by inverting the postings, so memory holds no doc -> terms lists.
 */
import type { DocTable } from './docTable';
import { INDEX_FORMAT_VERSION, StoredAccount, StoredImapDoc, StoredPop3Doc } from './indexFile';
import type { TextIndex } from './textIndex';

/** An account's slots in the doc table. */
export interface AccountSlots {
  id: string;
  /** Folder path -> its slot. */
  folders: Map<string, number>;
  /** The POP3 mailbox's slot. */
  pop3: number | undefined;
}

/** Indexes the stored account's documents under new slots of `account` (empty before). */
export function loadStored(stored: StoredAccount, account: AccountSlots, text: TextIndex, docs: DocTable): void {
  const global = Int32Array.from(stored.terms, (t) => text.termId(t));
  const add = (numbers: number[], slot: number, key: number | string, date: number | null, flags: number): void => {
    const doc = text.addIds(numbers.map((i) => global[i]));
    docs.set(doc, slot, key, date ?? NaN, flags);
  };
  for (const sf of stored.folders) {
    const slot = docs.addSlot({ accountId: account.id, path: sf.path, uidValidity: sf.uidValidity });
    account.folders.set(sf.path, slot);
    for (const [uid, date, flags, numbers] of sf.docs) add(numbers, slot, uid, date, flags);
  }
  if (stored.pop3.length) {
    const slot = (account.pop3 = docs.addSlot({ accountId: account.id, path: undefined, uidValidity: '' }));
    for (const [uidl, date, flags, numbers] of stored.pop3) add(numbers, slot, uidl, date, flags);
  }
}

/** The account as its file stores it. */
export function storedAccount(account: AccountSlots, text: TextIndex, docs: DocTable): StoredAccount {
  const slots = new Set(account.folders.values());
  if (account.pop3 !== undefined) slots.add(account.pop3);
  const bySlot = docs.docsBySlot(slots, text.capacity);
  const all: number[] = [];
  for (const inSlot of bySlot.values()) for (const doc of inSlot.values()) all.push(doc);
  const termIds = text.termIdsOfDocs(all);
  const at = new Map(all.map((doc, i) => [doc, i]));
  const terms: string[] = [];
  const numbers = new Map<number, number>();
  const encode = (doc: number): number[] =>
    termIds[at.get(doc) as number].map((id) => {
      let n = numbers.get(id);
      if (n === undefined) numbers.set(id, (n = terms.push(text.termAt(id)) - 1));
      return n;
    });
  const dateOf = (doc: number): number | null => (Number.isNaN(docs.date(doc)) ? null : docs.date(doc));
  const folders = [...account.folders].map(([path, slot]) => ({
    path,
    uidValidity: docs.slot(slot).uidValidity,
    docs: [...(bySlot.get(slot) ?? [])].map(([uid, doc]): StoredImapDoc => [uid as number, dateOf(doc), docs.flags(doc), encode(doc)]),
  }));
  const inPop3 = account.pop3 === undefined ? undefined : bySlot.get(account.pop3);
  const pop3 = [...(inPop3 ?? [])].map(([uidl, doc]): StoredPop3Doc => [uidl as string, dateOf(doc), docs.flags(doc), encode(doc)]);
  return { v: INDEX_FORMAT_VERSION, accountId: account.id, terms, folders, pop3 };
}
