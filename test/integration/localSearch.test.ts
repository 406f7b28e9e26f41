// Local search against real mail: an IMAP account synced from Dovecot (two folders, one body
// fetched) and a POP3 account checked from it, indexed from the real caches; then Dovecot is
// stopped and the index answers, also after a restart of the index (as after a VS Code restart).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccountConfig } from '../../src/protocol/account';
import { MailQuery, parseMailQuery } from '../../src/protocol/searchQuery';
import { silentLog } from '../../src/protocol/log';
import { checkMail, Pop3Cache } from '../../src/store/pop3';
import { cacheSources } from '../../src/store/search/cacheSources';
import { LocalSearchIndex, SearchHit } from '../../src/store/search/localIndex';
import { BuiltAccount, buildAccount, plainImapAccount, seededUser, waitFor } from '../fixtures/accountHarness';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { requireDovecot } from './requireDovecot';

const IMAP_USER = seededUser('searchimap', { INBOX: 40, Projects: 10 });
const POP3_USER = seededUser('searchpop', { INBOX: 12 });

function q(text: string): MailQuery {
  const parsed = parseMailQuery(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

const keys = (hits: SearchHit[]): string[] => hits.map((h) => (h.protocol === 'imap' ? `${h.path}/${h.uid}` : 'pop3'));

describe('local search over mail synced from Dovecot', function () {
  this.timeout(90_000);
  let dovecot: DovecotFixture;
  let root: string;
  let built: BuiltAccount;
  let pop3Cache: Pop3Cache;
  const pop3Account = (): AccountConfig => ({ id: 'pop-search', label: 'pop', protocol: 'pop3', host: '127.0.0.1', port: dovecot.ports.pop3, security: 'none', allowPlaintextPassword: true, user: POP3_USER.user });
  const accounts = (): Array<{ id: string; protocol: 'imap' | 'pop3' }> => [
    { id: built.account.id, protocol: 'imap' },
    { id: 'pop-search', protocol: 'pop3' },
  ];
  const openIndex = (): LocalSearchIndex =>
    new LocalSearchIndex({
      dir: path.join(root, 'search'),
      log: silentLog,
      sources: cacheSources({ accounts, headers: built.headers, bodies: built.bodies, pop3: () => Promise.resolve(pop3Cache) }),
    });

  before(async function () {
    requireDovecot(this);
    dovecot = await startDovecot({ extraUsers: [IMAP_USER, POP3_USER] });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-localsearch-'));
    built = buildAccount(plainImapAccount(IMAP_USER, dovecot.ports.imap), IMAP_USER.password, { root });
    for (const [folder, count] of [['INBOX', 40], ['Projects', 10]] as const) {
      const cache = await built.account.openFolder(folder);
      await waitFor(`${folder} synced`, () => cache.count() === count && cache.state() !== undefined);
    }
    await built.account.source('INBOX', 5); // the body of one message, as opening it does
    pop3Cache = await Pop3Cache.open(path.join(root, 'pop3'), 'pop-search');
    const report = await checkMail({ account: pop3Account(), password: POP3_USER.password, cache: pop3Cache, policy: { leaveOnServer: true }, log: silentLog, timeoutMs: 10_000, lockDir: path.join(root, 'locks') });
    assert.equal(report.downloaded, 12);
  });

  after(async () => {
    await dovecot?.startServer().catch(() => undefined);
    await built?.account.close();
    await built?.headers.flushAll();
    await dovecot?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('answers from the caches with the server stopped, before and after a restart of the index', async () => {
    await dovecot.stopServer();
    const first = openIndex();
    await first.refresh();
    assert.equal(first.size, 40 + 10 + 12);
    const check = (index: LocalSearchIndex): void => {
      assert.deepEqual(keys(index.search(q('projects message 3'))), ['Projects/3']);
      assert.deepEqual(keys(index.search(q('folder:projects is:flagged'))), ['Projects/7']);
      // The body of INBOX 5 is cached: its words are found, in the body field only for that one.
      assert.deepEqual(keys(index.search(q('body:searchimap'))), ['INBOX/5']);
      // folder:inbox is the POP3 account's only mailbox too (its message 3 is from sender3 as well).
      assert.deepEqual(keys(index.search(q('from:sender3 folder:inbox'), 100)).sort(), ['INBOX/20', 'INBOX/3', 'INBOX/37', 'pop3']);
      // 13 unseen in the IMAP INBOX, and all 12 POP3 messages (their read state is local and new).
      assert.equal(index.search(q('is:unread folder:inbox'), 100).length, 13 + 12);
      // POP3 messages are indexed whole (bodies downloaded by the check).
      assert.equal(index.search(q('body:searchpop'), 100).filter((h) => h.protocol === 'pop3').length, 12);
    };
    check(first);
    await first.flush();

    const second = openIndex();
    await second.refresh();
    assert.equal(second.size, 62);
    check(second);
  });
});
