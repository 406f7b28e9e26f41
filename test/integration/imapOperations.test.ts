import * as assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { connectImap } from '../../src/protocol/imap/connect';
import { ImapCommandError } from '../../src/protocol/imap/operations/command';
import { markAllRead, setFlags } from '../../src/protocol/imap/operations/flags';
import { createFolder, deleteFolder, findSpecialUseFolder, listAllFolders, renameFolder, setSubscribed } from '../../src/protocol/imap/operations/folders';
import { copyMessages, deleteMessages, moveMessages } from '../../src/protocol/imap/operations/move';
import { searchAccount, searchFolder, searchFolderDetailed } from '../../src/protocol/imap/operations/search';
import { ProtocolLog } from '../../src/protocol/log';
import { DovecotFixture, startDovecot } from '../fixtures/dovecot';
import { LineClient } from '../fixtures/lineClient';
import { buildMessage } from '../fixtures/messages';
import { ALICE_SEED } from '../fixtures/seed';
import { requireDovecot } from './requireDovecot';

type RecordingLog = ProtocolLog & { lines: string[] };

function recordingLog(): RecordingLog {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, trace: push, debug: push, info: push, warn: push, error: push };
}

/** Dovecot 2.3's default capability list after login; `imap_capability` replaces it. */
const DOVECOT_CAPS =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE';

function capabilitiesWithout(...hidden: string[]): string {
  return `imap_capability = ${DOVECOT_CAPS.split(' ').filter((c) => !hidden.includes(c)).join(' ')}`;
}

/** Commands our client sent, from imapflow's "C: <tag> <command>" debug lines. */
function sentCommands(log: RecordingLog): string[] {
  return log.lines.filter((l) => l.startsWith('C: ')).map((l) => l.slice(3).replace(/^\S+ /, ''));
}

/** A plain EXPUNGE (not UID EXPUNGE) or CLOSE: both remove every \Deleted message of the folder. */
function sentBlanketExpunge(log: RecordingLog): boolean {
  return sentCommands(log).some((c) => /^(EXPUNGE|CLOSE)\b/i.test(c));
}

interface Harness {
  dovecot: DovecotFixture;
  /** Our client (the code under test) with its log. */
  open(): Promise<{ client: ImapFlow; log: RecordingLog }>;
  /** Another IMAP client: seeds data, plays "another device", verifies results independently. */
  other(): Promise<ImapFlow>;
  close(): Promise<void>;
}

function harness(configExtra?: string): () => Harness {
  let h: Harness | undefined;
  before(async function () {
    requireDovecot(this);
    const dovecot = await startDovecot(configExtra ? { configExtra } : {});
    const clients: ImapFlow[] = [];
    const account: AccountConfig = {
      id: 'alice',
      protocol: 'imap',
      host: dovecot.host,
      port: dovecot.ports.imaps,
      security: 'tls',
      user: dovecot.users.alice.user,
      trustedCertificateSha256: dovecot.certSha256,
    };
    const connect = async (log: ProtocolLog): Promise<ImapFlow> => {
      const client = await connectImap({ account, password: dovecot.users.alice.password, log, timeoutMs: 10_000 });
      clients.push(client);
      return client;
    };
    let witness: ImapFlow | undefined;
    h = {
      dovecot,
      open: async () => {
        const log = recordingLog();
        return { client: await connect(log), log };
      },
      other: async () => (witness?.usable ? witness : (witness = await connect(recordingLog()))),
      close: async () => {
        await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
        await dovecot.stop();
      },
    };
  });
  after(async () => {
    await h?.close();
  });
  return () => {
    if (!h) throw new Error('Dovecot harness not started');
    return h;
  };
}

/** Creates `path` and appends `count` messages "<tag> n" (Message-ID <tag>-n@ops.test); returns their UIDs in order. */
async function seedFolder(other: ImapFlow, path: string, tag: string, count: number, flags: string[] = []): Promise<number[]> {
  await other.mailboxCreate(path);
  for (let i = 1; i <= count; i++) {
    const raw = buildMessage({
      from: { name: 'Seeder', address: 'seeder@example.test' },
      to: [{ address: 'alice@example.test' }],
      subject: `${tag} ${i}`,
      date: new Date(Date.UTC(2025, 0, i, 12)),
      messageId: `${tag}-${i}@ops.test`,
      body: { kind: 'text', text: `Body of ${tag} ${i}.\n` },
    });
    await other.append(path, raw, flags);
  }
  const state = await folderState(other, path);
  return [...state.values()].map((m) => m.uid).sort((a, b) => a - b);
}

