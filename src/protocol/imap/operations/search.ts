/**
 * Server-side search: UID SEARCH in one folder, or in several folders one after the other with
 * the hits tagged by folder. Nothing is downloaded to search; the server does the matching
 * (Dovecot without an FTS plugin scans bodies itself, which is slow on huge folders but exact).
 */
import type { ImapFlow, SearchObject } from 'imapflow';
import { MailError } from '../../errors';
import { ImapCommandError, withMailbox } from './command';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT } from './limits';
import { runCommand } from './run';
import { normalizeUids } from './uidSet';

export interface SearchCriteria {
  from?: string;
  to?: string;
  subject?: string;
  /** Body text only. */
  body?: string;
  /** Headers and body. */
  text?: string;
  /** Arrival date (INTERNALDATE) on or after this local calendar day (IMAP compares whole days). */
  since?: Date;
  /** Arrival date before this local calendar day. */
  before?: Date;
  /** true: only unread; false: only read. */
  unread?: boolean;
  /** true: only flagged; false: only unflagged. */
  flagged?: boolean;
  /**
   * Also match messages flagged \Deleted (default false: UNDELETED is added). Without UIDPLUS a
   * move leaves its originals flagged \Deleted in the source; they should not show up as hits.
   */
  includeDeleted?: boolean;
}

export interface SearchOptions {
  /** Most UIDs returned per folder (newest kept). Default DEFAULT_SEARCH_LIMIT. */
  limit?: number;
}

export interface FolderSearchResult {
  path: string;
  uidValidity: string;
  /** Newest first (highest UID first), at most `limit`. */
  uids: number[];
  /** How many messages matched before the cap. */
  total: number;
  /** True when `total` > uids.length. */
  capped: boolean;
}

export interface AccountSearchResult {
  /** One entry per folder searched, in the order given (folders without hits included). */
  folders: FolderSearchResult[];
  /** Folders that could not be searched (deleted meanwhile, refused by the server). */
  failed: Array<{ path: string; error: MailError }>;
  /** Matches in all folders, before caps. */
  total: number;
  /** True when any folder's result was capped. */
  capped: boolean;
}

/** UIDs matching `criteria` in `path`, newest first, at most `options.limit`. */
export async function searchFolder(client: ImapFlow, path: string, criteria: SearchCriteria, options: SearchOptions = {}): Promise<number[]> {
  return (await searchFolderDetailed(client, path, criteria, options)).uids;
}

/** searchFolder with the folder's UIDVALIDITY, the uncapped count and whether it was capped. */
export async function searchFolderDetailed(client: ImapFlow, path: string, criteria: SearchCriteria, options: SearchOptions = {}): Promise<FolderSearchResult> {
  const query = compileCriteria(criteria);
  const limit = limitOf(options);
  return withMailbox(client, path, { readOnly: true, description: 'search' }, async (mailbox) => {
    const found = normalizeUids(await runCommand(client, `search "${path}"`, () => client.search(query, { uid: true })));
    const newestFirst = found.reverse();
    return { path, uidValidity: mailbox.uidValidity.toString(), uids: newestFirst.slice(0, limit), total: newestFirst.length, capped: newestFirst.length > limit };
  });
}

/**
 * Searches each of `paths` in turn (one connection, one folder at a time). A folder that is gone
 * or refuses the search is reported in `failed` and the others are still searched; a lost
 * connection ends the whole search with its error.
 */
export async function searchAccount(client: ImapFlow, paths: readonly string[], criteria: SearchCriteria, options: SearchOptions = {}): Promise<AccountSearchResult> {
  compileCriteria(criteria);
  const result: AccountSearchResult = { folders: [], failed: [], total: 0, capped: false };
  for (const path of paths) {
    try {
      const folder = await searchFolderDetailed(client, path, criteria, options);
      result.folders.push(folder);
      result.total += folder.total;
      result.capped ||= folder.capped;
    } catch (err) {
      if (!MailError.is(err) || !(err.code === 'MailboxNotFound' || err.code === 'CommandFailed')) throw err;
      result.failed.push({ path, error: err });
    }
  }
  return result;
}

/** Criteria → imapflow's search object (SEARCH keys FROM, TO, SUBJECT, BODY, TEXT, SINCE, BEFORE, (UN)SEEN, (UN)FLAGGED, UNDELETED). */
export function compileCriteria(criteria: SearchCriteria): SearchObject {
  const query: SearchObject = {};
  for (const key of ['from', 'to', 'subject', 'body', 'text'] as const) {
    const value = criteria[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(`${key} must be text`);
    if (/[\r\n\0]/.test(value)) throw invalid(`${key} cannot contain line breaks`);
    if (value.trim()) query[key] = value;
  }
  for (const key of ['since', 'before'] as const) {
    const value = criteria[key];
    if (value === undefined) continue;
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(`${key} must be a valid date`);
    // IMAP compares whole days and imapflow sends the UTC day of a Date: pass the caller's local
    // calendar day as UTC midnight, so "since 1 March" picked in Berlin stays 1 March.
    query[key] = new Date(Date.UTC(value.getFullYear(), value.getMonth(), value.getDate()));
  }
  if (criteria.unread !== undefined) query.seen = !criteria.unread;
  if (criteria.flagged !== undefined) query.flagged = criteria.flagged;
  if (criteria.includeDeleted !== true) query.deleted = false;
  return query;
}

function limitOf(options: SearchOptions): number {
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw invalid('the result limit must be a positive whole number');
  return Math.min(limit, MAX_SEARCH_LIMIT);
}

function invalid(problem: string): ImapCommandError {
  return new ImapCommandError(`The search is not valid: ${problem}.`, undefined, undefined, { detail: 'invalid search, not sent' });
}
