// Signing an OAuth2 account in, in the real workbench, against a real authorization server
// (oidc-provider, started by the fixture with Dovecot accepting its tokens): the runner's Chromium
// acts on the tab the workbench opened (login, consent, the device code) as a person would.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SignInResult } from '../../../src/providers/auth/signInCommand';
import type { DeliveryReport } from '../../../src/providers/compose/composeCommands';
import type { ComposeMeta } from '../../../src/store/composeStore';
import { startSmtpSink } from '../../fixtures/smtpSink';
import type { MailroomApi } from '../../../src/providers/api';
import type { AccountNode } from '../../../src/providers/tree/nodes';
import { activateMailroom, dovecotControl, fixtureInfo, FixtureInfo, hasBrowserService, log, oauthControl, takeScreenshot, waitFor, workbenchTexts } from './harness';
import { clickDialogButton, pressKey, waitForQuickInput, withDialogs } from './input';
import { actOnSignInPages, clickNotificationButton, keepOpenedPages } from './oauth';

const ID = 'alice-oauth2';

describe('OAuth2 sign-in (Mailroom: Sign In) with a real authorization server', function () {
  this.timeout(180_000);
  let api: MailroomApi;
  let fixture: FixtureInfo;
  let oauth: NonNullable<FixtureInfo['oauth']>;

  before(async function () {
    fixture = fixtureInfo();
    if (!fixture.oauth || !hasBrowserService()) this.skip(); // desktop test-cli: no browser to act with
    oauth = fixture.oauth!;
    api = await activateMailroom();
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
    const accounts = vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? [];
    await vscode.workspace.getConfiguration('mailroom').update('accounts', [...accounts, accountEntry()], vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    if (api) await vscode.commands.executeCommand('mailroom.removeAccount', ID);
    if (hasBrowserService()) await keepOpenedPages(false);
  });

  it('offers Sign In on the account while it has no sign-in', async () => {
    const node = await accountNode();
    const item = await waitFor(() => {
      const treeItem = api.treeProvider.getTreeItem(node);
      return String(treeItem.contextValue).endsWith('.signInRequired') ? treeItem : undefined;
    }, 'the account row to say it needs a sign-in');
    assert.equal(item.contextValue, 'mailroom.account.imap.signInRequired');
    assert.match(String(item.description), /sign-in required/);
    await api.treeView.reveal(node, { focus: true, select: true, expand: false });
    const rows = await workbenchTexts('.monaco-list-row');
    assert.ok(rows?.some((r) => /Alice \(OAuth2\)/.test(r) && /sign-in required/.test(r)), `the row says so: ${JSON.stringify(rows)}`);
    await takeScreenshot('oauth-1-sign-in-required');
  });

  it('signs in in the browser: picked from the choice, login and consent on the tab the workbench opened', async () => {
    await signInInTheBrowser('oauth-browser', true);
    const node = await accountNode();
    await waitFor(() => api.treeProvider.getTreeItem(node).contextValue === 'mailroom.account.imap.oauth2', 'the Sign In button to go away');
    await takeScreenshot('oauth-3-signed-in');
  });

  it('shows the account\'s folders once signed in: Dovecot takes the token', async () => {
    const node = await accountNode();
    api.treeModel.refresh(node);
    const folders = await waitFor(async () => {
      const children = await api.treeModel.getChildren(await accountNode());
      return children.some((c) => c.kind === 'folder') ? children : undefined;
    }, 'the folders of the signed-in account', 30_000);
    log(`rows under the account: ${folders.map((c) => (c.kind === 'folder' ? c.folder.path : `${c.kind}`)).join(', ')}`);
    assert.ok(folders.some((c) => c.kind === 'folder' && c.folder.path === 'INBOX'), 'INBOX is listed');
    assert.ok(!folders.some((c) => c.kind === 'status'), 'no error row');
    await api.treeView.reveal(await accountNode(), { expand: true, focus: false, select: false });
    await takeScreenshot('oauth-3b-folders');
  });

  it('signs in with a code: the code from the notification typed into the server\'s page', async () => {
    const before = await api.signInStatus(ID);
    const mark = await keepOpenedPages();
    const running = vscode.commands.executeCommand<SignInResult>('mailroom.signIn', ID, { method: 'device' });
    // The workbench under the smoke-test driver shows no toasts: a person would find them here.
    await vscode.commands.executeCommand('notifications.showList');
    await waitFor(async () => (await workbenchTexts('.notification-list-item'))?.some((t) => /enter the code/.test(t) && /Open Page/.test(t)), 'the notification with the code');
    await takeScreenshot('oauth-4-device-code');
    const message = await withDialogs(async () => {
      const text = await clickNotificationButton('enter the code', 'Open Page');
      await allowOpeningTheSignInPage();
      return text;
    });
    const code = /enter the code ([A-Z0-9-]+)/.exec(message)?.[1];
    assert.ok(code, `the notification shows the code: ${message}`);
    log(`device code notification: ${message}`);
    const pages = await actOnSignInPages({ mark, login: fixture.users.alice.user, userCode: code, shots: 'oauth-device' });
    log(`pages: ${pages.steps.map((s) => `${s.action} ${s.url.replace(/\?.*/, '')}`).join(' | ')}`);
    // Still signed in at the server from the test before, the browser skips the login page.
    assert.deepEqual(pages.steps.map((s) => s.action).filter((a) => a !== 'login'), ['enter-code', 'confirm-device', 'consent', 'final-page']);
    assert.match(pages.finalText, /Your sign-in was successful/);
    const result = await running;
    assert.deepEqual(result, { signedIn: true });
    const after = await api.signInStatus(ID);
    assert.equal(after.signedIn, true);
    assert.notEqual(after.expiresAt, before.expiresAt, 'new tokens were stored');
    await takeScreenshot('oauth-5-device-signed-in');
  });

  it('a declined consent says so in words and keeps the sign-in that was there', async () => {
    const before = await api.signInStatus(ID);
    assert.equal(before.signedIn, true, 'signed in by the tests before');
    const mark = await keepOpenedPages();
    const running = vscode.commands.executeCommand<SignInResult>('mailroom.signIn', ID, { method: 'browser' });
    const pages = await withDialogs(async () => {
      await allowOpeningTheSignInPage();
      return actOnSignInPages({ mark, login: fixture.users.alice.user, decline: true, shots: 'oauth-declined' });
    });
    log(`pages: ${pages.steps.map((s) => `${s.action} ${s.url.replace(/\?.*/, '')}`).join(' | ')}`);
    // Still signed in at the server from the test before, the browser goes straight to consent.
    assert.deepEqual(pages.steps.map((s) => s.action).filter((a) => a !== 'login'), ['decline-consent', 'redirected-to-app']);
    const result = await running;
    assert.equal(result.signedIn, false);
    assert.equal(result.error?.code, 'AuthFailed');
    assert.match(result.error?.message ?? '', /Sign-in was declined, so Mailroom got no access\. Sign in again and allow access to mail\./);
    await vscode.commands.executeCommand('notifications.showList');
    const toasts = await waitFor(async () => {
      const texts = await workbenchTexts('.notification-list-item');
      return texts?.some((t) => /Sign-in was declined/.test(t)) ? texts : undefined;
    }, 'the error notification');
    log(`notifications: ${JSON.stringify(toasts)}`);
    const declined = toasts.find((t) => /Sign-in was declined/.test(t)) ?? '';
    assert.doesNotMatch(declined, /How to Register an App/, 'a refusal is not a registration problem');
    await waitFor(async () => !(await workbenchTexts('.notification-list-item'))?.some((t) => /finish on the page that opened/.test(t)), 'the sign-in progress to close');
    await takeScreenshot('oauth-6-declined');
    assert.deepEqual(await api.signInStatus(ID), before, 'the earlier sign-in is kept as it was');
  });

  it('an app registration the server does not know: says so, points to the README, keeps the sign-in', async () => {
    const before = await api.signInStatus(ID);
    const stranger = { ...accountEntry(), oauth2: { provider: 'custom', clientId: 'not-registered-here', issuer: oauth.issuer, scope: 'openid mail' } };
    await replaceAccount(stranger);
    try {
      const result = await vscode.commands.executeCommand<SignInResult>('mailroom.signIn', ID, { method: 'device' });
      assert.equal(result.signedIn, false);
      assert.equal(result.error?.code, 'AuthFailed');
      assert.match(result.error?.message ?? '', /does not know this app registration \(client ID\)/);
      assert.match(result.error?.message ?? '', /See "Signing in with OAuth2" in Mailroom's README\./);
      await vscode.commands.executeCommand('notifications.showList');
      const row = await waitFor(async () => (await workbenchTexts('.notification-list-item'))?.find((t) => /app registration/.test(t)), 'the error notification');
      assert.match(row, /How to Register an App/, 'the notification offers the README steps');
      await takeScreenshot('oauth-7-unknown-client');
    } finally {
      await replaceAccount(accountEntry());
    }
    assert.deepEqual(await api.signInStatus(ID), before, 'the earlier sign-in is kept as it was');
  });

  it('an access token the server ended is renewed without asking: after a reconnect the folders load again', async () => {
    const before = await api.signInStatus(ID);
    assert.equal(before.signedIn, true);
    await oauthControl('expire');
    await reconnect();
    const after = await waitFor(async () => {
      const status = await api.signInStatus(ID);
      return status.signedIn && status.expiresAt !== before.expiresAt ? status : undefined;
    }, 'a refreshed token stored after the login was refused', 60_000);
    log(`token renewed: ends ${new Date(after.expiresAt ?? 0).toISOString()} (was ${new Date(before.expiresAt ?? 0).toISOString()})`);
    const node = await accountNode();
    api.treeModel.refresh(node);
    await waitFor(async () => (await folderRows()).includes('INBOX'), 'INBOX listed with the renewed token', 30_000);
    assert.equal(api.treeProvider.getTreeItem(await accountNode()).contextValue, 'mailroom.account.imap.oauth2', 'no sign-in asked for');
  });

  it('sends with the token: SMTP XOAUTH2 to a submission server that checks it with the authorization server', async () => {
    // A submission server that takes no password at all, only tokens the authorization server calls active.
    const sink = await startSmtpSink({ disableStartTls: true, requireAuth: true, users: {}, introspect: introspectAtIssuer });
    try {
      await replaceAccount({ ...accountEntry(), email: 'alice@example.test', smtp: { host: '127.0.0.1', port: sink.port, security: 'none', allowPlaintextPassword: true } });
      const meta = await vscode.commands.executeCommand<ComposeMeta | undefined>('mailroom.compose', { accountId: ID, to: 'mailto:bob@example.test?subject=Sent%20with%20a%20token' });
      assert.ok(meta, 'a compose tab');
      await waitFor(() => vscode.window.activeTextEditor?.document.uri.fsPath.includes(meta.id), 'the compose tab');
      const report = await vscode.commands.executeCommand<DeliveryReport | undefined>('mailroom.send');
      assert.ok(report, 'a delivery report');
      assert.equal(report.outcome.status, 'sent', JSON.stringify(report.outcome));
      const [mail] = await sink.waitForMail(1);
      assert.equal(mail!.user, fixture.users.alice.user, 'the sink knew the sender from the token');
      assert.deepEqual(mail!.to, ['bob@example.test']);
      assert.match(mail!.raw.toString('utf8'), /^Subject: Sent with a token$/m);
    } finally {
      await sink.stop();
      await replaceAccount(accountEntry());
    }
  });

  it('removing the account removes its sign-in: added again, it asks to sign in', async () => {
    assert.equal((await api.signInStatus(ID)).signedIn, true, 'signed in by the tests before');
    const entry = (vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? []).find((a) => (a as { id?: unknown }).id === ID);
    assert.ok(await vscode.commands.executeCommand<boolean>('mailroom.removeAccount', ID));
    const accounts = vscode.workspace.getConfiguration('mailroom').get<unknown[]>('accounts') ?? [];
    await vscode.workspace.getConfiguration('mailroom').update('accounts', [...accounts, entry], vscode.ConfigurationTarget.Global);
    await accountNode();
    assert.deepEqual(await api.signInStatus(ID), { signedIn: false }, 'no tokens were left behind for the id');
  });

  it('a sign-in the server revoked asks the person to sign in again', async () => {
    const node = await accountNode();
    if (!(await api.signInStatus(ID)).signedIn) await signInInTheBrowser('oauth-again');
    api.treeModel.refresh(node);
    await waitFor(async () => (await folderRows()).includes('INBOX'), 'INBOX listed while signed in', 30_000);
    await oauthControl('revoke');
    await reconnect();
    await waitFor(() => (api.treeProvider.getTreeItem(api.treeModel.getRoots().find((n) => n.account.id === ID)!).contextValue === 'mailroom.account.imap.signInRequired' ? true : undefined), 'the account to ask for a sign-in', 60_000);
    assert.deepEqual(await api.signInStatus(ID), { signedIn: false }, 'the refused sign-in was dropped');
    const rows = await folderRows();
    assert.ok(rows.includes('status'), `a status row says why: ${rows.join(', ')}`);
    await api.treeView.reveal(await accountNode(), { expand: true, focus: false, select: false });
    await takeScreenshot('oauth-5-revoked-sign-in-required');
  });

  /** Mailroom: Sign In, the browser picked, login and consent done on the tab the workbench opened. */
  async function signInInTheBrowser(shots: string, screenshots = false): Promise<void> {
    const mark = await keepOpenedPages();
    const running = vscode.commands.executeCommand<SignInResult>('mailroom.signIn', ID);
    const pages = await withDialogs(async () => {
      // A person's choice: the browser is first where its redirect reaches this machine.
      const pick = await waitForQuickInput('Sign in to Alice (OAuth2)');
      log(`sign-in choice: ${pick.title}`);
      if (screenshots) await takeScreenshot('oauth-2-choose-method');
      await pressKey('Enter');
      await allowOpeningTheSignInPage();
      return actOnSignInPages({ mark, login: fixture.users.alice.user, shots });
    });
    log(`pages: ${pages.steps.map((s) => `${s.action} ${s.url.replace(/\?.*/, '')}`).join(' | ')}`);
    // The page is the authorization server's own, not the workbench's port proxy (/proxy/PORT/).
    assert.ok(pages.steps[0].url.startsWith(`${oauth.issuer}/`), `the sign-in page is served by ${oauth.issuer}: ${pages.steps[0].url}`);
    // The first time a person logs in and consents; later the server may remember either.
    if (screenshots) assert.deepEqual(pages.steps.map((s) => s.action), ['login', 'consent', 'redirected-to-app']);
    else assert.equal(pages.steps.at(-1)?.action, 'redirected-to-app', JSON.stringify(pages.steps));
    assert.match(pages.finalText, /Signed in\. You can close this page/);
    assert.deepEqual(await running, { signedIn: true });
    const status = await api.signInStatus(ID);
    assert.equal(status.signedIn, true);
    assert.ok(status.expiresAt && status.expiresAt > Date.now(), 'an access token that has not ended');
  }

  /** Dovecot restarted: the account's connections log in again, with whatever token they now get. */
  async function reconnect(): Promise<void> {
    await dovecotControl('stop');
    await dovecotControl('start');
    for (const account of api.imap.active()) if (account.id === ID) account.kick();
  }

  async function folderRows(): Promise<string[]> {
    const children = await api.treeModel.getChildren(await accountNode());
    return children.map((c) => (c.kind === 'folder' ? c.folder.path : c.kind));
  }

  /** The authorization server's token introspection, as a submission server asks it (RFC 7662). */
  async function introspectAtIssuer(token: string): Promise<{ active: boolean; username?: string }> {
    const res = await fetch(`${oauth.issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('mail-server:introspection-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    return (await res.json()) as { active: boolean; username?: string };
  }

  /** The workbench asks before it opens a site that is not a trusted domain; a person says Open. */
  async function allowOpeningTheSignInPage(): Promise<void> {
    const dialog = await clickDialogButton('Open');
    log(`link protection asked: ${dialog.message} ${dialog.detail}`);
  }

  function accountEntry(): Record<string, unknown> {
    return {
      id: ID,
      label: 'Alice (OAuth2)',
      protocol: 'imap',
      host: fixture.host,
      port: fixture.ports.imaps,
      security: 'tls',
      user: fixture.users.alice.user,
      trustedCertificateSha256: fixture.certSha256,
      auth: 'oauth2',
      oauth2: { provider: 'custom', clientId: oauth.clientId, issuer: oauth.issuer, scope: 'openid mail' },
    };
  }

  /** Writes the account's settings entry (same id: its stored sign-in stays). */
  async function replaceAccount(entry: Record<string, unknown>): Promise<void> {
    const config = vscode.workspace.getConfiguration('mailroom');
    const others = (config.get<unknown[]>('accounts') ?? []).filter((a) => (a as { id?: unknown }).id !== ID);
    await config.update('accounts', [...others, entry], vscode.ConfigurationTarget.Global);
  }

  async function accountNode(): Promise<AccountNode> {
    return waitFor(() => api.treeModel.getRoots().find((n) => n.account.id === ID), 'the OAuth2 account in the tree');
  }
});