interface SeenMessage {
  uid: number;
  flags: Set<string>;
  modseq: bigint | undefined;
}

/** Message-ID → UID and flags, read by the other client after a NOOP (fresh state). */
async function folderState(other: ImapFlow, path: string): Promise<Map<string, SeenMessage>> {
  const lock = await other.getMailboxLock(path, { readOnly: true });
  try {
    await other.noop();
    const result = new Map<string, SeenMessage>();
    if (!other.mailbox || other.mailbox.exists === 0) return result;
    const rows = await other.fetchAll('1:*', { uid: true, flags: true, envelope: true });
    for (const row of rows) {
      // \Recent is per session (whoever saw the message first), not a flag anyone set.
      const flags = new Set([...(row.flags ?? [])].filter((f) => f !== '\\Recent'));
      result.set(row.envelope?.messageId?.replace(/^<|>$/g, '') ?? `uid-${row.uid}`, { uid: row.uid, flags, modseq: row.modseq });
    }
    return result;
  } finally {
    lock.release();
  }
}

/** The other client sets \Deleted on one message, like a client that deletes "mark only". */
async function flagDeletedByOther(other: ImapFlow, path: string, uid: number): Promise<void> {
  const lock = await other.getMailboxLock(path);
  try {
    assert.ok(await other.messageFlagsAdd(String(uid), ['\\Deleted'], { uid: true }));
  } finally {
    lock.release();
  }
}

async function failure(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (err) {
    if (MailError.is(err)) return err;
    throw new Error(`not a MailError: ${String(err)}`);
  }
  throw new Error('expected a failure');
}

/** Raw IMAP over the plain port: what the server really stores, without imapflow decoding names. */
async function rawLines(dovecot: DovecotFixture, command: string): Promise<string[]> {
  const line = await LineClient.connect({ port: dovecot.ports.imap });
  try {
    await line.readLine();
    assert.match(await line.command(`a LOGIN alice ${dovecot.users.alice.password}`), /^a OK/);
    line.write(`b ${command}\r\n`);
    const out: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const l = await line.readLine();
      if (l.startsWith('b ')) {
        assert.match(l, /^b OK/);
        return out;
      }
      out.push(l);
    }
    throw new Error('no tagged answer');
  } finally {
    line.close();
  }
}

const ids = (state: Map<string, SeenMessage>): string[] => [...state.keys()].sort();

