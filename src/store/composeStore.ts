/**
 * Local compose sessions: each message being written is a folder in global storage,
 *
 *     compose/<id>/meta.json            ComposeMeta (atomic writes)
 *     compose/<id>/<safe subject>.mail   the document the editor tab shows
 *     compose/<id>/attachments/<name>    files named on its Attach: lines
 *
 * plus compose/recipients.json, the addresses the user sent to (address completion). The document
 * is a real file so typing is never lost; a session is removed only after its message reached the
 * outbox, or when the user discards it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { MailError } from '../protocol/errors';
import type { ProtocolLog } from '../protocol/log';
import { safeFilename } from '../protocol/mime/safeFilename';
import { CorruptFileError, readJsonOrUndefined, removeStaleTempFiles, writeFileAtomic } from './atomicFile';

export type ComposeMode = 'new' | 'reply' | 'replyAll' | 'forward' | 'forwardAsAttachment';

/** The message a reply or forward answers (\Answered / $Forwarded is set on it after sending). */
export type ComposeOriginal =
  | { accountId: string; protocol: 'imap'; path: string; uidValidity: string; uid: number }
  | { accountId: string; protocol: 'pop3'; uidl: string };

export interface ComposeAttachment {
  /** File name inside the session's attachments folder, as written on the Attach: line. */
  name: string;
  contentType?: string;
  size: number;
}

export interface ComposeMeta {
  version: 1;
  id: string;
  accountId: string;
  mode: ComposeMode;
  /** File name of the document inside the session folder. */
  documentName: string;
  createdAt: string;
  inReplyTo?: string;
  references: string[];
  original?: ComposeOriginal;
  attachments: ComposeAttachment[];
  /** Value of X-Mailroom-Draft on this session's drafts: one draft per session on the server. */
  draftId: string;
  /** sha256 of the document as first written, and as last saved to Drafts (close prompt). */
  initialDigest: string;
  draftDigest?: string;
  draftSavedAt?: string;
  /** Set once the message is in the outbox; the session is then removed. */
  sent?: boolean;
  outboxId?: string;
}

export interface NewComposeSession {
  accountId: string;
  mode: ComposeMode;
  subject: string;
  text: string;
  inReplyTo?: string;
  references?: string[];
  original?: ComposeOriginal;
}

export interface RecentRecipient {
  address: string;
  name: string;
  count: number;
  /** ms since epoch. */
  lastUsed: number;
}

/** Per account; the least recently used fall off (completion wants the recent ones). */
export const MAX_RECENT_RECIPIENTS = 500;
/** Subject part of the document's file name; tab titles stay readable and paths short. */
const MAX_DOCUMENT_NAME_CHARS = 60;
const SESSION_ID = /^[0-9a-f]{16}$/;

export class ComposeStore {
  private readonly chains = new Map<string, Promise<unknown>>();

  private constructor(readonly dir: string, private readonly log?: ProtocolLog) {}

  static async open(dir: string, log?: ProtocolLog): Promise<ComposeStore> {
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (e) {
      throw new MailError('StorageFailed', 'Could not create the compose folder.', { detail: String(e), cause: e });
    }
    await removeStaleTempFiles(dir);
    return new ComposeStore(dir, log);
  }

  async create(init: NewComposeSession): Promise<ComposeMeta> {
    const id = randomBytes(8).toString('hex');
    const meta: ComposeMeta = {
      version: 1,
      id,
      accountId: init.accountId,
      mode: init.mode,
      documentName: `${safeFileName(init.subject, 'message', MAX_DOCUMENT_NAME_CHARS)}.mail`,
      createdAt: new Date().toISOString(),
      references: init.references ?? [],
      ...(init.inReplyTo ? { inReplyTo: init.inReplyTo } : {}),
      ...(init.original ? { original: init.original } : {}),
      attachments: [],
      draftId: randomBytes(12).toString('hex'),
      initialDigest: digest(init.text),
    };
    await fs.mkdir(this.attachmentsDir(id), { recursive: true }).catch((e: unknown) => {
      throw new MailError('StorageFailed', 'Could not create a compose folder.', { detail: String(e), cause: e });
    });
    await writeFileAtomic(this.documentPath(meta), init.text);
    await this.writeMeta(meta);
    return meta;
  }

