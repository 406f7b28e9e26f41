/**
 * Client-side threading: Jamie Zawinski's algorithm (https://www.jwz.org/doc/threading.html, the
 * REFERENCES algorithm of RFC 5256 without its subject step unless asked). Pure: no I/O, no
 * vscode. Messages are processed oldest first (then by key) so the result does not depend on the
 * order they arrived in, and a subset holding whole threads threads exactly as the whole set does
 * (ThreadIndex relies on that to update only the threads a change touches).
 *
 * Hostile or broken headers: a message referring to itself, reference chains that loop, a parent
 * that never arrives, two messages with one Message-ID, no Message-ID at all: each ends in a tree
 * (never a cycle), every message in exactly one thread.
 */
import { baseSubject, isReplySubject } from './subject';

export interface ThreadMessage {
  /** Unique per message across everything threaded together (e.g. folder path + UID). */
  key: string;
  /** Without angle brackets. */
  messageId?: string;
  /** Oldest first, without angle brackets (the References header). */
  references: readonly string[];
  /** The first id of In-Reply-To, used when References does not end with it. */
  inReplyTo?: string;
  /** Epoch ms; NaN when unknown. */
  date: number;
  subject: string;
}

/** One container of the forest: a message, or a placeholder for one referred to but not present. */
export interface ThreadTree {
  /** The Message-ID this container stands for (a made-up one for duplicates and missing ids). */
  id: string;
  /** The message's key; undefined for a placeholder. */
  key?: string;
  children: ThreadTree[];
}

export interface Thread {
  /** The key of the thread's oldest message: unique, and stable while that message stays. */
  id: string;
  /** Message keys, oldest first. */
  keys: string[];
  /** Epoch ms of the newest message (NaN when no message has a date). */
  latest: number;
}

export interface ThreadOptions {
  /** RFC 5256 step 5: join root threads with the same base subject. Off by default (as aerc). */
  mergeSubjects?: boolean;
}

/** At most this many References are followed (the newest ones): a header of thousands is hostile. */
export const MAX_REFERENCES = 100;

interface Container {
  id: string;
  message?: ThreadMessage;
  /** The message's place in processing order (oldest first). */
  order?: number;
  parent?: Container;
  children: Container[];
}

/** Oldest first, undated last, then by key: the order every build processes messages in. */
export function compareMessages(a: ThreadMessage, b: ThreadMessage): number {
  const da = Number.isNaN(a.date) ? Infinity : a.date;
  const db = Number.isNaN(b.date) ? Infinity : b.date;
  if (da !== db) return da < db ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The JWZ forest (steps 1-4, and 5 when asked): roots and their children. */
export function threadForest(messages: readonly ThreadMessage[], options: ThreadOptions = {}): ThreadTree[] {
  return forest(messages, options).map(toTree);
}

/** `messages` oldest first (compareMessages), sorting on numbers rather than through the comparator. */
function sortedByAge(messages: readonly ThreadMessage[]): ThreadMessage[] {
  const n = messages.length;
  const dates = new Float64Array(n);
  for (let i = 0; i < n; i++) dates[i] = Number.isNaN(messages[i].date) ? Infinity : messages[i].date;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => dates[a] - dates[b] || (messages[a].key < messages[b].key ? -1 : messages[a].key > messages[b].key ? 1 : 0));
  const out = new Array<ThreadMessage>(n);
  for (let i = 0; i < n; i++) out[i] = messages[order[i]];
  return out;
}

function forest(messages: readonly ThreadMessage[], options: ThreadOptions): Container[] {
  const table = new Map<string, Container>();
  const container = (id: string): Container => {
    let c = table.get(id);
    if (!c) {
      c = { id, children: [] };
      table.set(id, c);
    }
    return c;
  };
  const sorted = sortedByAge(messages);
  for (let order = 0; order < sorted.length; order++) {
    const message = sorted[order];
    let own: Container;
    const wanted = message.messageId;
    if (wanted && !table.get(wanted)?.message) own = container(wanted);
    // A duplicate Message-ID (or none): a container of its own, still threaded by its References.
    else own = container(`${wanted ?? ''}\u0000${message.key}`);
    own.message = message;
    own.order = order;

    const refs = referenceChain(message, own.id);
    // Step 1B: link the References chain, parent before child, never making a loop.
    for (let i = 1; i < refs.length; i++) {
      const parent = container(refs[i - 1]);
      const child = container(refs[i]);
      if (!child.parent && !reaches(parent, child)) link(parent, child);
    }
    // Step 1C: the message's own headers decide its parent (the last reference).
    const parent = refs.length ? container(refs[refs.length - 1]) : undefined;
    if (parent !== own.parent && (!parent || !reaches(parent, own))) {
      unlink(own);
      if (parent) link(parent, own);
    }
  }

  // Step 2: the root set; step 4: prune empty containers.
  let roots = prune([...table.values()].filter((c) => !c.parent), true);
  if (options.mergeSubjects) roots = mergeBySubject(roots);
  return roots;
}

/** Threads (steps 1-5), each with its messages oldest first; the newest thread first. */
export function buildThreads(messages: readonly ThreadMessage[], options: ThreadOptions = {}): Thread[] {
  const threads = forest(messages, options).map((root) => {
    const members: Container[] = [];
    const stack = [root];
    while (stack.length) {
      const c = stack.pop() as Container;
      if (c.message) members.push(c);
      for (const child of c.children) stack.push(child);
    }
    members.sort((a, b) => (a.order as number) - (b.order as number));
    let latest = NaN;
    for (const c of members) {
      const date = (c.message as ThreadMessage).date;
      if (!Number.isNaN(date) && !(date <= latest)) latest = date;
    }
    return { id: (members[0].message as ThreadMessage).key, keys: members.map((c) => (c.message as ThreadMessage).key), latest };
  });
  return threads.sort(compareThreads);
}