describe('IMAP operations against Dovecot (MOVE, UIDPLUS, UNSELECT offered)', function () {
  this.timeout(60_000);
  const h = harness();

  describe('flags', () => {
    it('sets and clears \\Seen, \\Flagged and a keyword on exactly the given UIDs', async () => {
      const { client } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'FlagTest', 'flag', 4);
      await setFlags(client, 'FlagTest', [uids[0], uids[2]], { add: ['\\Seen', '\\Flagged', '$Important'] });
      let state = await folderState(other, 'FlagTest');
      assert.deepEqual([...state.get('flag-1@ops.test')!.flags].sort(), ['$Important', '\\Flagged', '\\Seen']);
      assert.deepEqual([...state.get('flag-3@ops.test')!.flags].sort(), ['$Important', '\\Flagged', '\\Seen']);
      assert.equal(state.get('flag-2@ops.test')!.flags.size, 0);
      assert.equal(state.get('flag-4@ops.test')!.flags.size, 0);

      await setFlags(client, 'FlagTest', [uids[0]], { remove: ['\\Seen', '$Important'] });
      state = await folderState(other, 'FlagTest');
      assert.deepEqual([...state.get('flag-1@ops.test')!.flags], ['\\Flagged']);
      assert.deepEqual([...state.get('flag-3@ops.test')!.flags].sort(), ['$Important', '\\Flagged', '\\Seen']);
    });

    it('marks a folder read by storing \\Seen on the unseen messages only', async () => {
      const { client, log } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'ReadAll', 'readall', 5);
      await setFlags(client, 'ReadAll', [uids[1], uids[3]], { add: ['\\Seen'] });
      const before = await folderState(other, 'ReadAll');

      const marked = await markAllRead(client, 'ReadAll');
      assert.deepEqual(marked, [uids[0], uids[2], uids[4]]);
      const after = await folderState(other, 'ReadAll');
      for (const [id, message] of after) assert.ok(message.flags.has('\\Seen'), `${id} is read`);
      // The already-read messages were not touched: their MODSEQ did not move.
      for (const uid of [uids[1], uids[3]]) {
        const id = `readall-${uids.indexOf(uid) + 1}@ops.test`;
        assert.equal(after.get(id)!.modseq, before.get(id)!.modseq, `${id} untouched`);
      }
      assert.ok(sentCommands(log).some((c) => /^UID STORE \S+ \+FLAGS \(\\Seen\)/.test(c)));
      assert.deepEqual(await markAllRead(client, 'ReadAll'), [], 'nothing left to mark');
    });

    it('refuses a malformed flag before sending anything', async () => {
      const { client, log } = await h().open();
      const sentBefore = sentCommands(log).length;
      const err = await failure(setFlags(client, 'INBOX', [1], { add: ['bad flag'] }));
      assert.ok(err instanceof ImapCommandError);
      assert.equal(err.responseStatus, undefined);
      assert.equal(sentCommands(log).length, sentBefore);
    });
  });

  describe('move, copy, delete', () => {
    it('moves with UID MOVE and reports the COPYUID mapping', async () => {
      const { client, log } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'MoveSrc', 'mv', 3);
      await other.mailboxCreate('MoveDst');

      const result = await moveMessages(client, 'MoveSrc', [uids[0], uids[2]], 'MoveDst');
      assert.equal(result.method, 'MOVE');
      assert.deepEqual(result.leftFlaggedDeleted, []);
      const src = await folderState(other, 'MoveSrc');
      const dst = await folderState(other, 'MoveDst');
      assert.deepEqual(ids(src), ['mv-2@ops.test']);
      assert.deepEqual(ids(dst), ['mv-1@ops.test', 'mv-3@ops.test']);
      assert.equal(result.uidMap?.get(uids[0]), dst.get('mv-1@ops.test')!.uid);
      assert.equal(result.uidMap?.get(uids[2]), dst.get('mv-3@ops.test')!.uid);
      const status = await other.status('MoveDst', { uidValidity: true });
      assert.equal(result.destinationUidValidity, status ? status.uidValidity?.toString() : 'no status');
      assert.ok(sentCommands(log).some((c) => c.startsWith('UID MOVE ')));
      assert.equal(sentBlanketExpunge(log), false);
    });

    it('copies with UID COPY, keeps the originals and maps the UIDs', async () => {
      const { client } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'CopySrc', 'cp', 2);
      await other.mailboxCreate('CopyDst');
      const result = await copyMessages(client, 'CopySrc', uids, 'CopyDst');
      const dst = await folderState(other, 'CopyDst');
      assert.deepEqual(ids(await folderState(other, 'CopySrc')), ['cp-1@ops.test', 'cp-2@ops.test']);
      assert.deepEqual(ids(dst), ['cp-1@ops.test', 'cp-2@ops.test']);
      assert.equal(result.uidMap?.get(uids[1]), dst.get('cp-2@ops.test')!.uid);
      assert.ok(result.destinationUidValidity);
    });

    it('moves a non-ASCII folder\'s messages into another non-ASCII folder', async () => {
      const { client } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'Überweisungen/März', 'umlaut', 2);
      const result = await moveMessages(client, 'Überweisungen/März', uids, '日本語');
      assert.equal(result.method, 'MOVE');
      assert.equal((await folderState(other, 'Überweisungen/März')).size, 0);
      const nihongo = await folderState(other, '日本語');
      assert.ok(nihongo.has('umlaut-1@ops.test') && nihongo.has('umlaut-2@ops.test'));
    });

    it('delete moves to Trash; delete inside Trash expunges exactly those UIDs and spares another client\'s \\Deleted message', async () => {
      const { client, log } = await h().open();
      const other = await h().other();
      const trash = await findSpecialUseFolder(client, '\\Trash');
      assert.equal(trash, 'Trash');
      const uids = await seedFolder(other, 'DelSrc', 'del', 2);

      const moved = await deleteMessages(client, 'DelSrc', [uids[0]], { trashPath: trash });
      assert.equal(moved.method, 'moved-to-trash');
      assert.deepEqual(ids(await folderState(other, 'DelSrc')), ['del-2@ops.test']);
      let inTrash = await folderState(other, 'Trash');
      const trashUid = inTrash.get('del-1@ops.test')!.uid;
      // Another client marks a seeded Trash message \Deleted without expunging it.
      const othersUid = inTrash.get('trash-001@seed.mailroom.test')!.uid;
      await flagDeletedByOther(other, 'Trash', othersUid);

      const gone = await deleteMessages(client, 'Trash', [trashUid], { trashPath: 'Trash' });
      assert.equal(gone.method, 'expunged');
      assert.deepEqual(gone.expunged, [trashUid]);
      inTrash = await folderState(other, 'Trash');
      assert.equal(inTrash.has('del-1@ops.test'), false);
      assert.ok(inTrash.get('trash-001@seed.mailroom.test')!.flags.has('\\Deleted'), 'the other client\'s message is still there, flagged');
      assert.ok(sentCommands(log).some((c) => c === `UID EXPUNGE ${trashUid}`));
      assert.equal(sentBlanketExpunge(log), false);
    });

    it('delete with no Trash folder expunges permanently', async () => {
      const { client } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'NoTrash', 'notrash', 3);
      const result = await deleteMessages(client, 'NoTrash', [uids[1]]);
      assert.equal(result.method, 'expunged');
      assert.deepEqual(ids(await folderState(other, 'NoTrash')), ['notrash-1@ops.test', 'notrash-3@ops.test']);
    });

    it('a move into a folder that does not exist fails with TRYCREATE and leaves the source as it was', async () => {
      const { client } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'NoDst', 'nodst', 2);
      const err = await failure(moveMessages(client, 'NoDst', uids, 'Does/Not/Exist'));
      assert.ok(err instanceof ImapCommandError, `${err.code}: ${err.message}`);
      assert.equal(err.responseStatus, 'NO');
      assert.equal(err.responseCode, 'TRYCREATE');
      const state = await folderState(other, 'NoDst');
      assert.deepEqual(ids(state), ['nodst-1@ops.test', 'nodst-2@ops.test']);
      for (const m of state.values()) assert.equal(m.flags.has('\\Deleted'), false);
    });

    it('a move out of a folder that does not exist is MailboxNotFound', async () => {
      const { client } = await h().open();
      assert.equal((await failure(moveMessages(client, 'Nowhere', [1], 'INBOX'))).code, 'MailboxNotFound');
    });

    it('refuses to move messages into the folder they are in', async () => {
      const { client } = await h().open();
      const err = await failure(moveMessages(client, 'inbox', [1], 'INBOX'));
      assert.ok(err instanceof ImapCommandError);
    });

    it('splits a large scattered selection into several commands that all apply', async () => {
      const { client, log } = await h().open();
      const other = await h().other();
      await seedFolder(other, 'Many', 'many', 1);
      // 2,000 odd UIDs (most do not exist: IMAP ignores those) make a set far longer than one command line may be.
      const scattered = Array.from({ length: 2000 }, (_, i) => 2 * i + 1);
      await setFlags(client, 'Many', scattered, { add: ['\\Flagged'] });
      const stores = sentCommands(log).filter((c) => c.startsWith('UID STORE '));
      assert.ok(stores.length >= 2, `${stores.length} STORE commands`);
      assert.ok((await folderState(other, 'Many')).get('many-1@ops.test')!.flags.has('\\Flagged'));
    });
  });

  describe('folders', () => {
    it('creates non-ASCII folders under existing parents with the server\'s delimiter, stored as modified UTF-7', async () => {
      const { client } = await h().open();
      assert.deepEqual(await createFolder(client, 'Überweisungen', 'Q1'), { path: 'Überweisungen/Q1', created: true });
      assert.deepEqual(await createFolder(client, '日本語', 'テスト'), { path: '日本語/テスト', created: true });
      const raw = await rawLines(h().dovecot, 'LIST "" "*"');
      assert.ok(raw.some((l) => l.endsWith('"/" &ANw-berweisungen/Q1')), raw.join('\n'));
      assert.ok(raw.some((l) => l.endsWith('"/" &ZeVnLIqe-/&MMYwuTDI-')), raw.join('\n'));
      const rawSubscribed = await rawLines(h().dovecot, 'LSUB "" "*"');
      assert.ok(rawSubscribed.some((l) => l.endsWith('&ZeVnLIqe-/&MMYwuTDI-')), 'created folders are subscribed');
      const listed = await listAllFolders(client, { includeUnsubscribed: false });
      const q1 = listed.find((f) => f.path === 'Überweisungen/Q1');
      assert.deepEqual(q1 && { name: q1.name, parentPath: q1.parentPath, selectable: q1.selectable, subscribed: q1.subscribed }, {
        name: 'Q1',
        parentPath: 'Überweisungen',
        selectable: true,
        subscribed: true,
      });
      assert.equal(listed.find((f) => f.path === '日本語/テスト')?.name, 'テスト');
      // Another client sees it and can store mail in it.
      const other = await h().other();
      await other.append('日本語/テスト', buildMessage({ from: { address: 'a@example.test' }, to: [{ address: 'b@example.test' }], subject: 'in テスト', date: new Date(), messageId: 'jp-test@ops.test', body: { kind: 'text', text: 'x\n' } }));
      assert.ok((await folderState(other, '日本語/テスト')).has('jp-test@ops.test'));
    });

    it('creating an existing folder changes nothing and says so; invalid names are refused before sending', async () => {
      const { client, log } = await h().open();
      assert.deepEqual(await createFolder(client, undefined, 'Archive'), { path: 'Archive', created: false });
      const sent = sentCommands(log).length;
      for (const bad of ['', '  ', 'a/b', 'tab\there', 'star*', ' padded']) {
        const err = await failure(createFolder(client, 'Projects', bad));
        assert.ok(err instanceof ImapCommandError, JSON.stringify(bad));
      }
      assert.equal(sentCommands(log).length, sent);
    });

    it('renames a folder with its subfolders and moves their subscriptions', async () => {
      const { client } = await h().open();
      const other = await h().other();
      await seedFolder(other, 'Reports', 'rep', 1);
      await seedFolder(other, 'Reports/2024', 'rep2024', 1);
      assert.deepEqual(await renameFolder(client, 'Reports', 'Berichte'), { from: 'Reports', to: 'Berichte' });
      const all = await listAllFolders(client, { includeUnsubscribed: true });
      assert.equal(all.some((f) => f.path.startsWith('Reports')), false);
      assert.equal(all.find((f) => f.path === 'Berichte/2024')?.subscribed, true);
      assert.ok((await folderState(other, 'Berichte/2024')).has('rep2024-1@ops.test'));
      const lsub = await rawLines(h().dovecot, 'LSUB "" "*"');
      assert.ok(lsub.some((l) => l.endsWith(' Berichte')) && lsub.some((l) => l.endsWith(' Berichte/2024')), lsub.join('\n'));
      assert.equal(lsub.some((l) => / Reports/.test(l)), false, 'no subscription left on the old names');
    });

    it('renames the selected folder without CLOSE, so \\Deleted messages survive even without UNSELECT', async () => {
      // (This server offers UNSELECT; the no-UNSELECT case is tested below.) Selected read-write, then renamed.
      const { client, log } = await h().open();
      const other = await h().other();
      const uids = await seedFolder(other, 'SelRename', 'selren', 2);
      await setFlags(client, 'SelRename', [uids[0]], { add: ['\\Deleted'] });
      await renameFolder(client, 'SelRename', 'SelRenamed');
      assert.deepEqual(ids(await folderState(other, 'SelRenamed')), ['selren-1@ops.test', 'selren-2@ops.test']);
      assert.equal(sentBlanketExpunge(log), false);
    });

    it('unsubscribes and resubscribes; the listing includes unsubscribed folders only when asked', async () => {
      const { client } = await h().open();
      await createFolder(client, 'Projects', 'Quiet');
      await setSubscribed(client, 'Projects/Quiet', false);
      const subscribed = await listAllFolders(client, { includeUnsubscribed: false });
      assert.equal(subscribed.some((f) => f.path === 'Projects/Quiet'), false);
      assert.ok(subscribed.some((f) => f.path === 'INBOX' && f.subscribed));
      const everything = await listAllFolders(client, { includeUnsubscribed: true, status: true });
      const quiet = everything.find((f) => f.path === 'Projects/Quiet');
      assert.equal(quiet?.subscribed, false);
      assert.equal(quiet?.total, 0);
      assert.equal(everything.find((f) => f.path === 'INBOX')?.total, ALICE_SEED.inboxTotal);
      assert.equal((await rawLines(h().dovecot, 'LSUB "" "Projects/*"')).some((l) => l.endsWith('Projects/Quiet')), false);
      await setSubscribed(client, 'Projects/Quiet', true);
      assert.ok((await rawLines(h().dovecot, 'LSUB "" "Projects/*"')).some((l) => l.endsWith('Projects/Quiet')));
    });

    it('keeps an unsubscribed parent of a subscribed folder in the subscribed listing', async () => {
      const { client } = await h().open();
      await createFolder(client, undefined, 'Parent');
      await createFolder(client, 'Parent', 'Child');
      await setSubscribed(client, 'Parent', false);
      const subscribed = await listAllFolders(client, { includeUnsubscribed: false });
      assert.equal(subscribed.find((f) => f.path === 'Parent')?.subscribed, false);
      assert.equal(subscribed.find((f) => f.path === 'Parent/Child')?.subscribed, true);
    });

    it('refuses to delete a folder with subfolders (Dovecot would keep a ghost name), then deletes them deepest first when asked', async () => {
      const { client } = await h().open();
      const other = await h().other();
      await seedFolder(other, 'Old', 'old', 1);
      await seedFolder(other, 'Old/2019', 'old2019', 1);
      await seedFolder(other, 'Old/2019/Q4', 'oldq4', 1);
      const err = await failure(deleteFolder(client, 'Old'));
      assert.ok(err instanceof ImapCommandError);
      assert.equal(err.responseCode, 'HASCHILDREN');
      assert.ok((await folderState(other, 'Old')).has('old-1@ops.test'), 'nothing deleted');

      assert.deepEqual(await deleteFolder(client, 'Old', { withSubfolders: true }), ['Old/2019/Q4', 'Old/2019', 'Old']);
      const raw = await rawLines(h().dovecot, 'LIST "" "Old*"');
      assert.deepEqual(raw, []);
      assert.deepEqual(await rawLines(h().dovecot, 'LSUB "" "Old*"'), []);
    });

    it('deletes a leaf folder, and reports a missing folder or the Inbox as errors', async () => {
      const { client } = await h().open();
      await createFolder(client, undefined, 'Leaf');
      assert.deepEqual(await deleteFolder(client, 'Leaf'), ['Leaf']);
      assert.equal((await listAllFolders(client, { includeUnsubscribed: true })).some((f) => f.path === 'Leaf'), false);
      assert.equal((await failure(deleteFolder(client, 'Leaf'))).code, 'MailboxNotFound');
      assert.equal((await failure(deleteFolder(client, 'INBOX'))).code, 'Unsupported');
      assert.equal((await failure(renameFolder(client, 'INBOX', 'Old Inbox'))).code, 'Unsupported');
    });
  });

  describe('search', () => {
    const inbox = ALICE_SEED.inbox.messages;
    const newestFirst = (uids: number[]): number[] => [...uids].sort((a, b) => b - a);

    it('finds by from, to, subject, body and text, newest first', async () => {
      const { client } = await h().open();
      const fromCarol = inbox.filter((m) => m.from.address === 'carol@example.test').map((m) => m.uid);
      assert.deepEqual(await searchFolder(client, 'INBOX', { from: 'carol@example.test' }), newestFirst(fromCarol));
      assert.deepEqual(await searchFolder(client, 'INBOX', { subject: 'Inbox message 4' }), newestFirst(inbox.filter((m) => m.subject.includes('Inbox message 4')).map((m) => m.uid)));
      assert.deepEqual(await searchFolder(client, 'INBOX', { to: 'alice@example.test', subject: 'Quarterly' }), [57]);
      // Message 42 is base64-encoded: the server decodes before matching.
      assert.deepEqual(await searchFolder(client, 'INBOX', { body: 'Line two of message 42' }), [42]);
      assert.deepEqual(await searchFolder(client, 'INBOX', { text: 'Welcome to Mailroom' }), [60]);
      assert.deepEqual(await searchFolder(client, 'INBOX', { body: 'Welcome to Mailroom' }), [], 'the subject is not in the body');
    });

    it('matches non-ASCII terms (sent with CHARSET UTF-8)', async () => {
      const { client } = await h().open();
      assert.deepEqual(await searchFolder(client, 'INBOX', { subject: 'Grüße' }), [59]);
      assert.deepEqual(await searchFolder(client, 'INBOX', { from: '山田' }), [58]);
    });

    it('filters on unread and flagged as seeded', async () => {
      const { client } = await h().open();
      assert.deepEqual(await searchFolder(client, 'INBOX', { unread: true }), newestFirst(inbox.filter((m) => !m.seen).map((m) => m.uid)));
      assert.equal((await searchFolder(client, 'INBOX', { unread: true })).length, ALICE_SEED.inboxUnseen);
      assert.deepEqual(await searchFolder(client, 'INBOX', { flagged: true }), newestFirst(inbox.filter((m) => m.flagged).map((m) => m.uid)));
      assert.deepEqual(await searchFolder(client, 'INBOX', { flagged: true, unread: true }), newestFirst(inbox.filter((m) => m.flagged && !m.seen).map((m) => m.uid)));
    });

    it('filters on since and before by arrival day', async () => {
      const { client } = await h().open();
      const since = new Date(2024, 0, 10);
      const before = new Date(2024, 0, 15);
      const hits = await searchFolder(client, 'INBOX', { since, before });
      const day = 24 * 3600 * 1000;
      // Whole-day comparison in the server's zone: certainly in = more than a day inside the range.
      const certainlyIn = inbox.filter((m) => m.date.getTime() >= since.getTime() + day && m.date.getTime() < before.getTime() - day).map((m) => m.uid);
      const possible = new Set(inbox.filter((m) => m.date.getTime() >= since.getTime() - day && m.date.getTime() < before.getTime() + day).map((m) => m.uid));
      for (const uid of certainlyIn) assert.ok(hits.includes(uid), `uid ${uid} found`);
      for (const uid of hits) assert.ok(possible.has(uid), `uid ${uid} in range`);
      assert.deepEqual(hits, newestFirst(hits));
      assert.deepEqual(await searchFolder(client, 'INBOX', { before: new Date(2023, 0, 1) }), []);
    });

    it('caps the result, keeping the newest, and says it was capped', async () => {
      const { client } = await h().open();
      const result = await searchFolderDetailed(client, 'INBOX', { from: 'example.test' }, { limit: 5 });
      assert.equal(result.capped, true);
      assert.equal(result.total, ALICE_SEED.inboxTotal);
      assert.deepEqual(result.uids, [60, 59, 58, 57, 56]);
      assert.ok(/^\d+$/.test(result.uidValidity));
      const all = await searchFolderDetailed(client, 'INBOX', { subject: 'Welcome' }, { limit: 5 });
      assert.deepEqual({ capped: all.capped, total: all.total, uids: all.uids }, { capped: false, total: 1, uids: [60] });
    });

    it('searches several folders in turn, tagging hits by folder and reporting folders it could not search', async () => {
      const { client } = await h().open();
      const result = await searchAccount(client, ['INBOX', 'Junk', 'Archive', 'Gone'], { unread: true });
      assert.deepEqual(
        result.folders.map((f) => [f.path, f.uids]),
        [
          ['INBOX', newestFirst(inbox.filter((m) => !m.seen).map((m) => m.uid))],
          ['Junk', [3, 2]],
          ['Archive', []],
        ],
      );
      assert.equal(result.total, ALICE_SEED.inboxUnseen + 2);
      assert.deepEqual(result.failed.map((f) => [f.path, f.error.code]), [['Gone', 'MailboxNotFound']]);
      assert.equal(result.capped, false);
    });

    it('refuses invalid criteria with a typed error', async () => {
      const { client } = await h().open();
      assert.ok((await failure(searchFolder(client, 'INBOX', { since: new Date('nope') }))) instanceof ImapCommandError);
      assert.ok((await failure(searchFolder(client, 'INBOX', { subject: 'a\r\nb' }))) instanceof ImapCommandError);
      assert.ok((await failure(searchFolder(client, 'INBOX', { subject: 'x' }, { limit: 0 }))) instanceof ImapCommandError);
    });
  });
});

