// Conversations against real Dovecot with real thread mail (user "threads", test/fixtures/threadMail.ts):
// the server's UID THREAD (REFS) and local JWZ threading must group the same messages, including
// broken References, a loop, missing parents, out-of-order arrival and duplicate Message-IDs; the
// user's replies in Sent join their threads; new mail and expunges update the threads live.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { connectImap } from '../../src/protocol/imap/connect';
import { silentLog } from '../../src/protocol/log';
import { FolderThreads, parseMessageKey } from '../../src/protocol/threads/folderThreads';
import { BuiltAccount, buildAccount, plainImapAccount, waitFor } from '../fixtures/accountHarness';
import { DovecotFixture, ExtraUser, startDovecot } from '../fixtures/dovecot';
import { EXPECTED_INBOX_THREADS, THREAD_FOLDERS, THREADS_USER } from '../fixtures/threadMail';
import { requireDovecot } from './requireDovecot';

/** Dovecot 2.3's capability list after login; `imap_capability` replaces it (here: without THREAD). */
const DOVECOT_CAPS =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE';
const WITHOUT_THREAD = `imap_capability = ${DOVECOT_CAPS.split(' ').filter((c) => !c.startsWith('THREAD=')).join(' ')}`;

const USER: ExtraUser = { ...THREADS_USER, folders: THREAD_FOLDERS };

/** Each thread as the sorted Message-ID names of its messages, threads in the order listed. */
function grouping(threads: FolderThreads): string[][] {
  return threads.threads().map((t) =>
    t.keys
      .map((key) => {
        const { path: folder, uid } = parseMessageKey(key);
        const id = threads.cache(folder)?.get(uid)?.messageId ?? '?';
        return id.replace(/@.*/, '');
      })
      .sort(),
  );
}

for (const variant of [
  { name: 'with the server offering THREAD', configExtra: undefined, source: 'server' },
  { name: 'with THREAD switched off (imap_capability)', configExtra: WITHOUT_THREAD, source: 'local' },
] as const) {
  describe(`conversations against Dovecot ${variant.name}`, function () {
    this.timeout(90_000);
    let dovecot: DovecotFixture;
    let dir: string;
    let built: BuiltAccount | undefined;
    let other: ImapFlow | undefined;

    before(async function () {
      requireDovecot(this);
      dovecot = await startDovecot({ extraUsers: [USER], ...(variant.configExtra ? { configExtra: variant.configExtra } : {}) });
    });
    after(async () => {
      await dovecot?.stop();
    });
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-threads-'));
      built = buildAccount(plainImapAccount(USER, dovecot.ports.imap), USER.password, { root: dir });
    });
    afterEach(async () => {
      await built?.account.close();
      if (other?.usable) await other.logout().catch(() => other?.close());
      other = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('groups the seeded conversations, Sent replies included, whatever the headers got wrong', async () => {
      const account = (built as BuiltAccount).account;
      const threads = await FolderThreads.build(account, 'INBOX', { log: silentLog });
      try {
        assert.equal(threads.source, variant.source, 'where the grouping came from');
        assert.equal(threads.sentPath, 'Sent');
        assert.deepEqual(grouping(threads), EXPECTED_INBOX_THREADS.map((t) => [...t.names].sort()));
        // Oldest first inside a thread: the out-of-order pair lists the parent first.
        const late = threads.threads().find((t) => t.keys.length === 2 && grouping(threads)[threads.threads().indexOf(t)].includes('late1'));
        assert.ok(late);
        assert.equal(threads.cache('INBOX')?.get(parseMessageKey(late.keys[0]).uid)?.messageId, 'late1@threads.test');
      } finally {
        threads.dispose();
      }
    });

    it('upgrades a header cache written before References were kept: nothing refetched but the two headers, same threads', async () => {
      const account = (built as BuiltAccount).account;
      await account.openFolder('INBOX');
      await account.sync('INBOX');
      await (built as BuiltAccount).headers.flushAll();
      await account.close();
      // Rewrite INBOX's cache file as version 1 (no In-Reply-To, no References).
      const accountDir = path.join(dir, 'headers', fs.readdirSync(path.join(dir, 'headers'))[0]);
      const index = JSON.parse(fs.readFileSync(path.join(accountDir, 'index.json'), 'utf8')) as { folders: Record<string, string> };
      const file = path.join(accountDir, index.folders.INBOX);
      const v1 = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      v1.v = 1;
      delete v1.inReplyTo;
      delete v1.references;
      fs.writeFileSync(file, JSON.stringify(v1));

      built = buildAccount(plainImapAccount(USER, dovecot.ports.imap), USER.password, { root: dir });
      const cache = await built.headers.folder(`acct-${USER.user}`, 'INBOX');
      assert.equal(cache.needsThreadHeaders(), true);
      assert.equal(cache.count(), EXPECTED_INBOX_THREADS.flatMap((t) => t.names).filter((n) => !n.startsWith('sent')).length, 'the old cache loaded whole');
      const result = await built.account.sync('INBOX');
      assert.deepEqual(result.added, [], 'no envelope fetched again');
      assert.equal(cache.needsThreadHeaders(), false);
      assert.ok(built.log.lines.some((l) => l.includes('fetching In-Reply-To and References')), built.log.lines.join('\n'));
      const threads = await FolderThreads.build(built.account, 'INBOX', { log: silentLog });
      try {
        assert.deepEqual(grouping(threads), EXPECTED_INBOX_THREADS.map((t) => [...t.names].sort()));
      } finally {
        threads.dispose();
      }
    });

    it('updates live: a reply from elsewhere joins its thread, an expunge leaves it, nothing else is re-threaded', async () => {
      const account = (built as BuiltAccount).account;
      const threads = await FolderThreads.build(account, 'INBOX', { log: silentLog });
      try {
        const before = threads.threads();
        const lunch = before.find((t) => grouping(threads)[before.indexOf(t)].join() === 'lunch1');
        const loop = before.find((t) => grouping(threads)[before.indexOf(t)].join() === 'loop1,loop2');
        assert.ok(lunch && loop);
        other = await connectImap({ account: plainImapAccount(USER, dovecot.ports.imap), password: USER.password, log: silentLog, timeoutMs: 5000 });
        const reply = [
          'From: Dan <dan@example.test>',
          'To: threads@example.test',
          'Subject: Re: Lunch?',
          'Date: Tue, 04 Mar 2025 12:00:00 +0000',
          'Message-ID: <lunch3@threads.test>',
          'In-Reply-To: <lunch1@threads.test>',
          'References: <lunch1@threads.test>',
          '',
          'Count me in.',
          '',
        ].join('\r\n');
        let changes = 0;
        threads.onDidChange(() => changes++);
        await other.append('INBOX', Buffer.from(reply), []);
        await account.sync('INBOX');
        await waitFor('the reply in the lunch thread', () => grouping(threads).some((g) => g.join() === 'lunch1,lunch3'));
        assert.ok(changes >= 1);
        assert.equal(grouping(threads)[0].join(), 'lunch1,lunch3', 'the thread with the newest message comes first');
        assert.equal(threads.thread(loop.id), loop, 'an untouched thread keeps its object: it was not re-threaded');

        // The other device deletes the first message of the release thread: the rest stays together.
        const lock = await other.getMailboxLock('INBOX');
        try {
          await other.messageDelete({ header: { 'message-id': '<release1@threads.test>' } });
        } finally {
          lock.release();
        }
        await account.sync('INBOX');
        await waitFor('release1 gone', () => grouping(threads).some((g) => g.join() === 'release2,release3,release4,sent1'));
      } finally {
        threads.dispose();
      }
    });
  });
}
