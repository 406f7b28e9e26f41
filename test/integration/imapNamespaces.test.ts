// Folder trees and folder commands on servers that name folders differently (RFC 2342 namespaces):
// the usual layout (no prefix, "/"), Courier-style "INBOX." with ".", and the latter without
// SPECIAL-USE flags, each with a public namespace where Dovecot has one. Real Dovecot, configured
// each way; the account is built as the extension builds it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImapFlow } from 'imapflow';
import type { AccountConfig } from '../../src/protocol/account';
import { connectImap } from '../../src/protocol/imap/connect';
import { FolderInfo, flattenFolders } from '../../src/protocol/imap/folders';
import { silentLog } from '../../src/protocol/log';
import { BuiltAccount, buildAccount, seededSpec, seededUser, serverState } from '../fixtures/accountHarness';
import { DovecotFixture, ExtraUser, startDovecot } from '../fixtures/dovecot';
import type { NamespaceLayout } from '../fixtures/dovecotConfig';
import { ALICE_SEED } from '../fixtures/seed';
import { requireDovecot } from './requireDovecot';

interface Layout {
  title: string;
  namespaces: NamespaceLayout;
}

const LAYOUTS: Layout[] = [
  { title: 'no prefix, "/" (the usual)', namespaces: { prefix: '', separator: '/', publicPrefix: 'Public/' } },
  { title: 'personal prefix "INBOX." with "."', namespaces: { prefix: 'INBOX.', separator: '.', publicPrefix: 'Public.' } },
  { title: 'personal prefix "INBOX." with ".", no SPECIAL-USE flags', namespaces: { prefix: 'INBOX.', separator: '.', specialUse: false } },
];

const CHANGER = seededUser('changer', { INBOX: 4 });
const CONFIGURED = seededUser('configured', { INBOX: 1, Sent: 1 });
const PUBLIC_FOLDERS = seededUser('public', { Announcements: 2 }).folders;

const names = (folders: readonly FolderInfo[]): string[] => folders.map((f) => f.name);