  /** Sessions on disk, oldest first; unreadable ones are logged and skipped (never deleted). */
  async list(): Promise<ComposeMeta[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const metas: ComposeMeta[] = [];
    for (const name of names.filter((n) => SESSION_ID.test(n))) {
      const meta = await this.get(name).catch((err: unknown) => {
        this.log?.warn(`compose session ${name} unreadable: ${MailError.from(err).message}`);
        return undefined;
      });
      if (meta) metas.push(meta);
    }
    return metas.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(id: string): Promise<ComposeMeta | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    const raw = await readJsonOrUndefined<ComposeMeta>(path.join(this.sessionDir(id), 'meta.json'));
    if (raw === undefined) return undefined;
    if (raw.version !== 1 || raw.id !== id || typeof raw.documentName !== 'string' || !Array.isArray(raw.attachments)) {
      throw new CorruptFileError(path.join(this.sessionDir(id), 'meta.json'), 'not a compose session');
    }
    return raw;
  }

  /** The session whose document is this file, if any. */
  sessionIdOf(file: string): string | undefined {
    const rel = path.relative(this.dir, file);
    const [id, name, more] = rel.split(path.sep);
    return id && name?.endsWith('.mail') && more === undefined && SESSION_ID.test(id) ? id : undefined;
  }

  async update(id: string, patch: Partial<Omit<ComposeMeta, 'id' | 'version'>>): Promise<ComposeMeta> {
    return this.serialized(id, async () => {
      const meta = await this.require(id);
      const next = { ...meta, ...patch };
      await this.writeMeta(next);
      return next;
    });
  }

  documentPath(meta: Pick<ComposeMeta, 'id' | 'documentName'>): string {
    return path.join(this.sessionDir(meta.id), meta.documentName);
  }

  attachmentsDir(id: string): string {
    return path.join(this.sessionDir(id), 'attachments');
  }

  async readDocument(meta: ComposeMeta): Promise<string> {
    try {
      return await fs.readFile(this.documentPath(meta), 'utf8');
    } catch (e) {
      throw new MailError('StorageFailed', 'The message being written could not be read.', { detail: String(e), cause: e });
    }
  }

  async writeDocument(meta: ComposeMeta, text: string): Promise<void> {
    await this.serialized(meta.id, () => writeFileAtomic(this.documentPath(meta), text));
  }

  /** Copies a file in as an attachment; returns its (possibly de-duplicated) name. */
  async attachFile(id: string, source: string, contentType?: string): Promise<ComposeAttachment> {
    return this.addAttachment(id, path.basename(source), contentType, async (target) => {
      await fs.copyFile(source, target);
    });
  }

  /** Writes bytes (or a stream, e.g. a forwarded part) as an attachment. */
  async attachData(id: string, name: string, data: Buffer | Readable | ((sink: NodeJS.WritableStream) => Promise<void>), contentType?: string): Promise<ComposeAttachment> {
    return this.addAttachment(id, name, contentType, async (target) => {
      if (Buffer.isBuffer(data)) await fs.writeFile(target, data, { mode: 0o600 });
      else if (typeof data === 'function') {
        const sink = createWriteStream(target, { mode: 0o600 });
        const closed = new Promise<void>((resolve, reject) => {
          sink.on('close', resolve);
          sink.on('error', reject);
        });
        try {
          await data(sink);
        } finally {
          sink.end();
        }
        await closed;
      } else await pipeline(data, createWriteStream(target, { mode: 0o600 }));
    });
  }

  attachmentPath(id: string, name: string): string {
    return path.join(this.attachmentsDir(id), safeFilename(name));
  }

  /** Removes a session and its files (sent, or discarded by the user). */
  async remove(id: string): Promise<void> {
    if (!SESSION_ID.test(id)) return;
    await this.serialized(id, () => fs.rm(this.sessionDir(id), { recursive: true, force: true }));
    this.chains.delete(id);
  }

  // ---- recently used recipients ---------------------------------------------------------------

  async recentRecipients(accountId: string): Promise<RecentRecipient[]> {
    const all = await this.readRecipients();
    return all[accountId] ?? [];
  }

  /** Counts one more use of each address (lower-cased), keeping the newest display name. */
  async recordRecipients(accountId: string, list: ReadonlyArray<{ name: string; address: string }>, now = Date.now()): Promise<void> {
    await this.serialized('recipients', async () => {
      const all = await this.readRecipients();
      const byAddress = new Map((all[accountId] ?? []).map((r) => [r.address, r]));
      for (const { name, address } of list) {
        const key = address.trim().toLowerCase();
        if (!key) continue;
        const previous = byAddress.get(key);
        byAddress.set(key, { address: key, name: name.trim() || previous?.name || '', count: (previous?.count ?? 0) + 1, lastUsed: now });
      }
      all[accountId] = [...byAddress.values()].sort((a, b) => b.lastUsed - a.lastUsed).slice(0, MAX_RECENT_RECIPIENTS);
      await writeFileAtomic(this.recipientsFile(), JSON.stringify(all));
    });
  }

