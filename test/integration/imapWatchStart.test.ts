// The moment the supervisor starts watching INBOX (IDLE's EXAMINE, or the first STATUS poll after
// IDLE gave its slot to another window) against the moment the cache was last synced: a change
// another client makes in between is pushed by nobody, so the account must compare what the
// watch start reports with its cache and catch up. The window is made deterministic by holding
// the watching connection's command in the fault proxy while the other client changes INBOX.
// Three Dovecot set-ups: QRESYNC, CONDSTORE only, and neither (where only a flags sweep shows a
// flag change).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import type { AccountConfig } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import type { FolderChange } from '../../src/protocol/imap/imapAccount';
import { ImapSupervisor } from '../../src/protocol/imap/supervisor';
import type { SyncMethod } from '../../src/protocol/imap/sync';
import { silentLog } from '../../src/protocol/log';
import { ConnectionLeases } from '../../src/store/connectionLeases';
import { BuiltAccount, buildAccount, occurrences, plainImapAccount, seededUser, waitConverged, waitFor } from '../fixtures/accountHarness';
import { DovecotFixture, ExtraUser, startDovecot } from '../fixtures/dovecot';
import { FaultProxy, Hold } from '../fixtures/faultProxy';
import { requireDovecot } from './requireDovecot';
import { givenPassword } from '../../src/protocol/credentials';

/** Capabilities without QRESYNC (and, for the second mode, without CONDSTORE); imap_capability replaces Dovecot's list. */
const BASE_CAPS = 'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS MOVE UNSELECT CHILDREN NAMESPACE LIST-EXTENDED LIST-STATUS SPECIAL-USE';
const MODES: Array<{ title: string; method: SyncMethod; configExtra?: string }> = [
  { title: 'QRESYNC', method: 'qresync' },
  { title: 'CONDSTORE without QRESYNC', method: 'condstore', configExtra: `imap_capability = ${BASE_CAPS} ESEARCH CONDSTORE` },
  { title: 'neither CONDSTORE nor QRESYNC', method: 'uidnext+flags', configExtra: `imap_capability = ${BASE_CAPS}` },
];

const USERS = {
  idlegap: seededUser('idlegap', { INBOX: 40 }),
  idlequiet: seededUser('idlequiet', { INBOX: 40 }),
  pollgap: seededUser('pollgap', { INBOX: 40 }),
} satisfies Record<string, ExtraUser>;

/** How long the cache may take to catch up once the held command went through. */
const CONVERGE_MS = 10_000;

const syncResults = (changes: FolderChange[], from = 0): FolderChange[] => changes.slice(from).filter((c) => c.path === 'INBOX' && c.result !== undefined);

/** What "another device" does in the window: one flag added, one removed, one message expunged. */
async function changeElsewhere(o: ImapFlow): Promise<void> {
  const lock = await o.getMailboxLock('INBOX');
  try {
    await o.messageFlagsAdd('3', ['\\Flagged'], { uid: true });
    await o.messageFlagsRemove('5', ['\\Seen'], { uid: true });
    await o.messageDelete('8', { uid: true });
  } finally {
    lock.release();
  }
}

