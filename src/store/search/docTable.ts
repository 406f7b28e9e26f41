/**
 * What the index keeps per document besides its terms, as columns indexed by doc id: the folder
 * slot (account + folder + UIDVALIDITY, or an account's POP3 mailbox), the UID, the date and the
 * flag bits. No object per document: 100,000 documents cost 17 bytes each. The (few) POP3 UIDLs
 * sit in a Map by doc id. A removed document's slot is -1.
 */

export const NO_SLOT = -1;

/** A folder of an IMAP account (path and UIDVALIDITY) or a POP3 account's mailbox (no path). */
export interface Slot {
  accountId: string;
  path: string | undefined;
  uidValidity: string;
}

export class DocTable {
  private slotOf = new Int32Array(1024).fill(NO_SLOT);
  private uids = new Uint32Array(1024);
  private dates = new Float64Array(1024);
  private flagBits = new Uint8Array(1024);
  private readonly uidls = new Map<number, string>();
  private readonly slots: Array<Slot | undefined> = [];
  private readonly freeSlots: number[] = [];

  /** A slot for a folder (or POP3 mailbox); free it when its last document is gone. */
  addSlot(slot: Slot): number {
    const i = this.freeSlots.length ? (this.freeSlots.pop() as number) : this.slots.length;
    this.slots[i] = slot;
    return i;
  }

  freeSlot(i: number): void {
    this.slots[i] = undefined;
    this.freeSlots.push(i);
  }

  slot(i: number): Slot {
    return this.slots[i] as Slot;
  }

  /** Slots in use with their numbers. */
  *slotEntries(): IterableIterator<[number, Slot]> {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s) yield [i, s];
    }
  }

  set(doc: number, slot: number, key: number | string, date: number, flags: number): void {
    if (doc >= this.slotOf.length) this.grow(doc + 1);
    this.slotOf[doc] = slot;
    if (typeof key === 'string') {
      this.uidls.set(doc, key);
      this.uids[doc] = 0;
    } else {
      this.uids[doc] = key;
    }
    this.dates[doc] = date;
    this.flagBits[doc] = flags;
  }

  remove(doc: number): void {
    this.slotOf[doc] = NO_SLOT;
    this.uidls.delete(doc);
  }

  slotIdOf(doc: number): number {
    return doc < this.slotOf.length ? this.slotOf[doc] : NO_SLOT;
  }

  uid(doc: number): number {
    return this.uids[doc];
  }

  uidl(doc: number): string | undefined {
    return this.uidls.get(doc);
  }

  /** Milliseconds since 1970, NaN when the message has no date. */
  date(doc: number): number {
    return this.dates[doc];
  }

  setDate(doc: number, date: number): void {
    this.dates[doc] = date;
  }

  flags(doc: number): number {
    return this.flagBits[doc];
  }

  setFlags(doc: number, flags: number): void {
    this.flagBits[doc] = flags;
  }

  /** Live docs per slot among `slots`, by UID (IMAP) or UIDL (POP3): one scan, for a refresh. */
  docsBySlot(slots: ReadonlySet<number>, end: number): Map<number, Map<number | string, number>> {
    const out = new Map<number, Map<number | string, number>>();
    for (const s of slots) out.set(s, new Map());
    const n = Math.min(end, this.slotOf.length);
    for (let doc = 0; doc < n; doc++) {
      const s = this.slotOf[doc];
      if (s === NO_SLOT || !slots.has(s)) continue;
      (out.get(s) as Map<number | string, number>).set(this.uidls.get(doc) ?? this.uids[doc], doc);
    }
    return out;
  }

  /** Moves every column to new doc ids (old id -> new id, -1 for gone; order kept), `count` of them. */
  renumber(map: Int32Array, count: number): void {
    const slotOf = new Int32Array(Math.max(1024, count + (count >>> 3))).fill(NO_SLOT);
    const uids = new Uint32Array(slotOf.length);
    const dates = new Float64Array(slotOf.length);
    const flagBits = new Uint8Array(slotOf.length);
    const uidls = [...this.uidls];
    this.uidls.clear();
    for (let doc = 0; doc < map.length && doc < this.slotOf.length; doc++) {
      const to = map[doc];
      if (to < 0) continue;
      slotOf[to] = this.slotOf[doc];
      uids[to] = this.uids[doc];
      dates[to] = this.dates[doc];
      flagBits[to] = this.flagBits[doc];
    }
    for (const [doc, uidl] of uidls) if (map[doc] >= 0) this.uidls.set(map[doc], uidl);
    this.slotOf = slotOf;
    this.uids = uids;
    this.dates = dates;
    this.flagBits = flagBits;
  }

  private grow(need: number): void {
    const size = Math.max(need, this.slotOf.length * 2);
    const slotOf = new Int32Array(size).fill(NO_SLOT);
    slotOf.set(this.slotOf);
    this.slotOf = slotOf;
    const uids = new Uint32Array(size);
    uids.set(this.uids);
    this.uids = uids;
    const dates = new Float64Array(size);
    dates.set(this.dates);
    this.dates = dates;
    const flagBits = new Uint8Array(size);
    flagBits.set(this.flagBits);
    this.flagBits = flagBits;
  }
}