describe('IMAP operations against Dovecot without MOVE (UIDPLUS offered)', function () {
  this.timeout(60_000);
  const h = harness(capabilitiesWithout('MOVE'));

  it('moves with UID COPY + \\Deleted + UID EXPUNGE of exactly the moved UIDs', async () => {
    const { client, log } = await h().open();
    assert.equal(client.capabilities.has('MOVE'), false);
    assert.equal(client.capabilities.has('UIDPLUS'), true);
    const other = await h().other();
    const uids = await seedFolder(other, 'CopySrc', 'cx', 3);
    await other.mailboxCreate('CopyDst');
    await flagDeletedByOther(other, 'CopySrc', uids[1]);

    const result = await moveMessages(client, 'CopySrc', [uids[0], uids[2]], 'CopyDst');
    assert.equal(result.method, 'COPY+UID EXPUNGE');
    assert.deepEqual(result.leftFlaggedDeleted, []);
    assert.equal(result.uidMap?.size, 2);
    const src = await folderState(other, 'CopySrc');
    assert.deepEqual(ids(src), ['cx-2@ops.test'], 'the other client\'s \\Deleted message survived');
    assert.ok(src.get('cx-2@ops.test')!.flags.has('\\Deleted'));
    assert.deepEqual(ids(await folderState(other, 'CopyDst')), ['cx-1@ops.test', 'cx-3@ops.test']);
    const commands = sentCommands(log);
    assert.equal(commands.some((c) => /^UID MOVE/.test(c)), false);
    assert.ok(commands.some((c) => /^UID EXPUNGE /.test(c)));
    assert.equal(sentBlanketExpunge(log), false);
  });
});