for (const mode of MODES) {
  describe(`a change made just before INBOX is watched reaches the cache (Dovecot, ${mode.title})`, function () {
    this.timeout(60_000);
    let dovecot: DovecotFixture;
    let proxy: FaultProxy;
    let tmpRoot: string;
    const built: BuiltAccount[] = [];
    const supervisors: ImapSupervisor[] = [];
    const leaseSets: ConnectionLeases[] = [];
    const clients: ImapFlow[] = [];
    const holds: Hold[] = [];

    before(async function () {
      requireDovecot(this);
      dovecot = await startDovecot({ extraUsers: Object.values(USERS), ...(mode.configExtra ? { configExtra: mode.configExtra } : {}) });
      tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-watch-'));
    });
    beforeEach(async () => {
      proxy = await FaultProxy.start({ targetPort: dovecot.ports.imap });
    });
    afterEach(async () => {
      for (const h of holds.splice(0)) h.release();
      await Promise.all(built.splice(0).map((b) => b.account.close()));
      await Promise.all(supervisors.splice(0).map((s) => s.close()));
      leaseSets.splice(0).forEach((l) => l.dispose());
      await Promise.all(clients.splice(0).map((c) => c.logout().catch(() => c.close())));
      await proxy.close();
    });
    after(async () => {
      await dovecot?.stop();
      if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
    });

    const config = (user: ExtraUser): AccountConfig => plainImapAccount(user, proxy.port);
    const open = (user: ExtraUser, options: Parameters<typeof buildAccount>[3] = {}): { built: BuiltAccount; changes: FolderChange[] } => {
      const b = buildAccount(config(user), user.password, { root: fs.mkdtempSync(path.join(tmpRoot, 'store-')) }, options);
      built.push(b);
      const changes: FolderChange[] = [];
      b.account.onDidChangeFolder((e) => changes.push(e));
      return { built: b, changes };
    };
    /** The other device: straight to Dovecot, not through the proxy. */
    const other = async (user: ExtraUser): Promise<ImapFlow> => {
      const client = await connectImap({ account: { ...config(user), port: dovecot.ports.imap }, password: user.password, log: silentLog, timeoutMs: 5000 });
      clients.push(client);
      return client;
    };
    const hold = (connection: number, pattern: RegExp): Hold => {
      const h = proxy.holdToServer(connection, pattern);
      holds.push(h);
      return h;
    };
    const idling = (): number => occurrences(proxy.transcript().toClient, '+ idling');

    it('IDLE whose EXAMINE comes after a change made since the first sync: the flag changes and the expunge still show', async () => {
      const user = USERS.idlegap;
      // Connection 1 is the command connection; the IDLE connection opens only once it is up.
      const examine = hold(2, /EXAMINE/i);
      const { built: a, changes } = open(user);
      const inbox = await a.account.openFolder('INBOX');
      const first = await waitFor('the first sync of INBOX', () => syncResults(changes)[0]);
      assert.equal(first.result?.method, 'full');
      assert.equal(inbox.get(8)?.uid, 8);
      await waitFor('the IDLE connection sending EXAMINE', () => examine.isReached);
      const o = await other(user);
      await changeElsewhere(o);
      const mark = changes.length;
      examine.release();
      await waitFor('IDLE on INBOX', () => idling() >= 1);
      const server = await waitConverged(inbox, o, 'INBOX', CONVERGE_MS);
      assert.equal(server.size, 39);
      assert.equal(inbox.get(8), undefined);
      assert.ok(inbox.get(3)?.flags.includes('\\Flagged'));
      assert.equal(proxy.totalConnections, 2, 'the held connection was the IDLE one');
      // The cache is updated while a sync runs; its event follows when the sync is done.
      const catchUp = await waitFor('the catch-up sync', () => syncResults(changes, mark)[0], CONVERGE_MS);
      assert.equal(catchUp.result?.method, mode.method);
    });

    it(mode.method === 'uidnext+flags' ? 'IDLE starting with nothing changed: one flags sweep, the only way to see flag changes here' : 'IDLE starting with nothing changed costs no sync: HIGHESTMODSEQ says the cache is current', async () => {
      const user = USERS.idlequiet;
      const { built: a, changes } = open(user);
      const inbox = await a.account.openFolder('INBOX');
      await waitFor('the first sync of INBOX', () => syncResults(changes)[0]);
      await waitFor('IDLE on INBOX', () => idling() >= 1);
      const verdict = await waitFor('the watch-start check', () => a.log.lines.find((l) => /^INBOX watched \(idle\)/.test(l)));
      const o = await other(user);
      await waitConverged(inbox, o, 'INBOX', CONVERGE_MS);
      if (mode.method === 'uidnext+flags') {
        assert.match(verdict, /no HIGHESTMODSEQ/);
        const sweep = await waitFor('the flags sweep', () => syncResults(changes)[1]);
        assert.equal(sweep.result?.method, 'uidnext+flags');
      } else {
        assert.match(verdict, /cache is current/);
        // The check ran after the first sync had finished; no sync may follow it.
        assert.equal(syncResults(changes).length, 1, `syncs: ${syncResults(changes).map((c) => c.result?.method).join(', ')}`);
      }
    });

    it('IDLE given up for another window: a change before the first poll still shows, and later ones too', async () => {
      const user = USERS.pollgap;
      const leaseDir = fs.mkdtempSync(path.join(tmpRoot, 'leases-'));
      const leasesA = new ConnectionLeases({ dir: leaseDir, heartbeatMs: 100 });
      const leasesB = new ConnectionLeases({ dir: leaseDir, heartbeatMs: 100 });
      leaseSets.push(leasesA, leasesB);
      const { built: a } = open(user, { supervisor: { leases: leasesA, idle: { path: 'INBOX', enabled: true, pollIntervalMs: 300 } } });
      const inbox = await a.account.openFolder('INBOX');
      const o = await other(user);
      await waitConverged(inbox, o, 'INBOX', CONVERGE_MS);
      await waitFor('IDLE on INBOX', () => a.supervisor.pushMode() === 'idle' && idling() >= 1);
      // A's command connection (1) polls once IDLE (2) gave its slot to window B: EXAMINE, since
      // it has INBOX selected (STATUS otherwise). Nothing else runs on it meanwhile.
      const poll = hold(1, /^\S+ (STATUS|EXAMINE) /m);
      const b = new ImapSupervisor({
        account: config(user),
        credentials: givenPassword(user.password),
        log: silentLog,
        timeoutMs: 4000,
        maxConnections: 2,
        leases: leasesB,
        backoff: { initialMs: 100, maxMs: 500 },
        wake: false,
      });
      supervisors.push(b);
      const bWorks = b.run('noop', (c) => c.noop());
      await waitFor('A polling', () => a.supervisor.pushMode() === 'polling');
      await waitFor('the first poll', () => poll.isReached);
      await changeElsewhere(o);
      poll.release();
      await bWorks;
      assert.equal((await waitConverged(inbox, o, 'INBOX', CONVERGE_MS)).size, 39);
      // Later polls see later changes too, although INBOX stays selected on the polling connection
      // (STATUS of the selected mailbox answers with a stale view there).
      assert.equal(a.supervisor.pushMode(), 'polling');
      const lock = await o.getMailboxLock('INBOX');
      try {
        await o.messageFlagsAdd('10', ['$Later'], { uid: true });
        await o.messageDelete('11', { uid: true });
      } finally {
        lock.release();
      }
      const server = await waitConverged(inbox, o, 'INBOX', CONVERGE_MS);
      assert.equal(server.size, 38);
      assert.ok(inbox.get(10)?.flags.includes('$Later'));
      assert.ok(proxy.maxConcurrent <= 2, `saw ${proxy.maxConcurrent} connections at once`);
    });
  });
}
