import * as assert from 'node:assert/strict';
import { buildThreads, MAX_REFERENCES, threadForest, type Thread, type ThreadMessage, type ThreadTree } from '../../src/protocol/threads/jwz';
import { baseSubject, isReplySubject } from '../../src/protocol/threads/subject';
import { ThreadIndex } from '../../src/protocol/threads/threadIndex';

const DAY = 86_400_000;

/** A message `key` with Message-ID `<key>@x` (unless given) sent on day `day`, replying along `refs` (keys). */
function msg(key: string, day: number, refs: string[] = [], extra: Partial<ThreadMessage> = {}): ThreadMessage {
  return { key, messageId: `${key}@x`, references: refs.map((r) => `${r}@x`), date: day * DAY, subject: refs.length ? 'Re: topic' : 'topic', ...extra };
}

/** Groups as sorted key lists, the groups sorted: comparable whatever order threads come in. */
function groups(threads: readonly Thread[]): string[][] {
  return threads.map((t) => [...t.keys].sort()).sort((a, b) => a[0].localeCompare(b[0]));
}

/** The forest as "key(child,child)" strings; placeholders as "_". */
function shape(trees: ThreadTree[]): string[] {
  const one = (t: ThreadTree): string => `${t.key ?? '_'}${t.children.length ? `(${t.children.map(one).sort().join(',')})` : ''}`;
  return trees.map(one).sort();
}

