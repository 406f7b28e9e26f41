// The compact structures under local search: varint postings, the byte-sorted term dictionary,
// the per-doc columns and the text index's compaction (doc renumbering) built from them.
import * as assert from 'node:assert/strict';
import { DocTable, NO_SLOT } from '../../src/store/search/docTable';
import { Postings, varintSize } from '../../src/store/search/postings';
import { TermDictionary } from '../../src/store/search/termDictionary';
import { TextIndex } from '../../src/store/search/textIndex';

function listOf(p: Postings, term: number): number[] {
  const out = new Int32Array(Math.max(1, p.length(term)));
  return Array.from(out.subarray(0, p.read(term, out)));
}

/** Every term's texts in prefix range of `prefix`, in dictionary order. */
function prefixed(d: TermDictionary, prefix: string): string[] {
  const [from, to] = d.prefixRange(prefix);
  const out: string[] = [];
  for (let i = from; i < to; i++) out.push(d.text(d.at(i)));
  return out;
}

describe('search postings (varint deltas in one arena)', () => {
  it('round-trips doc ids across every varint width, the first delta from -1', () => {
    // Deltas of 1, 127, 128, 16383, 16384, 2^21 - 1, 2^21, 2^28 - 1, 2^28 and the last doc id below 2^31.
    const docs = [0, 127, 255, 16638, 33022, 33022 + 2 ** 21 - 1, 33022 + 2 ** 22 - 1];
    docs.push(docs[docs.length - 1] + 2 ** 28 - 1, docs[docs.length - 1] + 2 ** 28 - 1 + 2 ** 28, 2 ** 31 - 1);
    const p = new Postings();
    for (const d of docs) p.append(0, d);
    assert.deepEqual(listOf(p, 0), docs);
    assert.equal(p.length(0), docs.length);
    assert.deepEqual([0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000].map(varintSize), [1, 2, 2, 3, 3, 4, 4, 5]);
  });

  it('ignores a doc appended twice, refuses one below the last, and reads unknown terms as empty', () => {
    const p = new Postings();
    p.append(2, 5);
    p.append(2, 5);
    assert.deepEqual(listOf(p, 2), [5]);
    assert.throws(() => p.append(2, 4), RangeError);
    assert.deepEqual(listOf(p, 0), []);
    assert.deepEqual(listOf(p, 99), []);
    assert.equal(p.termCount, 3);
  });

  it('keeps interleaved lists apart while they grow and move, then packs them with renumbered docs and dropped terms', () => {
    const p = new Postings();
    const want: number[][] = [[], [], []];
    for (let doc = 0; doc < 5000; doc++) {
      for (let t = 0; t < 3; t++) {
        if (doc % (t + 1)) continue;
        p.append(t, doc * 7);
        want[t].push(doc * 7);
      }
    }
    want.forEach((docs, t) => assert.deepEqual(listOf(p, t), docs));
    assert.ok(p.garbageBytes > 0, 'moved lists left garbage');
    // Docs divisible by 14 go; the others keep their order under new numbers; term 1 is dropped.
    const maxDoc = 4999 * 7;
    const docMap = new Int32Array(maxDoc + 1).fill(-1);
    let next = 0;
    for (let d = 0; d <= maxDoc; d++) if (d % 7 === 0 && d % 14 !== 0) docMap[d] = next++;
    p.rewrite(docMap, Int32Array.from([0, -1, 1]), 2);
    assert.equal(p.garbageBytes, 0);
    assert.equal(p.termCount, 2);
    const renumbered = (t: number): number[] => want[t].filter((d) => docMap[d] >= 0).map((d) => docMap[d]);
    assert.deepEqual(listOf(p, 0), renumbered(0));
    assert.deepEqual(listOf(p, 1), renumbered(2));
    // Appending after the rewrite continues from each list's last doc.
    p.append(1, next + 10);
    assert.deepEqual(listOf(p, 1), [...renumbered(2), next + 10]);
  });

  it('leaves an eighth of each list free after a rewrite, so appends stay in place until it is used', () => {
    const p = new Postings();
    for (let doc = 0; doc < 8000; doc++) p.append(0, doc);
    assert.equal(p.usedBytes, 8000);
    assert.ok(p.wasteBytes > 0);
    p.rewrite(undefined);
    assert.equal(p.garbageBytes, 0);
    for (let doc = 8000; doc < 9000; doc++) p.append(0, doc);
    assert.equal(p.garbageBytes, 0, 'the 1,000 bytes of room took 1,000 one-byte deltas');
    p.append(1, 0); // another list behind it: the first one has to move now
    p.append(0, 9000);
    assert.equal(p.garbageBytes, 9000);
    assert.equal(p.usedBytes, 9002);
    assert.deepEqual(listOf(p, 0).slice(-3), [8998, 8999, 9000]);
  });
});

