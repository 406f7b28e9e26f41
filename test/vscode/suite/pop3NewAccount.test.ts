// A POP3 account as a new user meets it: added, it downloads its maildrop by itself (no Check Mail,
// not even opening the Inbox); an empty maildrop says so with the time of the check.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountRequest, AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { AccountNode, MailNode, MessageNode, Pop3InboxNode, StatusNode } from '../../../src/providers/tree/nodes';
import { CAROL_MESSAGES, CAROL_NEWEST } from '../../fixtures/pop3Users';
import type { MailUser } from '../../fixtures/seed';
import { activateMailroom, fixtureInfo, FixtureInfo, log, takeScreenshot, waitFor } from './harness';

const CAROL_ID = 'carol-new-pop3';
const DAVE_ID = 'dave-empty-pop3';

describe('A new POP3 account (carol with five messages, dave with none)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;

  before(async () => {
    fixture = fixtureInfo();
    api = await activateMailroom();
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
  });

  after(async () => {
    for (const id of [CAROL_ID, DAVE_ID]) await vscode.commands.executeCommand('mailroom.removeAccount', id);
  });

  it('downloads the maildrop right after the account is added, without Check Mail', async () => {
    const account = await add(CAROL_ID, 'Carol (POP3)', user(fixture.users.carol));
    // Nothing here lists the Inbox or runs Check Mail: the download has to start by itself.
    const cache = await api.pop3.cache(account);
    await waitFor(() => cache.size === CAROL_MESSAGES.length, `carol's ${CAROL_MESSAGES.length} messages to be downloaded without Check Mail`, 20_000);
    const rows = await api.treeModel.getChildren(await inbox(CAROL_ID));
    const messages = rows.filter((n): n is MessageNode => n.kind === 'message');
    assert.deepEqual(messages.map((m) => m.item.subject), [...CAROL_MESSAGES].reverse().map((m) => m.subject), 'newest first');
    assert.equal(messages[0].item.subject, CAROL_NEWEST.subject);
    assert.deepEqual(rows.filter((n) => n.kind === 'status'), [], 'no "No messages downloaded yet" row');
    await api.treeView.reveal(await inbox(CAROL_ID), { expand: true, focus: false, select: false });
    await takeScreenshot('pop3-new-account-downloaded');
  });

  it('says "No mail on the server · checked HH:MM" after checking an empty maildrop', async () => {
    const from = new Date();
    await add(DAVE_ID, 'Dave (POP3)', user(fixture.users.dave));
    const node = await inbox(DAVE_ID);
    const row = await waitFor(async () => {
      const status = (await api.treeModel.getChildren(node)).find((n): n is StatusNode => n.kind === 'status');
      if (status) log(`dave's Inbox says: ${status.message}`);
      return status && /^No mail on the server/.test(status.message) ? status : undefined;
    }, 'the empty maildrop row', 20_000);
    const to = new Date();
    const hhmm = (d: Date): string => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    assert.ok([hhmm(from), hhmm(to)].map((t) => `No mail on the server · checked ${t}`).includes(row.message), row.message);
    assert.equal(row.severity, 'info');
    await api.treeView.reveal(node, { expand: true, focus: false, select: false });
    await takeScreenshot('pop3-empty-maildrop');
  });

  function user(u: MailUser | undefined): MailUser {
    assert.ok(u, 'the fixture has the POP3 users of pop3Users.ts');
    return u;
  }

  async function add(id: string, label: string, u: MailUser): Promise<AccountNode['account']> {
    const request: AddAccountRequest = {
      id,
      label,
      protocol: 'pop3',
      host: fixture.host,
      port: fixture.ports.pop3s,
      security: 'tls',
      user: u.user,
      password: u.password,
      trustedCertificateSha256: fixture.certSha256,
    };
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', request);
    assert.deepEqual(result, { saved: true, accountId: id });
    return (await accountNode(id)).account;
  }

  async function accountNode(id: string): Promise<AccountNode> {
    return waitFor(() => api.treeModel.getRoots().find((n) => n.account.id === id), `account ${id}`);
  }

  async function inbox(id: string): Promise<Pop3InboxNode> {
    const children: MailNode[] = await api.treeModel.getChildren(await accountNode(id));
    const node = children.find((n): n is Pop3InboxNode => n.kind === 'pop3Inbox');
    assert.ok(node, 'the POP3 account has an Inbox');
    return node;
  }
});