/** A thread of these messages (any order); the id and order as buildThreads gives them. */
export function threadOf(messages: ThreadMessage[]): Thread {
  const sorted = [...messages].sort(compareMessages);
  let latest = NaN;
  for (const m of sorted) if (!Number.isNaN(m.date) && !(m.date <= latest)) latest = m.date;
  const first = sorted[0];
  return { id: first.key, keys: sorted.map((m) => m.key), latest };
}

/** Newest activity first; undated threads last; then by id so the order is total. */
export function compareThreads(a: Thread, b: Thread): number {
  const la = Number.isNaN(a.latest) ? -Infinity : a.latest;
  const lb = Number.isNaN(b.latest) ? -Infinity : b.latest;
  if (la !== lb) return la > lb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * References (the newest MAX_REFERENCES), then In-Reply-To when References does not end with it;
 * without the message's own id and without repeats (a repeat would be a loop).
 */
function referenceChain(message: ThreadMessage, ownId: string): string[] {
  const refs = message.references;
  const from = refs.length > MAX_REFERENCES ? refs.length - MAX_REFERENCES : 0;
  const out: string[] = [];
  // At most MAX_REFERENCES + 1 ids: a linear repeat check beats a Set at this size.
  const take = (id: string | undefined): void => {
    if (id && id !== ownId && id !== message.messageId && !out.includes(id)) out.push(id);
  };
  for (let i = from; i < refs.length; i++) take(refs[i]);
  if (message.inReplyTo && refs[refs.length - 1] !== message.inReplyTo) take(message.inReplyTo);
  return out;
}

/** Whether `from` is `target` or lies below it (walking up from `from`). */
function reaches(from: Container, target: Container): boolean {
  // Nothing lies below a container without children: the usual case, kept O(1) for deep chains.
  if (from !== target && target.children.length === 0) return false;
  for (let c: Container | undefined = from; c; c = c.parent) if (c === target) return true;
  return false;
}

function link(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

function unlink(child: Container): void {
  const parent = child.parent;
  if (!parent) return;
  const i = parent.children.indexOf(child);
  if (i >= 0) parent.children.splice(i, 1);
  child.parent = undefined;
}

/**
 * Step 4, iteratively (a reply chain thousands deep must not overflow the stack): an empty
 * container without children goes; one with children is replaced by them, except at the root
 * where it stays when it has more than one child (the missing parent of several replies).
 */
function prune(level: Container[], atRoot: boolean): Container[] {
  const out: Container[] = [];
  const queue = [...level];
  for (let q = 0; q < queue.length; q++) {
    const c = queue[q];
    if (!c.message && c.children.length === 0) continue;
    if (!c.message && (!atRoot || c.children.length === 1)) {
      for (const child of c.children) child.parent = atRoot ? undefined : c.parent;
      queue.push(...c.children);
      continue;
    }
    out.push(c);
  }
  // Below the root, by an explicit stack.
  const stack = [...out];
  while (stack.length) {
    const c = stack.pop() as Container;
    const kept: Container[] = [];
    const pending = [...c.children];
    for (let q = 0; q < pending.length; q++) {
      const child = pending[q];
      if (!child.message && child.children.length === 0) continue;
      if (!child.message) {
        for (const g of child.children) g.parent = c;
        pending.push(...child.children);
        continue;
      }
      kept.push(child);
    }
    c.children = kept;
    stack.push(...kept);
  }
  return out;
}

/** Step 5 of RFC 5256: root threads with the same base subject become one. */
function mergeBySubject(roots: Container[]): Container[] {
  const bySubject = new Map<string, Container>();
  const out: Container[] = [];
  for (const root of roots) {
    const subject = rootSubject(root);
    const base = baseSubject(subject);
    if (!base) {
      out.push(root);
      continue;
    }
    const other = bySubject.get(base);
    if (!other) {
      bySubject.set(base, root);
      out.push(root);
      continue;
    }
    // A placeholder or the one that is not a reply becomes the parent; two of a kind share a placeholder.
    const otherReply = other.message ? isReplySubject(rootSubject(other)) : false;
    const thisReply = root.message ? isReplySubject(subject) : false;
    if (!other.message || (!otherReply && thisReply)) {
      link(other, root);
    } else if (!root.message || (otherReply && !thisReply)) {
      out[out.indexOf(other)] = root;
      bySubject.set(base, root);
      link(root, other);
    } else {
      const holder: Container = { id: `\u0000subject:${base}`, children: [] };
      out[out.indexOf(other)] = holder;
      bySubject.set(base, holder);
      link(holder, other);
      link(holder, root);
    }
  }
  return out;
}

function rootSubject(c: Container): string {
  if (c.message) return c.message.subject;
  const first = c.children.find((k) => k.message);
  return first?.message?.subject ?? '';
}

function toTree(root: Container): ThreadTree {
  const convert = (c: Container): ThreadTree => ({ id: c.id, ...(c.message ? { key: c.message.key } : {}), children: [] });
  const top = convert(root);
  const stack: Array<[Container, ThreadTree]> = [[root, top]];
  while (stack.length) {
    const [c, t] = stack.pop() as [Container, ThreadTree];
    for (const child of c.children) {
      const ct = convert(child);
      t.children.push(ct);
      stack.push([child, ct]);
    }
  }
  return top;
}
