// ImapAccount end to end against Dovecot, through a fault proxy, with another IMAP client acting
// as "another device": the header cache (what the tree shows) must converge to the server's state
// after first opens, changes made elsewhere, connections cut mid-FETCH and mid-IDLE, a server
// outage with queued work across a restart, and moves/deletes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import type { AccountConfig } from '../../src/protocol/account';
import { MailError } from '../../src/protocol/errors';
import { connectImap } from '../../src/protocol/imap/connect';
import { flattenFolders } from '../../src/protocol/imap/folders';
import { FolderChange, ImapAccount, isUnreachable, NewMail } from '../../src/protocol/imap/imapAccount';
import type { ConnectionState, MailboxEvent } from '../../src/protocol/imap/supervisor';
import { silentLog } from '../../src/protocol/log';
import {
  BuiltAccount,
  buildAccount,
  freshMessage,
  occurrences,
  plainImapAccount,
  seededSpec,
  savedFolderPaths,
  seededUser,
  serverState,
  StoreDirs,
  uidOf,
  waitConverged,
  waitFor,
  watchForDuplicates,
} from '../fixtures/accountHarness';
import { DovecotFixture, ExtraUser, startDovecot } from '../fixtures/dovecot';
import { FaultProxy } from '../fixtures/faultProxy';
import { requireDovecot } from './requireDovecot';

/** One user per test, so no test sees another's changes. */
const USERS = {
  first: seededUser('first', { INBOX: 3000 }),
  live: seededUser('live', { INBOX: 40, Projects: 20 }),
  fetchcut: seededUser('fetchcut', { INBOX: 3000 }),
  twocuts: seededUser('twocuts', { INBOX: 3000 }),
  idlecut: seededUser('idlecut', { INBOX: 40 }),
  netdown: seededUser('netdown', { INBOX: 40 }),
  outage: seededUser('outage', { INBOX: 30, Projects: 10 }),
  moves: seededUser('moves', { INBOX: 30, Projects: 5 }),
  refused: seededUser('refused', { INBOX: 10 }),
  lostmove: seededUser('lostmove', { INBOX: 10, Projects: 2 }),
  appendcut: seededUser('appendcut', { INBOX: 5 }),
  racing: seededUser('racing', { INBOX: 10 }),
  latesync: seededUser('latesync', { INBOX: 10 }),
} satisfies Record<string, ExtraUser>;

const id = (user: ExtraUser, n: number, folder = 'INBOX'): string => seededSpec(user.user, folder, n).messageId;

/** What an account announced, in order. */
interface Seen {
  changes: FolderChange[];
  foldersChanged: number;
  newMail: NewMail[];
  states: ConnectionState[];
  pushed: MailboxEvent[];
}

function record(built: BuiltAccount): Seen {
  const seen: Seen = { changes: [], foldersChanged: 0, newMail: [], states: [], pushed: [] };
  built.account.onDidChangeFolder((e) => seen.changes.push(e));
  built.account.onDidChangeFolders(() => seen.foldersChanged++);
  built.account.onNewMail((e) => seen.newMail.push(e));
  built.account.onDidChangeState((s) => seen.states.push(s));
  built.supervisor.onMailboxEvent((e) => seen.pushed.push(e));
  return seen;
}

const synced = (seen: Seen, path: string, from = 0): FolderChange | undefined => seen.changes.slice(from).find((c) => c.path === path && c.result !== undefined);

async function uidValidityOf(client: ImapFlow, folder: string): Promise<string> {
  const status = await client.status(folder, { uidValidity: true });
  assert.ok(status && status.uidValidity !== undefined, `STATUS ${folder}`);
  return status.uidValidity.toString();
}