for (const layout of LAYOUTS) {
  const { prefix, separator: sep } = layout.namespaces;
  /** The server's full path of a seed path ("Projects/Mailroom" -> "INBOX.Projects.Mailroom"). */
  const full = (seedPath: string): string => (seedPath === 'INBOX' ? 'INBOX' : prefix + seedPath.split('/').join(sep));

  describe(`Folders on a server with ${layout.title} (Dovecot)`, function () {
    this.timeout(60_000);
    let dovecot: DovecotFixture;
    let tmpRoot: string;
    const built: BuiltAccount[] = [];
    const others: ImapFlow[] = [];

    before(async function () {
      requireDovecot(this);
      dovecot = await startDovecot({ namespaces: layout.namespaces, publicFolders: PUBLIC_FOLDERS, extraUsers: [CHANGER, CONFIGURED] });
      tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroom-ns-'));
    });
    afterEach(async () => {
      await Promise.all(built.splice(0).map((b) => b.account.close()));
      await Promise.all(others.splice(0).map((c) => c.logout().catch(() => c.close())));
    });
    after(async () => {
      await dovecot?.stop();
      if (tmpRoot) fs.rmSync(tmpRoot, { recursive: true, force: true });
    });

    const config = (user: string, extra: Partial<AccountConfig> = {}): AccountConfig => ({
      id: `acct-${user}`,
      label: user,
      protocol: 'imap',
      host: '127.0.0.1',
      port: dovecot.ports.imap,
      security: 'none',
      allowPlaintextPassword: true,
      user,
      ...extra,
    });
    const open = (user: { user: string; password: string }, options: { includeUnsubscribed?: boolean; extra?: Partial<AccountConfig> } = {}): BuiltAccount => {
      const b = buildAccount(config(user.user, options.extra), user.password, { root: fs.mkdtempSync(path.join(tmpRoot, 'store-')) }, { includeUnsubscribed: options.includeUnsubscribed ?? false });
      built.push(b);
      return b;
    };
    /** Another client straight to Dovecot, to check what the server has. */
    const other = async (user: ExtraUser): Promise<ImapFlow> => {
      const client = await connectImap({ account: config(user.user), password: user.password, log: silentLog, timeoutMs: 5000 });
      others.push(client);
      return client;
    };
    const serverPaths = async (user: ExtraUser): Promise<string[]> => (await (await other(user)).list()).map((e) => e.path).sort();

    it('shows the personal folders at the top level beside INBOX, each with its full path and counts', async () => {
      const a = open(ALICE_SEED.user);
      const { folders, offline } = await a.account.folders();
      assert.equal(offline, false);
      const topLevel = [...new Set(ALICE_SEED.folders.map((f) => f.path.split('/')[0]))];
      assert.deepEqual(names(folders).slice(0, 6), ['INBOX', 'Drafts', 'Sent', 'Archive', 'Junk', 'Trash'], 'Inbox, then the special folders');
      assert.deepEqual([...names(folders)].sort(), [...topLevel].sort(), 'every seeded top-level folder at the top, nothing else');
      const inbox = folders[0];
      assert.equal(inbox.path, 'INBOX');
      assert.deepEqual(names(inbox.children), [], 'nothing nested under INBOX');
      const projects = folders.find((f) => f.name === 'Projects');
      assert.deepEqual(
        projects?.children.map((f) => [f.name, f.path]),
        [['Mailroom', full('Projects/Mailroom')]],
      );
      for (const seed of ALICE_SEED.folders) {
        const folder = flattenFolders(folders).find((f) => f.path === full(seed.path));
        assert.ok(folder, `${full(seed.path)} listed`);
        assert.deepEqual([folder.total, folder.unseen], [seed.total, seed.unseen], `${folder.path} counts`);
        if (seed.specialUse) assert.equal(folder.specialUse, seed.specialUse, `${folder.path} is ${seed.specialUse}`);
      }
    });

    it('finds Sent, Drafts and Trash under the prefix, by special use or by name', async () => {
      const a = open(ALICE_SEED.user);
      assert.equal(await a.account.specialFolder('\\Sent'), full('Sent'));
      assert.equal(await a.account.specialFolder('\\Drafts'), full('Drafts'));
      assert.equal(await a.account.trashPath(), full('Trash'));
    });

    it('takes a configured Sent folder written without the prefix as the folder it names', async () => {
      const a = open(CONFIGURED, { extra: { sentFolder: 'Sent' } });
      const sent = await a.account.specialFolder('\\Sent');
      assert.equal(sent, full('Sent'));
      const o = await other(CONFIGURED);
      const status = await o.status(sent!, { messages: true });
      assert.equal(status && status.messages, 1, `the configured folder resolves to the one holding mail (${sent})`);
    });

    it('creates a new top-level folder under the prefix; rename, move and delete keep full paths', async () => {
      const a = open(CHANGER);
      const created = await a.account.createFolder(undefined, 'Receipts');
      assert.equal(created, full('Receipts'));
      const child = await a.account.createFolder(created, '2026');
      assert.equal(child, full('Receipts/2026'));
      let tree = (await a.account.folders()).folders;
      const receipts = tree.find((f) => f.name === 'Receipts');
      assert.equal(receipts?.path, full('Receipts'), 'the new folder shows at the top level');
      assert.deepEqual(receipts?.children.map((f) => f.path), [full('Receipts/2026')]);
      assert.ok((await serverPaths(CHANGER)).includes(full('Receipts/2026')));

      const renamed = await a.account.renameFolder(created, 'Invoices');
      assert.equal(renamed, full('Invoices'));
      tree = (await a.account.folders()).folders;
      assert.deepEqual(tree.find((f) => f.name === 'Invoices')?.children.map((f) => f.path), [full('Invoices/2026')]);
      assert.equal(tree.some((f) => f.name === 'Receipts'), false);

      const inbox = await a.account.openFolder('INBOX');
      await a.account.sync('INBOX');
      const uid = inbox.page(0, 1)[0].uid;
      const outcome = await a.account.move('INBOX', [uid], full('Invoices/2026'));
      assert.equal(outcome.applied, true);
      const moved = await serverState(await other(CHANGER), full('Invoices/2026'));
      assert.deepEqual([...moved.values()].map((m) => m.messageId), [seededSpec('changer', 'INBOX', uid).messageId]);

      await a.account.deleteFolder(full('Invoices'));
      const after = await serverPaths(CHANGER);
      assert.equal(after.includes(full('Invoices')) || after.includes(full('Invoices/2026')), false, `deleted on the server: ${after.join(', ')}`);
      assert.equal((await a.account.folders()).folders.some((f) => f.name === 'Invoices'), false);
    });

    if (layout.namespaces.publicPrefix !== undefined) {
      const publicRoot = layout.namespaces.publicPrefix.slice(0, -sep.length);
      const announcements = `${layout.namespaces.publicPrefix}Announcements`;

      it('shows the public namespace as its own top-level node, last, and opens its folders by their full path', async () => {
        const a = open(ALICE_SEED.user, { includeUnsubscribed: true });
        // Commands first: a folder outside the personal namespace keeps its own path.
        const cache = await a.account.openFolder(announcements);
        await a.account.sync(announcements);
        assert.deepEqual(
          cache.page(0, 10).map((e) => e.subject),
          ['Announcements message 2', 'Announcements message 1'],
        );
        const { folders } = await a.account.folders();
        const node = folders[folders.length - 1];
        assert.deepEqual([node.name, node.path, node.namespace, node.selectable], [publicRoot, publicRoot, 'shared', false]);
        assert.deepEqual(node.children.map((f) => f.path), [announcements]);
        assert.equal(await a.account.specialFolder('\\Sent'), full('Sent'), 'the public namespace does not change where Sent is');
        const status = await (await other(CHANGER)).status(announcements, { messages: true });
        assert.equal(status && status.messages, 2);
      });
    }
  });
}