describe('IMAP operations against Dovecot without MOVE, UIDPLUS and UNSELECT', function () {
  this.timeout(60_000);
  const h = harness(capabilitiesWithout('MOVE', 'UIDPLUS', 'UNSELECT'));

  it('imapflow sees the reduced capability list', async () => {
    const { client } = await h().open();
    for (const hidden of ['MOVE', 'UIDPLUS', 'UNSELECT']) assert.equal(client.capabilities.has(hidden), false, hidden);
    assert.ok(client.capabilities.has('CONDSTORE'));
  });

  it('a move copies and leaves the originals flagged \\Deleted (reported), never expunging another client\'s \\Deleted message', async () => {
    const { client, log } = await h().open();
    const other = await h().other();
    const uids = await seedFolder(other, 'Src', 'np', 3);
    await other.mailboxCreate('Dst');
    await flagDeletedByOther(other, 'Src', uids[1]);

    const result = await moveMessages(client, 'Src', [uids[0], uids[2]], 'Dst');
    assert.equal(result.method, 'COPY+flagged');
    assert.deepEqual(result.leftFlaggedDeleted, [uids[0], uids[2]]);
    // Dovecot still answers COPYUID with UIDPLUS hidden; when present it is used, and it is right.
    const dst = await folderState(other, 'Dst');
    if (result.uidMap) assert.equal(result.uidMap.get(uids[2]), dst.get('np-3@ops.test')!.uid);
    const src = await folderState(other, 'Src');
    assert.deepEqual(ids(src), ['np-1@ops.test', 'np-2@ops.test', 'np-3@ops.test'], 'nothing expunged');
    for (const m of src.values()) assert.ok(m.flags.has('\\Deleted'));
    assert.deepEqual(ids(dst), ['np-1@ops.test', 'np-3@ops.test']);
    assert.equal(sentBlanketExpunge(log), false);
    assert.equal(sentCommands(log).some((c) => /EXPUNGE|MOVE/.test(c)), false);

    // Switching the selected folder and renaming the source must not CLOSE it either.
    await renameFolder(client, 'Src', 'Src2');
    assert.equal((await folderState(other, 'Src2')).size, 3, 'the \\Deleted messages survived the rename');
    await deleteFolder(client, 'Dst');
    assert.equal(sentBlanketExpunge(log), false);
  });

  it('a permanent delete only flags \\Deleted and reports it', async () => {
    const { client, log } = await h().open();
    const other = await h().other();
    const before = await folderState(other, 'Trash');
    const target = before.get('trash-002@seed.mailroom.test')!.uid;
    await flagDeletedByOther(other, 'Trash', before.get('trash-001@seed.mailroom.test')!.uid);
    const result = await deleteMessages(client, 'Trash', [target], { trashPath: 'Trash' });
    assert.deepEqual(result, { method: 'flagged', expunged: [], leftFlaggedDeleted: [target] });
    const after = await folderState(other, 'Trash');
    assert.equal(after.size, before.size);
    assert.ok(after.get('trash-001@seed.mailroom.test')!.flags.has('\\Deleted'));
    assert.ok(after.get('trash-002@seed.mailroom.test')!.flags.has('\\Deleted'));
    assert.equal(sentBlanketExpunge(log), false);
  });

  it('delete to Trash falls back to copy + flag, and copies still work', async () => {
    const { client } = await h().open();
    const other = await h().other();
    const uids = await seedFolder(other, 'ToTrash', 'tt', 1);
    const result = await deleteMessages(client, 'ToTrash', uids, { trashPath: 'Trash' });
    assert.equal(result.method, 'moved-to-trash');
    assert.equal(result.move?.method, 'COPY+flagged');
    assert.deepEqual(result.leftFlaggedDeleted, uids);
    assert.ok((await folderState(other, 'Trash')).has('tt-1@ops.test'));
    await copyMessages(client, 'ToTrash', uids, 'Archive');
    assert.ok((await folderState(other, 'Archive')).has('tt-1@ops.test'));
    // The original left flagged \Deleted is no search hit unless asked for.
    assert.deepEqual(await searchFolder(client, 'ToTrash', { subject: 'tt 1' }), []);
    assert.deepEqual(await searchFolder(client, 'ToTrash', { subject: 'tt 1', includeDeleted: true }), uids);
  });
});