describe('JWZ threading', () => {
  it('threads a conversation by References, oldest message first', () => {
    const threads = buildThreads([msg('c', 3, ['a', 'b']), msg('a', 1), msg('b', 2, ['a']), msg('z', 5)]);
    assert.deepEqual(groups(threads), [['a', 'b', 'c'], ['z']]);
    const conversation = threads.find((t) => t.keys.length === 3) as Thread;
    assert.deepEqual(conversation.keys, ['a', 'b', 'c']);
    assert.equal(conversation.id, 'a');
    assert.equal(conversation.latest, 3 * DAY);
    assert.equal(threads[0].keys[0], 'z', 'the thread with the newest message comes first');
    assert.deepEqual(shape(threadForest([msg('a', 1), msg('b', 2, ['a']), msg('c', 3, ['a', 'b'])])), ['a(b(c))']);
  });

  it('uses In-Reply-To when References is missing, and appends it when References does not end with it', () => {
    const threads = buildThreads([msg('a', 1), msg('b', 2, [], { inReplyTo: 'a@x', subject: 'Re: topic' }), msg('c', 3, ['a'], { inReplyTo: 'b@x' })]);
    assert.deepEqual(groups(threads), [['a', 'b', 'c']]);
    assert.deepEqual(shape(threadForest([msg('a', 1), msg('b', 2, [], { inReplyTo: 'a@x' }), msg('c', 3, ['a'], { inReplyTo: 'b@x' })])), ['a(b(c))']);
  });

  it('gives the same threads whatever order the messages arrive in', () => {
    const all = [msg('a', 1), msg('b', 2, ['a']), msg('c', 3, ['a', 'b']), msg('d', 4, ['a']), msg('e', 5, ['x']), msg('f', 6, ['x', 'e'])];
    const expected = shape(threadForest(all));
    for (let i = 0; i < 20; i++) {
      const shuffled = [...all].sort(() => (Math.sin(i * 7 + all.length) > 0 ? 1 : -1) * (Math.random() - 0.5));
      assert.deepEqual(shape(threadForest(shuffled)), expected);
    }
    // A reply that arrives before its parent (the parent is older but synced later) still joins it.
    const index = new ThreadIndex();
    index.add([msg('c', 3, ['a', 'b'])]);
    index.add([msg('b', 2, ['a'])]);
    index.add([msg('a', 1)]);
    assert.deepEqual(groups(index.threads()), [['a', 'b', 'c']]);
    assert.equal(index.threads()[0].id, 'a');
  });

  it('keeps replies to a missing parent together under a placeholder', () => {
    // b and c both answer a@x, which is not here (deleted, or in a folder not threaded).
    const forest = threadForest([msg('b', 2, ['a']), msg('c', 3, ['a'])]);
    assert.deepEqual(shape(forest), ['_(b,c)']);
    assert.deepEqual(groups(buildThreads([msg('b', 2, ['a']), msg('c', 3, ['a'])])), [['b', 'c']]);
    // One reply to a missing parent: no placeholder, the reply is the root.
    assert.deepEqual(shape(threadForest([msg('b', 2, ['a'])])), ['b']);
    // A missing message in the middle of a chain: the chain still holds.
    assert.deepEqual(shape(threadForest([msg('a', 1), msg('c', 3, ['a', 'b'])])), ['a(c)']);
  });

  it('breaks reference loops instead of looping', () => {
    // a names b as its parent, b names a: a cycle in the headers.
    const loop = [msg('a', 1, ['b']), msg('b', 2, ['a'])];
    const forest = threadForest(loop);
    assert.equal(forest.length, 1);
    assert.deepEqual(groups(buildThreads(loop)), [['a', 'b']]);
    // A References chain that repeats itself and names the message itself.
    const selfish = msg('c', 3, ['a', 'b', 'a', 'c', 'b']);
    assert.deepEqual(groups(buildThreads([msg('a', 1), msg('b', 2, ['a']), selfish])), [['a', 'b', 'c']]);
    // Three messages in a ring.
    const ring = [msg('a', 1, ['c']), msg('b', 2, ['a']), msg('c', 3, ['b'])];
    assert.deepEqual(groups(buildThreads(ring)), [['a', 'b', 'c']]);
    assert.equal(threadForest(ring).length, 1);
  });

  it('keeps both messages of a duplicate Message-ID, in the same thread', () => {
    const a2 = msg('a-copy', 1.5, [], { messageId: 'a@x' });
    const threads = buildThreads([msg('a', 1), a2, msg('b', 2, ['a'])]);
    assert.deepEqual(groups(threads).flat().sort(), ['a', 'a-copy', 'b']);
    const withB = threads.find((t) => t.keys.includes('b')) as Thread;
    assert.ok(withB.keys.includes('a'), 'the reply joins the first message with that id');
    // A copy that references the original thread joins it too.
    const threaded = buildThreads([msg('a', 1), msg('b', 2, ['a']), msg('b-copy', 2.5, ['a'], { messageId: 'b@x' })]);
    assert.deepEqual(groups(threaded), [['a', 'b', 'b-copy']]);
  });

  it('threads messages without a Message-ID by their References', () => {
    const threads = buildThreads([msg('a', 1), msg('b', 2, ['a'], { messageId: undefined }), msg('n', 3, [], { messageId: undefined })]);
    assert.deepEqual(groups(threads), [['a', 'b'], ['n']]);
  });

  it('follows only the newest References of a hostile header, and survives very deep chains', () => {
    const refs = Array.from({ length: 10_000 }, (_, i) => `junk${i}`);
    const threads = buildThreads([msg('a', 1), msg('b', 2, [...refs, 'a'])]);
    assert.deepEqual(groups(threads), [['a', 'b']]);
    assert.ok(MAX_REFERENCES < refs.length);
    // A reply chain 20,000 deep: no stack overflow.
    const chain: ThreadMessage[] = [msg('m0', 0)];
    for (let i = 1; i < 20_000; i++) chain.push(msg(`m${i}`, i / 1000, [], { inReplyTo: `m${i - 1}@x` }));
    const deep = buildThreads(chain);
    assert.equal(deep.length, 1);
    assert.equal(deep[0].keys.length, 20_000);
  });

  it('merges by subject only when asked', () => {
    const messages = [msg('a', 1, [], { subject: 'Plans' }), msg('b', 2, [], { subject: 'Re: Plans' }), msg('c', 3, [], { subject: 'Other' })];
    assert.deepEqual(groups(buildThreads(messages)), [['a'], ['b'], ['c']]);
    assert.deepEqual(groups(buildThreads(messages, { mergeSubjects: true })), [['a', 'b'], ['c']]);
    assert.equal(baseSubject('Re: [list] Fwd: RE[2]:  Plans (fwd)'), 'plans');
    assert.ok(isReplySubject('[list] Re: x'));
    assert.ok(!isReplySubject('Regarding x'));
  });
});