/** Runs `work` with `folder` selected read-write on the other device's connection. */
async function onOther<T>(client: ImapFlow, folder: string, work: () => Promise<T>): Promise<T> {
  const lock = await client.getMailboxLock(folder);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

describe('ImapAccount converges to the server (Dovecot, fault proxy, another client)', function () {
  this.timeout(90_000);
  let dovecot: DovecotFixture;
  let proxy: FaultProxy;
  let tmpRoot: string;
  let built: BuiltAccount[] = [];
  const others = new Map<string, ImapFlow>();

  before(async function () {
    requireDovecot(this);
    this.timeout(60_000);
    dovecot = await startDovecot({ extraUsers: Object.values(USERS) });
    tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-account-'));
  });
  beforeEach(async () => {
    proxy = await FaultProxy.start({ targetPort: dovecot.ports.imap });
  });
  afterEach(async () => {
    await Promise.all(built.splice(0).map((b) => b.account.close()));
    await Promise.all([...others.values()].map((c) => (c.usable ? c.logout().catch(() => c.close()) : c.close())));
    others.clear();
    await proxy.close();
    // A failed outage test must not leave the server down for the next one.
    await dovecot.startServer();
  });
  after(async () => {
    await dovecot?.stop();
    if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
  });

  const config = (user: ExtraUser): AccountConfig => plainImapAccount(user, proxy.port);
  const newDirs = (): StoreDirs => ({ root: fs.mkdtempSync(path.join(tmpRoot, 'store-')) });
  const open = (user: ExtraUser, dirs: StoreDirs, options: Parameters<typeof buildAccount>[3] = {}): BuiltAccount => {
    const b = buildAccount(config(user), user.password, dirs, options);
    built.push(b);
    return b;
  };
  const closeAccount = async (b: BuiltAccount): Promise<void> => {
    built = built.filter((x) => x !== b);
    await b.account.close();
  };
  /** The other device: straight to Dovecot, not through the proxy. */
  const other = async (user: ExtraUser): Promise<ImapFlow> => {
    const existing = others.get(user.user);
    if (existing?.usable) return existing;
    const client = await connectImap({ account: { ...config(user), port: dovecot.ports.imap }, password: user.password, log: silentLog, timeoutMs: 5000 });
    others.set(user.user, client);
    return client;
  };
  const idlingCount = (): number => occurrences(proxy.transcript().toClient, '+ idling');

  it('shows the newest page of a 3000-message folder at once, then syncs all of it: cache equals server, nothing twice; reopening after a restart costs almost nothing', async () => {
    const user = USERS.first;
    const dirs = newDirs();
    const a = open(user, dirs);
    const seen = record(a);
    const inbox = await a.account.openFolder('INBOX', 50);
    const bytesAtFirstPage = proxy.bytesToClient;
    // The first page is there before the full sync has even started answering.
    assert.equal(inbox.state(), undefined, 'the folder must not count as synced yet');
    assert.equal(inbox.count(), 50);
    assert.deepEqual(
      inbox.page(0, 50).map((e) => e.uid),
      Array.from({ length: 50 }, (_, i) => 3000 - i),
    );
    assert.equal(inbox.page(0, 1)[0].subject, 'INBOX message 3000');
    assert.equal(inbox.page(0, 1)[0].messageId, id(user, 3000));
    // Rows shown from the first page belong to the folder's UIDVALIDITY already (a reply to one
    // marks the original \Answered by UIDVALIDITY + UID), before the full sync records its state.
    const pageUidValidity = a.account.uidValidityOf('INBOX', inbox);
    assert.match(pageUidValidity, /^\d+$/, 'the first page knows its UIDVALIDITY');

    const full = await waitFor('the full sync', () => synced(seen, 'INBOX'));
    assert.equal(inbox.state()?.uidValidity, pageUidValidity, 'the synced state has the same UIDVALIDITY');
    assert.equal(full.result?.method, 'full');
    assert.equal(full.result?.added.length, 3000);
    const o = await other(user);
    const server = await waitConverged(inbox, o, 'INBOX', 5000);
    assert.equal(server.size, 3000);
    assert.equal(inbox.unseenCount(), 1000);
    const fullSyncBytes = proxy.bytesToClient;
    assert.ok(bytesAtFirstPage * 10 < fullSyncBytes, `first page took ${bytesAtFirstPage} of ${fullSyncBytes} bytes: it should be a small part`);
    assert.equal(seen.newMail.length, 0, 'a first sync is not new mail');

    // VS Code restarts: new store objects over the same directories.
    await closeAccount(a);
    const bytesBefore = proxy.bytesToClient;
    const b = open(user, dirs);
    const seenB = record(b);
    const again = await b.account.openFolder('INBOX', 50);
    assert.equal(again.count(), 3000, 'the whole cache is shown from disk before the server answers');
    const resync = await waitFor('the resync after the restart', () => synced(seenB, 'INBOX'));
    assert.equal(resync.result?.method, 'qresync');
    assert.deepEqual([resync.result?.added, resync.result?.changed, resync.result?.removed], [[], [], []]);
    await waitConverged(again, o, 'INBOX', 5000);
    const resyncBytes = proxy.bytesToClient - bytesBefore;
    assert.ok(resyncBytes * 20 < fullSyncBytes, `reopening an unchanged folder took ${resyncBytes} bytes (full sync ${fullSyncBytes})`);
  });

  it('applies flag changes, expunges and new mail from another client without being asked: IDLE for INBOX, polling for another open folder, new folders too', async () => {
    const user = USERS.live;
    const dirs = newDirs();
    const a = open(user, dirs, { pollIntervalMs: 300 });
    const seen = record(a);
    const inbox = await a.account.openFolder('INBOX');
    const projects = await a.account.openFolder('Projects');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    await waitConverged(projects, o, 'Projects');
    await waitFor('IDLE on INBOX', () => a.supervisor.pushMode() === 'idle' && idlingCount() >= 1);
    const mark = seen.changes.length;

    // INBOX: uid 5 is read, uid 6 unread, uid 7 goes, two new messages (one unread).
    await onOther(o, 'INBOX', async () => {
      await o.messageFlagsAdd('3', ['\\Flagged'], { uid: true });
      await o.messageFlagsRemove('5', ['\\Seen'], { uid: true });
      await o.messageFlagsAdd('6', ['\\Seen', '$Label1'], { uid: true });
      await o.messageDelete('7', { uid: true });
    });
    const unread = freshMessage('Pushed, unread');
    const read = freshMessage('Pushed, read');
    await o.append('INBOX', unread.raw, []);
    await o.append('INBOX', read.raw, ['\\Seen']);
    const server = await waitConverged(inbox, o, 'INBOX');
    assert.equal(server.size, 41);
    assert.equal(server.has(7), false);
    assert.deepEqual(inbox.get(6)?.flags.slice().sort(), ['$Label1', '\\Seen']);
    // The cache is updated in place while a sync runs; its event comes when the sync is done.
    await waitFor('onDidChangeFolder with a sync result for INBOX', () => synced(seen, 'INBOX', mark));
    assert.ok(seen.pushed.some((e) => e.kind === 'exists' && e.path === 'INBOX'), 'the change came by IDLE push');
    await waitFor('new-mail notice', () => seen.newMail.some((n) => n.envelopes.some((e) => e.messageId === unread.messageId)));
    assert.ok(!seen.newMail.some((n) => n.envelopes.some((e) => e.messageId === read.messageId)), 'a message already read is not announced');

    // Projects (not INBOX): only the poll can notice.
    await onOther(o, 'Projects', async () => {
      await o.messageFlagsAdd('1:4', ['\\Seen'], { uid: true });
      await o.messageDelete('10:12', { uid: true });
    });
    const newProject = freshMessage('New in Projects');
    await o.append('Projects', newProject.raw, ['\\Flagged']);
    const projectsServer = await waitConverged(projects, o, 'Projects');
    assert.equal(projectsServer.size, 18);
    assert.ok(uidOf(projectsServer, newProject.messageId));
    await waitFor('onDidChangeFolder with a sync result for Projects', () => synced(seen, 'Projects', mark));

    // A folder created elsewhere: the account learns it from its poll (the list it saves for
    // offline use shows it, before the test asks for anything) and says so.
    const listMark = seen.foldersChanged;
    await o.mailboxCreate('Elsewhere');
    await waitFor('onDidChangeFolders with the new folder', async () => seen.foldersChanged > listMark && (await savedFolderPaths(dirs, a.account.id)).includes('Elsewhere'), 10_000);
    const listing = await a.account.folders();
    assert.equal(listing.offline, false);
    assert.ok(flattenFolders(listing.folders).some((f) => f.path === 'Elsewhere'));
    const deleteMark = seen.foldersChanged;
    await o.mailboxDelete('Elsewhere');
    await waitFor('onDidChangeFolders without it', async () => seen.foldersChanged > deleteMark && !(await savedFolderPaths(dirs, a.account.id)).includes('Elsewhere'), 10_000);
  });

  it('finishes a full sync the proxy cut mid-FETCH, with changes made meanwhile: nothing lost, nothing twice', async () => {
    const user = USERS.fetchcut;
    const cut = proxy.dropWhen(/\* 500 FETCH/, 'through');
    const a = open(user, newDirs());
    const seen = record(a);
    const inbox = await a.account.openFolder('INBOX', 50);
    const twice = watchForDuplicates(a.account, inbox);
    await cut;
    const o = await other(user);
    await onOther(o, 'INBOX', async () => {
      await o.messageDelete('10,2500', { uid: true });
      await o.messageFlagsAdd('20', ['\\Flagged'], { uid: true });
    });
    const fresh = freshMessage('While the sync was cut');
    await o.append('INBOX', fresh.raw, []);
    const server = await waitConverged(inbox, o, 'INBOX', 30_000);
    assert.equal(server.size, 2999);
    assert.ok(uidOf(server, fresh.messageId));
    assert.equal(proxy.drops, 1);
    assert.ok(a.log.lines.some((l) => /connection lost/.test(l)), 'the drop was noticed');
    await waitFor('onDidChangeFolder with a sync result', () => synced(seen, 'INBOX'));
    assert.deepEqual(twice, []);
  });

  it('recovers when the sync is cut twice in a row (mid-FETCH, then after N bytes of the retry): the reconnect resyncs', async () => {
    const user = USERS.twocuts;
    const first = proxy.dropWhen(/\* 500 FETCH/, 'through');
    const a = open(user, newDirs());
    const seen = record(a);
    const inbox = await a.account.openFolder('INBOX');
    const twice = watchForDuplicates(a.account, inbox);
    await first;
    await proxy.dropAfterServerBytes(200_000);
    const failed = await waitFor('the failed sync', () => seen.changes.find((c) => c.path === 'INBOX' && c.error));
    assert.ok(failed.error && isUnreachable(failed.error), `unexpected error ${failed.error?.code}`);
    const o = await other(user);
    const server = await waitConverged(inbox, o, 'INBOX', 30_000);
    assert.equal(server.size, 3000);
    assert.equal(proxy.drops, 2);
    await waitFor('a later sync, without a call from the test', () => synced(seen, 'INBOX', seen.changes.indexOf(failed)));
    assert.deepEqual(twice, []);
  });

  it('resyncs after the IDLE connection is cut as the server pushes new mail: the message shows once, later changes too', async () => {
    const user = USERS.idlecut;
    const a = open(user, newDirs());
    const inbox = await a.account.openFolder('INBOX');
    const twice = watchForDuplicates(a.account, inbox);
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    await waitFor('IDLE on INBOX', () => idlingCount() >= 1);
    const idlingBefore = idlingCount();
    const cut = proxy.dropWhen(/\* \d+ EXISTS/, 'before');
    const fresh = freshMessage('Pushed into a dead IDLE');
    await o.append('INBOX', fresh.raw, []);
    await cut;
    await onOther(o, 'INBOX', async () => {
      await o.messageFlagsAdd('2', ['\\Flagged'], { uid: true });
      await o.messageDelete('4', { uid: true });
    });
    await waitFor('IDLE again', () => idlingCount() > idlingBefore);
    const server = await waitConverged(inbox, o, 'INBOX');
    assert.equal(server.size, 40);
    assert.equal([...server.values()].filter((m) => m.messageId === fresh.messageId).length, 1);
    assert.equal(proxy.drops, 1);
    assert.equal(a.account.state(), 'online');
    assert.deepEqual(twice, []);
  });

  it('goes offline when every connection is cut and reconnects are refused, then catches up with what changed meanwhile', async () => {
    const user = USERS.netdown;
    const a = open(user, newDirs());
    const seen = record(a);
    const inbox = await a.account.openFolder('INBOX');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    await waitFor('IDLE on INBOX', () => idlingCount() >= 1);
    proxy.refuse(60_000);
    assert.equal(proxy.dropAll(), 2, 'command and IDLE connections');
    await waitFor('offline', () => a.account.state() === 'offline');
    const fresh = freshMessage('Sent while the network was down');
    await o.append('INBOX', fresh.raw, ['\\Seen']);
    await onOther(o, 'INBOX', async () => {
      await o.messageFlagsRemove('1:10', ['\\Seen'], { uid: true });
      await o.messageDelete('11:15', { uid: true });
    });
    proxy.refuse(0);
    await waitFor('online again', () => a.account.state() === 'online', 10_000);
    const server = await waitConverged(inbox, o, 'INBOX');
    assert.equal(server.size, 36);
    assert.ok(seen.states.indexOf('offline') < seen.states.lastIndexOf('online'));
  });

  it('browses the cache while Dovecot is down, queues a flag change and a move across a VS Code restart, replays them in order, never applies an operation to another message', async () => {
    const user = USERS.outage;
    const dirs = newDirs();
    const a = open(user, dirs);
    const inbox = await a.account.openFolder('INBOX');
    const archive = await a.account.openFolder('Archive');
    const projects = await a.account.openFolder('Projects');
    let o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    await waitConverged(archive, o, 'Archive');
    await waitConverged(projects, o, 'Projects');
    const online = await a.account.folders();
    assert.equal(online.offline, false);
    const body = await a.account.source('INBOX', 1);
    assert.match(body.toString('utf8'), /INBOX message 1 of outage/);
    const projectsValidity = await uidValidityOf(o, 'Projects');

    await dovecot.stopServer();
    await waitFor('offline', () => a.account.state() === 'offline', 15_000);
    const listing = await a.account.folders();
    assert.equal(listing.offline, true);
    assert.ok(listing.error && isUnreachable(listing.error));
    assert.deepEqual(flattenFolders(listing.folders).map((f) => f.path).sort(), flattenFolders(online.folders).map((f) => f.path).sort());
    assert.deepEqual(await a.account.source('INBOX', 1), body, 'a cached body is read from the body cache');
    await assert.rejects(a.account.source('INBOX', 2), (e: unknown) => MailError.is(e) && isUnreachable(e));

    // Queued in this order: flag message 3, move it to Archive, label 5 (expunged meanwhile
    // elsewhere), mark 8 unread, label Projects/1 (its folder is re-created meanwhile elsewhere).
    const outcomes = [
      await a.account.setFlags('INBOX', [3], { add: ['\\Flagged', '\\Seen'] }),
      await a.account.move('INBOX', [3], 'Archive'),
      await a.account.setFlags('INBOX', [5], { add: ['$Gone'] }),
      await a.account.setFlags('INBOX', [8], { remove: ['\\Seen'] }),
      await a.account.setFlags('Projects', [1], { add: ['$Stale'] }),
    ];
    assert.deepEqual(outcomes.map((x) => x.applied), [false, false, false, false, false]);
    assert.deepEqual(a.account.pending().map((op) => `${op.kind} ${op.path} ${op.uids.join(',')}`), ['flags INBOX 3', 'move INBOX 3', 'flags INBOX 5', 'flags INBOX 8', 'flags Projects 1']);
    assert.equal(inbox.get(3), undefined, 'the moved message leaves the tree at once');
    assert.ok(!inbox.get(8)?.flags.includes('\\Seen'));

    // VS Code restarts while the server is still unreachable.
    await closeAccount(a);
    proxy.refuse(120_000);
    const b = open(user, dirs);
    const seenB = record(b);
    await waitFor('the queue from disk', () => b.account.pending().length === 5);
    const inboxB = await b.account.openFolder('INBOX');
    const archiveB = await b.account.openFolder('Archive');
    const projectsB = await b.account.openFolder('Projects');
    assert.equal(inboxB.get(3), undefined);
    assert.ok(!inboxB.get(8)?.flags.includes('\\Seen'));
    assert.ok(inboxB.get(3 + 1), 'the rest of the cache is there');
    const listingB = await b.account.folders();
    assert.equal(listingB.offline, true, 'the folder list comes from disk');
    assert.ok(flattenFolders(listingB.folders).some((f) => f.path === 'Projects'));
    assert.deepEqual(await b.account.source('INBOX', 1), body);

    // The server comes back; before Mailroom gets through, the other device expunges message 5
    // and re-creates Projects (new UIDVALIDITY; its UID 1 is now another message).
    await dovecot.startServer();
    o = await other(user);
    await onOther(o, 'INBOX', () => o.messageDelete('5', { uid: true }));
    await o.mailboxDelete('Projects');
    await o.mailboxCreate('Projects');
    const impostor = freshMessage('Not the message you labelled');
    await o.append('Projects', impostor.raw, []);
    const newValidity = await uidValidityOf(o, 'Projects');
    assert.notEqual(newValidity, projectsValidity, 'precondition: Projects has a new UIDVALIDITY');
    proxy.refuse(0);

    await waitFor('online', () => b.account.state() === 'online', 15_000);
    await waitFor('the queue replayed', () => b.account.pending().length === 0, 20_000);
    const inboxServer = await waitConverged(inboxB, o, 'INBOX');
    const archiveServer = await waitConverged(archiveB, o, 'Archive');
    const projectsServer = await waitConverged(projectsB, o, 'Projects');

    assert.equal(uidOf(inboxServer, id(user, 3)), undefined, 'message 3 left INBOX');
    const moved = [...archiveServer.values()].filter((m) => m.messageId === id(user, 3));
    assert.equal(moved.length, 1, 'message 3 is in Archive once');
    assert.deepEqual(moved[0].flags, ['\\Flagged', '\\Seen'], 'the flag change was replayed before the move');
    assert.equal(uidOf(inboxServer, id(user, 5)), undefined);
    for (const [folder, state] of [['INBOX', inboxServer], ['Archive', archiveServer], ['Projects', projectsServer]] as const) {
      for (const m of state.values()) {
        assert.ok(!m.flags.includes('$Gone') && !m.flags.includes('$Stale'), `${folder} uid ${m.uid} got a label meant for a message that is gone`);
      }
    }
    assert.ok(!inboxServer.get(8)?.flags.includes('\\Seen'), 'message 8 was marked unread');
    assert.equal(projectsServer.size, 1);
    assert.ok(b.log.lines.some((l) => /offline change dropped \(vanished\): flags of 1 message\(s\) in INBOX/.test(l)), 'the vanished message is logged');
    assert.ok(b.log.lines.some((l) => /offline change dropped \(uidvalidity-changed\): flags of 1 message\(s\) in Projects/.test(l)), 'the re-created folder is logged');
    const projectsSync = await waitFor('the Projects sync', () => synced(seenB, 'Projects'));
    assert.equal(projectsSync.result?.uidValidityChanged, true, 'the Projects cache was dropped and refilled');
  });

  it('moves, copies and deletes update both folders’ caches; delete in Trash expunges that message only', async () => {
    const user = USERS.moves;
    const a = open(user, newDirs());
    const acc: ImapAccount = a.account;
    const inbox = await acc.openFolder('INBOX');
    const archive = await acc.openFolder('Archive');
    const trash = await acc.openFolder('Trash');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    await waitConverged(archive, o, 'Archive');
    await waitConverged(trash, o, 'Trash');

    assert.deepEqual(await acc.move('INBOX', [1, 2], 'Archive'), { applied: true, leftFlaggedDeleted: [] });
    assert.equal(inbox.get(1), undefined);
    assert.equal(inbox.get(2), undefined);
    let archiveServer = await waitConverged(archive, o, 'Archive');
    assert.ok(uidOf(archiveServer, id(user, 1)) && uidOf(archiveServer, id(user, 2)));
    let inboxServer = await waitConverged(inbox, o, 'INBOX');
    assert.equal(inboxServer.size, 28);

    assert.equal((await acc.copy('INBOX', [4], 'Projects')).applied, true);
    inboxServer = await waitConverged(inbox, o, 'INBOX');
    assert.ok(inboxServer.has(4), 'a copy stays');
    assert.ok(uidOf(await serverState(o, 'Projects'), id(user, 4)));

    assert.equal(await acc.deletesPermanently('INBOX'), false);
    assert.equal((await acc.delete('INBOX', [6])).applied, true);
    assert.equal(inbox.get(6), undefined);
    let trashServer = await waitConverged(trash, o, 'Trash');
    const trashUid = uidOf(trashServer, id(user, 6));
    assert.ok(trashUid, 'deleted message went to Trash');
    await waitConverged(inbox, o, 'INBOX');

    // Another client left a \Deleted message in Trash: our delete must not expunge it.
    const keep = freshMessage('Flagged deleted by another client');
    await o.append('Trash', keep.raw, ['\\Deleted']);
    await acc.sync('Trash');
    await waitConverged(trash, o, 'Trash');
    assert.equal(await acc.deletesPermanently('Trash'), true);
    assert.equal((await acc.delete('Trash', [trashUid])).applied, true);
    assert.equal(trash.get(trashUid), undefined);
    trashServer = await waitConverged(trash, o, 'Trash');
    assert.equal(uidOf(trashServer, id(user, 6)), undefined, 'expunged from Trash');
    assert.ok(uidOf(trashServer, keep.messageId), 'the other client’s \\Deleted message is still there');
    for (const folder of ['INBOX', 'Archive', 'Projects', 'Trash']) {
      assert.equal(uidOf(await serverState(o, folder), id(user, 6)), undefined, `message 6 is gone from ${folder} too`);
    }

    // And back: Archive → INBOX gives the message a new UID in the INBOX cache.
    const archivedUid = uidOf(archiveServer, id(user, 1))!;
    assert.equal((await acc.move('Archive', [archivedUid], 'INBOX')).applied, true);
    assert.equal(archive.get(archivedUid), undefined);
    inboxServer = await waitConverged(inbox, o, 'INBOX');
    const back = uidOf(inboxServer, id(user, 1));
    assert.ok(back && back > 30, 'a new UID above the seeded ones');
    assert.equal(inbox.get(back)?.messageId, id(user, 1));
    archiveServer = await waitConverged(archive, o, 'Archive');
    assert.equal(archiveServer.size, 1);
  });

  it('takes a flag change the server refuses back out of the cache', async () => {
    const user = USERS.refused;
    const a = open(user, newDirs());
    const inbox = await a.account.openFolder('INBOX');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    const before = inbox.get(2)?.flags;
    await assert.rejects(a.account.setFlags('INBOX', [2], { add: ['\\Flagged', 'bad flag'] }), (e: unknown) => MailError.is(e, 'CommandFailed'));
    assert.deepEqual(inbox.get(2)?.flags, before);
    assert.equal(a.account.pending().length, 0, 'a refusal is not queued');
    await waitConverged(inbox, o, 'INBOX');
  });

  it('keeps a flag set here when a sync that read the server just before its STORE lands after it', async () => {
    const user = USERS.racing;
    const a = open(user, newDirs());
    const inbox = await a.account.openFolder('INBOX');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    // Another device reads message 3: the next sync reports its flags, as they are before our STORE.
    await o.mailboxOpen('INBOX');
    await o.messageFlagsAdd('3', ['\\Seen'], { uid: true });
    // The sync takes the command connection first; the flag change waits behind it.
    const syncing = a.account.sync('INBOX');
    const flagging = a.account.setFlags('INBOX', [3], { add: ['\\Flagged'] });
    await Promise.all([syncing, flagging]);
    assert.deepEqual([...(inbox.get(3)?.flags ?? [])].sort(), ['\\Flagged', '\\Seen'], 'what the server has once the STORE is done');
    await waitConverged(inbox, o, 'INBOX');
  });

  it('a sync asked for while another runs ends with what the server had when it was asked', async () => {
    const user = USERS.latesync;
    // No IDLE: the flag change must reach the cache through the sync asked for, not a push.
    const a = open(user, newDirs(), { supervisor: { idle: { path: 'INBOX', enabled: false } } });
    const inbox = await a.account.openFolder('INBOX');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    // A new message makes the running sync FETCH its envelope last; the server's answer to that
    // FETCH is held, so the sync is still running when another device changes a flag, and
    // nothing it reads can carry the change.
    await o.append('INBOX', freshMessage('Arrives before the sync').raw);
    const envelopes = proxy.holdToClient(1, /OK Fetch completed/i);
    const running = a.account.sync('INBOX');
    await envelopes.reached;
    await o.mailboxOpen('INBOX');
    await o.messageFlagsAdd('3', ['\\Flagged'], { uid: true });
    const asked = a.account.sync('INBOX');
    envelopes.release();
    await running;
    await asked;
    assert.ok(inbox.get(3)?.flags.includes('\\Flagged'), `the sync asked for after the change shows it (cached flags: ${[...(inbox.get(3)?.flags ?? [])].join(' ')})`);
    await waitConverged(inbox, o, 'INBOX');
  });

  it('shows a message again when its queued move fails at replay (the destination was deleted elsewhere)', async () => {
    const user = USERS.lostmove;
    const a = open(user, newDirs());
    const seen = record(a);
    const inbox = await a.account.openFolder('INBOX');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    await waitFor('IDLE on INBOX', () => idlingCount() >= 1);
    proxy.refuse(60_000);
    proxy.dropAll();
    await waitFor('offline', () => a.account.state() === 'offline');
    assert.equal((await a.account.move('INBOX', [4], 'Projects')).applied, false);
    assert.equal(inbox.get(4), undefined);
    await o.mailboxDelete('Projects');
    const mark = seen.changes.length;
    proxy.refuse(0);
    await waitFor('the queue replayed', () => a.account.pending().length === 0, 15_000);
    await waitFor('a sync after the replay', () => synced(seen, 'INBOX', mark));
    const server = await waitConverged(inbox, o, 'INBOX');
    assert.equal(server.size, 10);
    assert.equal(inbox.get(4)?.messageId, id(user, 4), 'the message is back in the tree');
    assert.ok(a.log.lines.some((l) => /offline change failed/.test(l)), 'the failure is logged');
  });

  it('never APPENDs twice when the connection drops before the server’s OK reaches Mailroom', async () => {
    const user = USERS.appendcut;
    const a = open(user, newDirs());
    const inbox = await a.account.openFolder('INBOX');
    const o = await other(user);
    await waitConverged(inbox, o, 'INBOX');
    const message = freshMessage('Consolidated from POP3');
    const cut = proxy.dropWhen(/\S+ OK \[APPENDUID /, 'before');
    const appended = a.account.append('INBOX', message.raw, ['\\Seen']).then(() => 'resolved', (e: unknown) => e);
    await cut;
    const outcome = await appended;
    assert.ok(MailError.is(outcome) && isUnreachable(outcome), `the caller must learn that the outcome is unknown (got ${String(outcome)})`);
    const server = await serverState(o, 'INBOX');
    assert.equal([...server.values()].filter((m) => m.messageId === message.messageId).length, 1, 'stored once');
    await waitConverged(inbox, o, 'INBOX');
  });
});