  async dropAccountRecipients(accountId: string): Promise<void> {
    await this.serialized('recipients', async () => {
      const all = await this.readRecipients();
      if (!(accountId in all)) return;
      delete all[accountId];
      await writeFileAtomic(this.recipientsFile(), JSON.stringify(all));
    });
  }

  // ---- internals -------------------------------------------------------------------------------

  private sessionDir(id: string): string {
    if (!SESSION_ID.test(id)) throw new MailError('StorageFailed', 'Not a compose session.', { detail: id });
    return path.join(this.dir, id);
  }

  private recipientsFile(): string {
    return path.join(this.dir, 'recipients.json');
  }

  private async readRecipients(): Promise<Record<string, RecentRecipient[]>> {
    try {
      const raw = await readJsonOrUndefined<unknown>(this.recipientsFile());
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
      const out: Record<string, RecentRecipient[]> = {};
      for (const [accountId, list] of Object.entries(raw as Record<string, unknown>)) {
        if (!Array.isArray(list)) continue;
        out[accountId] = list.filter(
          (r): r is RecentRecipient =>
            typeof r === 'object' && r !== null && typeof (r as RecentRecipient).address === 'string' && typeof (r as RecentRecipient).count === 'number' && typeof (r as RecentRecipient).lastUsed === 'number',
        );
      }
      return out;
    } catch (err) {
      // A corrupt recipients file only costs suggestions: start over rather than fail sending.
      this.log?.warn(`recent recipients reset: ${MailError.from(err).message}`);
      return {};
    }
  }

  private async require(id: string): Promise<ComposeMeta> {
    const meta = await this.get(id);
    if (!meta) throw new MailError('StorageFailed', 'The message being written no longer exists.', { detail: id });
    return meta;
  }

  private async addAttachment(id: string, wanted: string, contentType: string | undefined, write: (target: string) => Promise<void>): Promise<ComposeAttachment> {
    return this.serialized(id, async () => {
      const meta = await this.require(id);
      const dir = this.attachmentsDir(id);
      await fs.mkdir(dir, { recursive: true });
      // Names can come from a forwarded message: hostile (bidi tricks, device names, `..`).
      const name = uniqueName(safeFilename(wanted), new Set((await fs.readdir(dir)).map((n) => n.toLowerCase())));
      const target = path.join(dir, name);
      try {
        await write(target);
      } catch (e) {
        await fs.rm(target, { force: true }).catch(() => undefined);
        throw new MailError('StorageFailed', `Could not attach ${name}.`, { detail: e instanceof Error ? e.message : String(e), cause: e });
      }
      const { size } = await fs.stat(target);
      const attachment: ComposeAttachment = { name, size, ...(contentType ? { contentType } : {}) };
      await this.writeMeta({ ...meta, attachments: [...meta.attachments.filter((a) => a.name !== name), attachment] });
      return attachment;
    });
  }

  private writeMeta(meta: ComposeMeta): Promise<void> {
    return writeFileAtomic(path.join(this.sessionDir(meta.id), 'meta.json'), JSON.stringify(meta, null, 2));
  }

  /** One write at a time per key, in call order; a failure does not block the next. */
  private serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.chains.set(key, next);
    return next;
  }
}

export function digest(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n?/g, '\n')).digest('hex');
}

/**
 * The document's file name from a subject (hostile text when replying): one readable path segment.
 * Unsafe characters become spaces, not underscores, since this is a tab title; safeFilename then
 * applies the same rules as to attachment names (bidi marks, `..`, device names, dots).
 */
export function safeFileName(name: string, fallback: string, maxChars = 120): string {
  // eslint-disable-next-line no-control-regex
  const readable = name.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, ' ').replace(/\s+/g, ' ').trim();
  let clean = safeFilename(readable, fallback);
  if (clean.length > maxChars) {
    const ext = path.extname(clean);
    const keep = ext.length > 0 && ext.length < 12 ? ext : '';
    clean = clean.slice(0, maxChars - keep.length).trimEnd() + keep;
  }
  return clean;
}

function uniqueName(name: string, taken: Set<string>): string {
  if (!taken.has(name.toLowerCase())) return name;
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 2; n < 10_000; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
  return `${stem}-${randomBytes(4).toString('hex')}${ext}`;
}
