/**
 * One account's part of the local search index on disk: `<dir>/<account, base64url>.idx`, written
 * atomically. The first line names the format and holds the SHA-256 of the rest, so a file cut
 * short or altered is recognised (and rebuilt from the caches) instead of half loaded. The body is
 * JSON: the account's term dictionary and, per document, its key, date, flag bits and term numbers.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readFileOrUndefined, writeFileAtomic } from '../atomicFile';

const MAGIC = 'mailroom-search';
export const INDEX_FORMAT_VERSION = 1;
const EXTENSION = '.idx';

/** [uid, date (ms, or null), flag bits, term numbers]. */
export type StoredImapDoc = [number, number | null, number, number[]];
/** [uidl, date (ms, or null), flag bits, term numbers]. */
export type StoredPop3Doc = [string, number | null, number, number[]];

export interface StoredAccount {
  v: number;
  accountId: string;
  terms: string[];
  folders: Array<{ path: string; uidValidity: string; docs: StoredImapDoc[] }>;
  pop3: StoredPop3Doc[];
}

export function indexFileOf(dir: string, accountId: string): string {
  return path.join(dir, `${Buffer.from(accountId, 'utf8').toString('base64url') || '_'}${EXTENSION}`);
}

/** Account ids with a file in `dir`. */
export async function storedAccounts(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith(EXTENSION)).map((n) => (n === `_${EXTENSION}` ? '' : Buffer.from(n.slice(0, -EXTENSION.length), 'base64url').toString('utf8')));
}

export async function writeIndexFile(dir: string, data: StoredAccount): Promise<number> {
  const body = JSON.stringify(data);
  const text = `${MAGIC} ${INDEX_FORMAT_VERSION} ${sha256(body)}\n${body}`;
  await writeFileAtomic(indexFileOf(dir, data.accountId), text);
  return Buffer.byteLength(text);
}

export async function removeIndexFile(dir: string, accountId: string): Promise<void> {
  await fs.rm(indexFileOf(dir, accountId), { force: true });
}

/** The stored account, undefined when there is no file; throws a description when it is damaged. */
export async function readIndexFile(dir: string, accountId: string): Promise<StoredAccount | undefined> {
  const bytes = await readFileOrUndefined(indexFileOf(dir, accountId));
  if (bytes === undefined) return undefined;
  const text = bytes.toString('utf8');
  const newline = text.indexOf('\n');
  const header = (newline < 0 ? text : text.slice(0, newline)).split(' ');
  if (header.length !== 3 || header[0] !== MAGIC) throw new Error('not a search index file');
  if (header[1] !== String(INDEX_FORMAT_VERSION)) throw new Error(`unknown format version ${header[1]}`);
  const body = text.slice(newline + 1);
  if (sha256(body) !== header[2]) throw new Error('checksum mismatch (the file was cut short or altered)');
  const data = JSON.parse(body) as StoredAccount;
  check(data, accountId);
  return data;
}

function check(d: StoredAccount, accountId: string): void {
  if (typeof d !== 'object' || d === null || d.v !== INDEX_FORMAT_VERSION || d.accountId !== accountId) throw new Error('not this account’s index');
  if (!Array.isArray(d.terms) || !d.terms.every((t) => typeof t === 'string')) throw new Error('bad terms');
  const n = d.terms.length;
  const termsOk = (ts: unknown): boolean => Array.isArray(ts) && ts.every((t) => Number.isInteger(t) && (t as number) >= 0 && (t as number) < n);
  const docOk = (doc: unknown, key: (k: unknown) => boolean): boolean =>
    Array.isArray(doc) && doc.length === 4 && key(doc[0]) && (doc[1] === null || typeof doc[1] === 'number') && Number.isInteger(doc[2]) && termsOk(doc[3]);
  if (!Array.isArray(d.folders)) throw new Error('bad folders');
  for (const f of d.folders) {
    if (typeof f?.path !== 'string' || typeof f.uidValidity !== 'string' || !Array.isArray(f.docs)) throw new Error('bad folder');
    if (!f.docs.every((doc) => docOk(doc, (k) => Number.isSafeInteger(k) && (k as number) > 0))) throw new Error(`bad document in "${f.path}"`);
  }
  if (!Array.isArray(d.pop3) || !d.pop3.every((doc) => docOk(doc, (k) => typeof k === 'string'))) throw new Error('bad POP3 document');
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}
