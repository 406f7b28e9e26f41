/**
 * The real caches as the search index reads them (SearchSources), and the body text it indexes:
 * the parsed text/plain (or text from HTML), To and Cc, and whether an attachment is listed.
 */
import { parseMessageStream } from '../../protocol/mime/parseMessageStream';
import type { BodyCache } from '../bodyCache';
import type { HeaderCache } from '../headerCache';
import type { Pop3Cache } from '../pop3/cache';
import type { BodyText, SearchSources } from './localIndex';

export interface CacheSourcesOptions {
  accounts(): Array<{ id: string; protocol: 'imap' | 'pop3' }>;
  headers: HeaderCache;
  bodies: BodyCache;
  pop3(accountId: string): Promise<Pop3Cache>;
}

export function cacheSources(o: CacheSourcesOptions): SearchSources {
  return {
    accounts: () => o.accounts(),
    knownFolders: (accountId) => o.headers.knownFolders(accountId),
    folder: (accountId, path) => o.headers.folder(accountId, path),
    cachedBodies: (accountId) => o.bodies.cachedIn(accountId),
    readBody: (accountId, path, uidValidity, uid) => o.bodies.peek(accountId, path, uidValidity, uid),
    pop3Messages: async (accountId) => (await o.pop3(accountId)).list(),
    readPop3: async (accountId, uidl) => (await o.pop3(accountId)).readSource(uidl),
    parseBody,
  };
}

export async function parseBody(bytes: Buffer): Promise<BodyText> {
  const parsed = await parseMessageStream(bytes, { inlineImageBudgetBytes: 0 });
  const recipients = [...parsed.to, ...parsed.cc].map((a) => `${a.name} ${a.address}`).join(' ');
  return { text: parsed.text, recipients, hasAttachment: parsed.attachments.some((a) => !a.related) };
}