describe('ThreadIndex', () => {
  /** After every step the index must equal a full build of what it holds. */
  function assertMatchesFullBuild(index: ThreadIndex, all: Map<string, ThreadMessage>): void {
    assert.deepEqual(groups(index.threads()), groups(buildThreads([...all.values()])));
    assert.deepEqual(
      index.threads().map((t) => t.id),
      buildThreads([...all.values()]).map((t) => t.id),
    );
  }

  it('adds and removes messages re-threading only what they touch, as a full build would', () => {
    const index = new ThreadIndex();
    const all = new Map<string, ThreadMessage>();
    const add = (...ms: ThreadMessage[]): ReturnType<ThreadIndex['add']> => {
      for (const m of ms) all.set(m.key, m);
      return index.add(ms);
    };
    add(msg('a', 1), msg('b', 2, ['a']), msg('x', 3), msg('y', 4, ['x']), msg('lonely', 5));
    assertMatchesFullBuild(index, all);
    // A message bridging two threads merges them; the untouched thread is not re-threaded.
    const lonely = index.threadOfKey('lonely');
    const bridge = add(msg('bridge', 6, ['a', 'x']));
    assert.ok(bridge.added.every((t) => !t.keys.includes('lonely')));
    assert.equal(index.threadOfKey('lonely'), lonely, 'an unrelated thread keeps its object');
    assertMatchesFullBuild(index, all);
    // Removing the parent of a thread splits nothing it should not; the id moves to the next oldest.
    all.delete('a');
    const removal = index.remove(['a']);
    assert.ok(removal.removed.includes('a'));
    assertMatchesFullBuild(index, all);
    // Replacing a message (same key, new headers) moves it.
    add(msg('y', 4, []));
    assertMatchesFullBuild(index, all);
    all.delete('lonely');
    index.remove(['lonely', 'unknown']);
    assertMatchesFullBuild(index, all);
    assert.equal(index.size, all.size);
  });

  it('matches a full build under a long random sequence of changes', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const index = new ThreadIndex();
    const all = new Map<string, ThreadMessage>();
    for (let step = 0; step < 300; step++) {
      if (all.size > 5 && random(4) === 0) {
        const keys = [...all.keys()];
        const gone = keys[random(keys.length)];
        all.delete(gone);
        index.remove([gone]);
      } else {
        const key = `m${step}`;
        const refs: string[] = [];
        for (let i = random(4); i > 0; i--) refs.push(`m${random(step + 1)}`);
        const m = msg(key, random(1000), refs, random(10) === 0 ? { messageId: `m${random(step + 1)}@x` } : {});
        all.set(key, m);
        index.add([m]);
      }
      assert.deepEqual(groups(index.threads()), groups(buildThreads([...all.values()])), `step ${step}`);
    }
  });

  it('starts from groups given by the server and threads the rest itself', () => {
    const index = new ThreadIndex();
    index.seed([msg('a', 1), msg('b', 2, ['a']), msg('c', 3)], [['a', 'b'], ['gone']]);
    assert.deepEqual(groups(index.threads()), [['a', 'b'], ['c']]);
    index.add([msg('d', 4, ['a', 'b'])]);
    assert.deepEqual(groups(index.threads()), [['a', 'b', 'd'], ['c']]);
  });

  it('rebuilds everything on a change when subjects are merged', () => {
    const index = new ThreadIndex({ mergeSubjects: true });
    index.add([msg('a', 1, [], { subject: 'Plans' })]);
    const change = index.add([msg('b', 2, [], { subject: 'Re: Plans' })]);
    assert.deepEqual(groups(index.threads()), [['a', 'b']]);
    assert.ok(change.removed.includes('a'));
  });
});
