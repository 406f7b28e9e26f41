/**
 * UID THREAD (RFC 5256) when the server offers it. imapflow has no thread command, so the command
 * goes through imapflow's `exec` (tags, queue and completion stay imapflow's) with a handler for
 * the untagged THREAD answer: `* THREAD (2)(3 6 (4 23)(44 7 96))`, one parenthesized tree per
 * thread. Mailroom needs the groups (which UIDs belong together); the order inside a thread comes
 * from the dates, as for local threading.
 *
 * Which algorithm: REFERENCES joins root threads with the same base subject (RFC 5256 step 5).
 * With subject merging off (the default) that would join what the user asked to keep apart, so
 * Dovecot's REFS (the same threading without the subject step) is used when offered; a server
 * with REFERENCES alone is used only when subject merging is on, and otherwise the threads are
 * built locally (src/protocol/threads/jwz.ts).
 */
import type { ImapFlow } from 'imapflow';
import { operationError, withMailbox } from './command';

export type ServerThreadAlgorithm = 'REFS' | 'REFERENCES';

/** UIDs per thread, as many as the server sends (bounded by the folder's message count). */
export type ThreadGroups = number[][];

/** The algorithm to ask the server for, or undefined when threading locally fits better. */
export function serverThreadAlgorithm(capabilities: ReadonlyMap<string, unknown> | undefined, mergeSubjects: boolean): ServerThreadAlgorithm | undefined {
  const has = (name: string): boolean => !!capabilities?.has(`THREAD=${name}`);
  if (mergeSubjects) return has('REFERENCES') ? 'REFERENCES' : undefined;
  return has('REFS') ? 'REFS' : undefined;
}

interface AttributeNode {
  type?: string;
  value?: unknown;
}

interface FlowExec {
  exec?: (command: string, attributes: unknown[], options: { untagged?: Record<string, (untagged: { attributes?: unknown[] }) => Promise<void>> }) => Promise<{ next?: () => void } | undefined>;
}

/** `UID THREAD <algorithm> UTF-8 ALL` on `path` (selected read-only); the groups of UIDs. */
export async function uidThread(client: ImapFlow, path: string, algorithm: ServerThreadAlgorithm): Promise<{ uidValidity: string; groups: ThreadGroups }> {
  const flow = client as unknown as FlowExec;
  if (typeof flow.exec !== 'function') throw new Error('imapflow without exec(): this Mailroom build needs imapflow 2.10');
  const exec = flow.exec;
  return withMailbox(client, path, { readOnly: true, description: 'thread' }, async (mailbox) => {
    const groups: ThreadGroups = [];
    const atom = (value: string): AttributeNode => ({ type: 'ATOM', value });
    try {
      const response = await exec.call(client, 'UID THREAD', [atom(algorithm), atom('UTF-8'), atom('ALL')], {
        untagged: {
          THREAD: async (untagged) => {
            groups.push(...threadGroups(untagged.attributes ?? []));
            await Promise.resolve();
          },
        },
      });
      response?.next?.();
    } catch (err) {
      throw operationError(client, err, `thread "${path}"`);
    }
    return { uidValidity: mailbox.uidValidity.toString(), groups };
  });
}

/** imapflow's parsed THREAD answer (a list per thread, nested) → the UIDs of each thread. */
export function threadGroups(attributes: readonly unknown[]): ThreadGroups {
  const groups: ThreadGroups = [];
  for (const tree of attributes) {
    const uids: number[] = [];
    // Iterative: a hostile server can nest a reply chain thousands deep.
    const stack: unknown[] = [tree];
    while (stack.length) {
      const node = stack.pop();
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
        continue;
      }
      const value = typeof node === 'object' && node !== null ? (node as AttributeNode).value : node;
      const uid = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
      if (uid > 0 && uid <= 0xffffffff) uids.push(uid);
    }
    if (uids.length) groups.push(uids);
  }
  return groups;
}
