/**
 * Runs one FETCH / UID FETCH over an authenticated imapflow connection and hands every row to
 * `onRow` as a FetchRow.
 *
 * The command itself always goes through imapflow (`exec`), so tags, the command queue, the
 * tagged completion and connection loss stay imapflow's business. Only the untagged FETCH rows
 * are read differently: when imapflow's reader is idle at the moment the command is written,
 * the socket (or, under COMPRESS=DEFLATE, the inflater) is unpiped from imapflow's stream for the
 * duration of the command, FETCH rows are
 * parsed by ./fetchParser, every other response (EXISTS, EXPUNGE, BYE, ...) is written through to
 * imapflow unchanged, and from the tagged completion on the socket is piped back. When the
 * connection is not in that state (a queued command, half a line buffered) the
 * rows come through imapflow's own parser instead: slower, same result.
 *
 * This reaches into imapflow 2.10.2 internals (socket, streamer, currentRequest, exec); every
 * one is checked before use and a mismatch only selects the slower path.
 */
import type { Duplex, Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import type { ProtocolLog } from '../../log';
import { toFetchRow, type FetchRow } from './envelope';
import { parseFetch, responseEnd, taggedStatus, type ImapValue } from './fetchParser';

export interface FetchCommand {
  uid: boolean;
  /** Sequence set, e.g. "1:*" or "9951:10000". */
  range: string;
  /** Fetch item atoms, e.g. ['UID', 'FLAGS', 'ENVELOPE']. */
  items: string[];
  /** CONDSTORE: only rows changed since this modseq (decimal string). */
  changedSince?: string;
  /** QRESYNC: with changedSince on a UID FETCH, report expunges as VANISHED (EARLIER). */
  vanished?: boolean;
}

export type FetchPath = 'lean' | 'imapflow';

interface StreamInternals extends Writable {
  processingInput?: boolean;
  lineBuffer?: unknown[];
  inputQueue?: unknown[];
  literalWaiting?: number;
}

interface AttributeNode {
  type?: string;
  value?: unknown;
}

interface UntaggedResponse {
  command?: string;
  attributes?: unknown[];
}

interface ExecOptions {
  onSend?: () => void;
  untagged?: Record<string, (untagged: UntaggedResponse) => Promise<void>>;
}

interface FlowInternals {
  socket?: Duplex;
  streamer?: StreamInternals;
  currentRequest?: false | { tag?: string };
  requestQueue?: unknown[];
  _inflate?: unknown;
  /** Resolves with the tagged response; its `next()` must be called or imapflow stops reading. */
  exec?: (command: string, attributes: unknown[], options: ExecOptions) => Promise<{ next?: () => void } | undefined>;
}

/**
 * A fetch item as imapflow's compiler wants it: an atom, or for `BODY.PEEK[HEADER.FIELDS (A B)]`
 * an atom with a section (a plain atom holding brackets would go out quoted).
 */
function fetchItem(item: string): AttributeNode & { section?: unknown[] } {
  const m = /^(BODY(?:\.PEEK)?)\[HEADER\.FIELDS \(([A-Z0-9 -]+)\)\]$/i.exec(item);
  if (!m) return { type: 'ATOM', value: item };
  const fields = m[2].split(' ').map((value) => ({ type: 'ATOM', value }));
  return { type: 'ATOM', value: m[1], section: [{ type: 'ATOM', value: 'HEADER.FIELDS' }, fields] };
}

/** Runs the command; resolves with which reader handled the rows. */
export async function leanFetch(client: ImapFlow, command: FetchCommand, onRow: (row: FetchRow) => void, log: ProtocolLog): Promise<FetchPath> {
  const flow = client as unknown as FlowInternals;
  if (typeof flow.exec !== 'function') {
    throw new Error('imapflow without exec(): this Mailroom build needs imapflow 2.10');
  }
  const atom = (value: string): AttributeNode => ({ type: 'ATOM', value });
  const attributes: unknown[] = [{ type: 'SEQUENCE', value: command.range }, command.items.map(fetchItem)];
  if (command.changedSince !== undefined) {
    attributes.push([atom('CHANGEDSINCE'), atom(command.changedSince), ...(command.vanished ? [atom('VANISHED')] : [])]);
  }

  await readerSettled(flow);
  let hijack: Hijack | undefined;
  let rowError: unknown;
  const deliver = (row: FetchRow): void => {
    if (rowError !== undefined) return;
    try {
      onRow(row);
    } catch (err) {
      rowError = err;
    }
  };
  try {
    const response = await flow.exec.call(client, command.uid ? 'UID FETCH' : 'FETCH', attributes, {
      onSend: () => {
        const tag = flow.currentRequest ? flow.currentRequest.tag : undefined;
        const source = tag ? idleSource(flow) : undefined;
        if (tag && source) hijack = new Hijack(source, flow.streamer as StreamInternals, tag, deliver, log);
      },
      untagged: {
        // Rows imapflow parsed itself: the slow path, or rows that arrived before the hijack.
        FETCH: async (untagged) => {
          const seq = Number(untagged.command);
          const list = untagged.attributes?.[1];
          if (!Number.isInteger(seq) || !Array.isArray(list)) return;
          const items = new Map<string, ImapValue>();
          for (let i = 0; i + 1 < list.length; i += 2) {
            const name = toValue(list[i]);
            if (typeof name === 'string') items.set(name.toUpperCase(), toValue(list[i + 1]));
          }
          deliver(toFetchRow(seq, items));
        },
      },
    });
    response?.next?.();
  } finally {
    hijack?.restore();
  }
  if (hijack?.error !== undefined) throw hijack.error;
  if (rowError !== undefined) throw rowError;
  log.trace(`${command.uid ? 'UID FETCH' : 'FETCH'} ${command.range}: rows read by ${hijack ? 'the lean reader' : 'imapflow'}`);
  return hijack ? 'lean' : 'imapflow';
}

/**
 * imapflow finishes the bookkeeping of the previous response's chunk a few ticks after that
 * command resolved; wait for it (bounded) so the socket can be taken over cleanly.
 */
async function readerSettled(flow: FlowInternals): Promise<void> {
  for (let i = 0; i < 20 && (flow.streamer?.processingInput || flow.streamer?.writableLength); i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The stream imapflow's parser reads from (the socket, or the inflater under COMPRESS=DEFLATE),
 * when nothing is buffered anywhere between the socket and the parser and no other command is
 * queued; undefined otherwise.
 */
function idleSource(flow: FlowInternals): Duplex | undefined {
  const { socket, streamer } = flow;
  const inflate = flow._inflate as Duplex | undefined;
  const source = inflate ?? socket;
  if (!socket || !source || !streamer || socket.destroyed || source.destroyed || streamer.destroyed) return undefined;
  if (flow.requestQueue?.length) return undefined;
  if (!Array.isArray(streamer.lineBuffer) || streamer.lineBuffer.length) return undefined;
  if (!Array.isArray(streamer.inputQueue) || streamer.inputQueue.length) return undefined;
  if (streamer.literalWaiting || streamer.processingInput) return undefined;
  if (socket.readableLength !== 0 || source.readableLength !== 0 || streamer.writableLength !== 0) return undefined;
  if (inflate && inflate.writableLength !== 0) return undefined;
  const pipes = (source as unknown as { _readableState?: { pipes?: unknown[] } })._readableState?.pipes;
  return Array.isArray(pipes) && pipes.length === 1 && pipes[0] === streamer ? source : undefined;
}

class Hijack {
  private pending: Buffer | undefined;
  private active = true;
  error: unknown;
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);

  constructor(
    private readonly source: Duplex,
    private readonly streamer: Writable,
    private readonly tag: string,
    private readonly onRow: (row: FetchRow) => void,
    private readonly log: ProtocolLog,
  ) {
    source.unpipe(streamer);
    source.on('data', this.onData);
    source.resume();
  }

  private receive(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let pos = 0;
    try {
      for (;;) {
        const end = responseEnd(buf, pos);
        if (end < 0) break;
        if (taggedStatus(buf, pos, end, this.tag)) {
          // imapflow reads its own completion (and anything after it).
          this.restore(buf.subarray(pos));
          return;
        }
        const fetch = parseFetch(buf, pos, end);
        const row = fetch && toFetchRow(fetch.seq, fetch.items);
        if (row && row.uid !== undefined) this.onRow(row);
        else this.streamer.write(buf.subarray(pos, end));
        pos = end;
      }
    } catch (err) {
      // Let imapflow read the rest: it finds the tagged completion and settles the command.
      this.error = err;
      this.log.warn(`lean FETCH reader stopped: ${err instanceof Error ? err.message : String(err)}`);
      this.restore(buf.subarray(pos));
      return;
    }
    if (pos < buf.length) this.pending = Buffer.from(buf.subarray(pos));
  }

  /** Gives the socket back to imapflow, first handing over any bytes not consumed. Idempotent. */
  restore(rest?: Buffer): void {
    if (!this.active) return;
    this.active = false;
    this.source.removeListener('data', this.onData);
    const leftover = rest ?? this.pending;
    this.pending = undefined;
    if (this.source.destroyed || this.streamer.destroyed) return;
    if (leftover?.length) this.streamer.write(leftover);
    this.source.pipe(this.streamer);
  }
}

/** imapflow's parsed attribute tree → ImapValue. */
function toValue(node: unknown): ImapValue {
  if (node === null || node === undefined) return null;
  if (Array.isArray(node)) return node.map(toValue);
  const value = (node as AttributeNode).value;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return null;
}