describe('search term dictionary (UTF-8 bytes, ids sorted by bytes)', () => {
  it('hands out stable ids, finds terms before and after the merge, and lists prefixes in byte order', () => {
    const d = new TermDictionary();
    const words = ['sreport', 'sre', 'sreports', 'freport', 'sr', 'süber', 'szoë', 's日本', 'srf'];
    const ids = words.map((w) => d.id(w));
    assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(d.find('sreport'), 0, 'found while still waiting for the merge');
    d.prepare();
    assert.deepEqual(
      words.map((w) => d.id(w)),
      ids,
    );
    assert.equal(d.find('srepo'), -1);
    assert.equal(d.find('sreportx'), -1);
    assert.deepEqual(prefixed(d, 'sre'), ['sre', 'sreport', 'sreports']);
    assert.deepEqual(prefixed(d, 'sr'), ['sr', 'sre', 'sreport', 'sreports', 'srf']);
    assert.deepEqual(prefixed(d, 'sü'), ['süber']);
    assert.deepEqual(prefixed(d, 's日'), ['s日本']);
    assert.deepEqual(prefixed(d, 'x'), []);
    assert.deepEqual(prefixed(d, 'z'), []);
    const [from, to, length] = d.prefixRange('sreport');
    assert.equal(to - from, 2);
    assert.equal(d.byteLength(d.at(from)), length, 'the term equal to the prefix comes first');
    assert.equal(d.text(d.id('s日本')), 's日本');
    assert.equal(d.byteLength(d.id('s日本')), 7);
  });

  it('merges terms added later into the order, also past the pending limit', () => {
    const d = new TermDictionary();
    const n = 70_000;
    for (let i = n - 1; i >= 0; i--) d.id(`b${i}`);
    d.id('a');
    assert.equal(d.size, n + 1);
    assert.equal(d.find('b12345'), n - 1 - 12345);
    assert.deepEqual(prefixed(d, 'b6999'), ['b6999', 'b69990', 'b69991', 'b69992', 'b69993', 'b69994', 'b69995', 'b69996', 'b69997', 'b69998', 'b69999']);
    assert.deepEqual(prefixed(d, 'a'), ['a']);
  });

  it('retains chosen terms under new ids in the same order, and keeps adding after', () => {
    const d = new TermDictionary();
    for (const w of ['fann', 'fbob', 'fcarol', 'fdan']) d.id(w);
    const { map, size } = d.retain((id) => id !== 1);
    assert.deepEqual(Array.from(map), [0, -1, 1, 2]);
    assert.equal(size, 3);
    assert.equal(d.find('fbob'), -1);
    assert.equal(d.text(2), 'fdan');
    assert.equal(d.id('fbea'), 3);
    assert.deepEqual(prefixed(d, 'f'), ['fann', 'fbea', 'fcarol', 'fdan']);
  });
});

describe('search doc table (columns by doc id)', () => {
  it('keeps keys, dates and flags per doc, lists docs per slot and renumbers them', () => {
    const t = new DocTable();
    const inbox = t.addSlot({ accountId: 'a', path: 'INBOX', uidValidity: '7' });
    const pop = t.addSlot({ accountId: 'p', path: undefined, uidValidity: '' });
    t.set(0, inbox, 4_294_967_295, Date.UTC(2024, 0, 1), 3);
    t.set(1, pop, 'uidl-1', NaN, 1);
    t.set(2000, inbox, 9, 0, 8);
    t.remove(0);
    assert.equal(t.slotIdOf(0), NO_SLOT);
    assert.equal(t.slotIdOf(5000), NO_SLOT);
    const by = t.docsBySlot(new Set([inbox, pop]), 2001);
    assert.deepEqual([...(by.get(inbox) ?? [])], [[9, 2000]]);
    assert.deepEqual([...(by.get(pop) ?? [])], [['uidl-1', 1]]);
    const map = new Int32Array(2001).fill(-1);
    map[1] = 0;
    map[2000] = 1;
    t.renumber(map, 2);
    assert.equal(t.uidl(0), 'uidl-1');
    assert.ok(Number.isNaN(t.date(0)));
    assert.deepEqual([t.slotIdOf(1), t.uid(1), t.date(1), t.flags(1)], [inbox, 9, 0, 8]);
    assert.equal(t.slotIdOf(2), NO_SLOT);
    t.freeSlot(pop);
    assert.equal(t.addSlot({ accountId: 'b', path: 'Work', uidValidity: '1' }), pop, 'a freed slot is used again');
  });
});

describe('search text index compaction', () => {
  const ids = (index: TextIndex, token: string): number[] => index.match([{ token, fields: ['s'] }]).docs.sort((a, b) => a - b);

  it('sweeps removed docs, renumbers the live ones in order, drops terms nobody has, and keeps indexing', () => {
    const index = new TextIndex();
    const docs = Array.from({ length: 3000 }, (_, i) => index.add([`sword${i % 10}`, `sunique${i}`, 'sall']));
    for (const doc of docs) if (doc % 3 !== 0) index.remove(doc);
    assert.equal(index.size, 1000);
    assert.ok(index.wantsCompaction);
    assert.deepEqual(ids(index, 'word1').length, 100, 'removed docs are skipped before compaction');
    const termsBefore = index.termCount;
    const map = index.compact();
    assert.equal(map[3], 1);
    assert.equal(map[4], -1);
    assert.equal(index.capacity, 1000);
    assert.equal(index.termCount, termsBefore - 2000, 'the unique terms of removed docs are gone');
    assert.deepEqual(ids(index, 'unique2997'), [999]);
    assert.deepEqual(ids(index, 'unique2998'), []);
    assert.deepEqual(ids(index, 'all').length, 1000);
    const added = index.add(['sall', 'snew']);
    assert.equal(added, 1000);
    assert.deepEqual(ids(index, 'new'), [1000]);
    assert.deepEqual(index.termIdsOfDocs([0, added]).map((t) => t.map((id) => index.termAt(id)).sort()), [
      ['sall', 'sunique0', 'sword0'],
      ['sall', 'snew'],
    ]);
  });
});
