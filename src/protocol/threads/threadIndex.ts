/**
 * Threads of a set of messages, kept up to date as messages come and go without threading the
 * whole set again: a change re-threads only the threads that share an id (Message-ID, References,
 * In-Reply-To) with the messages added or removed. JWZ links only ids named together in one
 * message, so those threads, threaded alone, come out as the whole set would give them
 * (test/unit/threads.test.ts checks this against a full build after every step).
 *
 * With subject merging on, any thread can join any other: every change threads the whole set again.
 */
import { buildThreads, compareThreads, threadOf, type Thread, type ThreadMessage, type ThreadOptions } from './jwz';

export interface ThreadChange {
  /** Ids of threads that no longer exist (merged, re-threaded or emptied). */
  removed: string[];
  /** Threads created or re-threaded by the change. */
  added: Thread[];
}

export class ThreadIndex {
  private readonly messages = new Map<string, ThreadMessage>();
  private readonly threadByKey = new Map<string, Thread>();
  private readonly threadsById = new Map<string, Thread>();
  /** Every id a message names (its own, References, In-Reply-To) → threads holding such a message. */
  private readonly byId = new Map<string, Set<Thread>>();
  private sorted: Thread[] | undefined;

  constructor(private readonly options: ThreadOptions = {}) {}

  get size(): number {
    return this.messages.size;
  }

  /** Threads with their newest message first. */
  threads(): readonly Thread[] {
    this.sorted ??= [...this.threadsById.values()].sort(compareThreads);
    return this.sorted;
  }

  thread(id: string): Thread | undefined {
    return this.threadsById.get(id);
  }

  threadOfKey(key: string): Thread | undefined {
    return this.threadByKey.get(key);
  }

  message(key: string): ThreadMessage | undefined {
    return this.messages.get(key);
  }

  /**
   * Starts from threads someone else built (the server's THREAD answer): each group of keys becomes
   * one thread as given. Keys without a message are ignored; messages in no group are threaded here.
   */
  seed(messages: readonly ThreadMessage[], groups: readonly (readonly string[])[]): void {
    this.clear();
    for (const m of messages) this.messages.set(m.key, m);
    const grouped = new Set<string>();
    for (const group of groups) {
      const members = group.filter((k) => this.messages.has(k) && !grouped.has(k)).map((k) => this.messages.get(k) as ThreadMessage);
      if (!members.length) continue;
      for (const m of members) grouped.add(m.key);
      this.insert(threadOf(members));
    }
    const rest = messages.filter((m) => !grouped.has(m.key));
    for (const t of buildThreads(rest, this.options)) this.insert(t);
  }

  /** Adds messages (or replaces those with a known key). */
  add(messages: readonly ThreadMessage[]): ThreadChange {
    if (!messages.length) return { removed: [], added: [] };
    const affected = new Set<Thread>();
    for (const m of messages) {
      const old = this.threadByKey.get(m.key);
      if (old) affected.add(old);
      for (const id of idsOf(m)) for (const t of this.byId.get(id) ?? []) affected.add(t);
    }
    return this.rethread(affected, () => {
      for (const m of messages) this.messages.set(m.key, m);
    }, messages);
  }

  /** Removes messages by key; unknown keys are ignored. */
  remove(keys: readonly string[]): ThreadChange {
    const affected = new Set<Thread>();
    for (const key of keys) {
      const t = this.threadByKey.get(key);
      if (t) affected.add(t);
    }
    return this.rethread(affected, () => {
      for (const key of keys) this.messages.delete(key);
    }, []);
  }

  clear(): void {
    this.messages.clear();
    this.threadByKey.clear();
    this.threadsById.clear();
    this.byId.clear();
    this.sorted = undefined;
  }

  /** Drops the affected threads (while their messages are still known), applies `change`, threads them again. */
  private rethread(affected: Set<Thread>, change: () => void, added: readonly ThreadMessage[]): ThreadChange {
    for (const t of affected) this.drop(t);
    change();
    if (this.options.mergeSubjects) {
      const removed = [...[...affected].map((t) => t.id), ...this.threadsById.keys()];
      const all = [...this.messages.values()];
      this.clear();
      for (const m of all) this.messages.set(m.key, m);
      const threads = buildThreads(all, this.options);
      for (const t of threads) this.insert(t);
      return { removed, added: threads };
    }
    const subset = new Map<string, ThreadMessage>();
    for (const t of affected) {
      for (const k of t.keys) {
        const m = this.messages.get(k);
        if (m) subset.set(k, m);
      }
    }
    for (const m of added) subset.set(m.key, m);
    const threads = subset.size ? buildThreads([...subset.values()], this.options) : [];
    for (const t of threads) this.insert(t);
    const kept = new Set(threads.map((t) => t.id));
    return { removed: [...affected].map((t) => t.id).filter((id) => !kept.has(id)), added: threads };
  }

  private insert(thread: Thread): void {
    this.threadsById.set(thread.id, thread);
    for (const k of thread.keys) {
      this.threadByKey.set(k, thread);
      for (const id of idsOf(this.messages.get(k) as ThreadMessage)) {
        let set = this.byId.get(id);
        if (!set) this.byId.set(id, (set = new Set()));
        set.add(thread);
      }
    }
    this.sorted = undefined;
  }

  private drop(thread: Thread): void {
    if (this.threadsById.get(thread.id) === thread) this.threadsById.delete(thread.id);
    for (const k of thread.keys) {
      if (this.threadByKey.get(k) === thread) this.threadByKey.delete(k);
    }
    for (const k of thread.keys) {
      const m = this.messages.get(k);
      if (!m) continue;
      for (const id of idsOf(m)) {
        const set = this.byId.get(id);
        if (!set) continue;
        set.delete(thread);
        if (!set.size) this.byId.delete(id);
      }
    }
    this.sorted = undefined;
  }
}

/** The ids a message names. */
function idsOf(m: ThreadMessage): string[] {
  const ids = [...m.references];
  if (m.messageId) ids.push(m.messageId);
  if (m.inReplyTo) ids.push(m.inReplyTo);
  return ids;
}
