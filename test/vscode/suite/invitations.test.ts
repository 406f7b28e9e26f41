// Calendar invitations in the real workbench, against Dovecot and an SMTP sink: erin's INBOX holds
// invitations a calendar program wrote (test/fixtures/invitations.ts). Open the weekly series, see
// the card, type a comment and click Accept as a person would; the REPLY arrives at the sink for the
// organiser with METHOD:REPLY and PARTSTAT=ACCEPTED, and the card says it was answered. The updated
// and the cancelled invitation are shown as such; hostile calendar data gets a sentence.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MailroomApi } from '../../../src/providers/api';
import type { AddAccountRequest, AddAccountResult } from '../../../src/providers/commands/accountCommands';
import type { MessagePanel } from '../../../src/providers/messagePanel';
import type { FolderNode, MessageNode } from '../../../src/providers/tree/nodes';
import { parseInvitation } from '../../../src/protocol/calendar/invitation';
import { parseMessageStream } from '../../../src/protocol/mime/parseMessageStream';
import { formatInvitationTimes } from '../../../src/shared/invitationTime';
import type { InvitationView } from '../../../src/shared/invitationView';
import { ERIN_ADDRESS, ERIN_INVITATIONS, ERIN_NAME, ORGANIZER } from '../../fixtures/invitations';
import { SmtpSink, startSmtpSink } from '../../fixtures/smtpSink';
import { activateMailroom, clickWebviewButton, fixtureInfo, hasBrowserService, imapsAccount, log, takeScreenshot, typeIntoWebviewField, waitFor, webviewLandmarks, webviewTexts } from './harness';

const ACCOUNT_ID = 'invitations-test-erin';
const COMMENT = 'See you on Monday.';
const [SERIES, UPDATED, CANCELLED] = ERIN_INVITATIONS as [typeof ERIN_INVITATIONS[0], typeof ERIN_INVITATIONS[0], typeof ERIN_INVITATIONS[0]];

describe('Mailroom calendar invitations (in the extension host)', function () {
  this.timeout(120_000);
  let api: MailroomApi;
  let sink: SmtpSink;
  let inbox: FolderNode;

  const open = async (uid: number): Promise<MessagePanel> => {
    const node = await waitFor(
      async () => (await api.treeModel.getChildren(inbox)).find((n): n is MessageNode => n.kind === 'message' && n.item.location.protocol === 'imap' && n.item.location.uid === uid),
      `INBOX message ${uid}`,
    );
    const rendered = new Promise<void>((resolve) => {
      const sub = api.panels.onDidRender(() => {
        sub.dispose();
        resolve();
      });
    });
    await vscode.commands.executeCommand('mailroom.openMessage', node);
    await rendered;
    const panel = api.panels.panelFor(node);
    assert.ok(panel, 'the message panel is open');
    return panel;
  };

  const cardText = async (): Promise<string> => ((await webviewTexts()) ?? []).map((w) => w.text).join('\n');

  before(async () => {
    const fixture = fixtureInfo();
    const erin = fixture.users.erin;
    assert.ok(erin, 'the fixture has user erin (test/fixtures/invitations.ts)');
    api = await activateMailroom();
    sink = await startSmtpSink({ disableStartTls: true });
    await vscode.commands.executeCommand('workbench.view.extension.mailroom');
    const request: AddAccountRequest = {
      ...imapsAccount(fixture, erin, ACCOUNT_ID, 'Invitations (erin)'),
      email: ERIN_ADDRESS,
      name: ERIN_NAME,
      smtp: { host: '127.0.0.1', port: sink.port, security: 'none', allowPlaintextPassword: true },
    };
    const result = await vscode.commands.executeCommand<AddAccountResult>('mailroom.addAccount', request);
    assert.equal(result.saved, true, JSON.stringify(result.error));
    const accountNode = await waitFor(async () => (await api.treeModel.getChildren(undefined)).find((n) => n.kind === 'account' && n.account.id === ACCOUNT_ID), 'the account node');
    inbox = await waitFor(async () => (await api.treeModel.getChildren(accountNode)).find((n): n is FolderNode => n.kind === 'folder' && n.folder.path === 'INBOX'), 'INBOX');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('mailroom.removeAccount', ACCOUNT_ID);
    await sink?.stop();
  });

  it('shows the weekly invitation as a card; Accept with a comment sends METHOD:REPLY with PARTSTAT=ACCEPTED to the organiser', async () => {
    const panel = await open(1);
    const card = panel.model?.invitation as InvitationView;
    assert.ok(card, 'the view model has an invitation card');
    assert.deepEqual([card.kind, card.heading, card.title, card.canAnswer], ['request', 'Invitation', SERIES.summary, true]);
    assert.equal(card.recurrence, 'every week on Monday until 2027-03-01');
    assert.equal(card.organizer, `${ORGANIZER.name} <${ORGANIZER.address}>`);
    assert.deepEqual([card.time?.zone, card.time?.start, card.time?.startWritten], ['Europe/Berlin', '2026-07-06T08:00:00.000Z', '2026-07-06T10:00:00'], 'the card carries the instant and the organiser’s zone, not host-formatted text');
    const shown = await waitFor(async () => ((await cardText()).includes('every week on Monday until 2027-03-01') ? cardText() : undefined), 'the card on screen');
    for (const text of ['Invitation', SERIES.summary, 'Accept', 'Tentative', 'Decline', 'Erin Evans <erin@example.test> — has not answered (you)']) assert.ok(shown.includes(text), `the card shows “${text}”`);
    if (hasBrowserService()) {
      // The time is formatted in the webview's zone (the UI's), which in a remote window is not the host's:
      // the runner puts the browser in MAILROOM_BROWSER_TIMEZONE when set (else it shares the host's zone).
      const uiZone = process.env.MAILROOM_BROWSER_TIMEZONE || Intl.DateTimeFormat().resolvedOptions().timeZone;
      const lang = (await webviewLandmarks()).find((w) => w.lang)?.lang;
      const expected = formatInvitationTimes(card.time!, { zone: uiZone, locale: lang || undefined, allDay: 'all day' });
      log(`card: ${expected.when} / organiser: ${expected.whenOrganizer ?? '(same zone)'} (UI zone ${uiZone}, extension host zone ${Intl.DateTimeFormat().resolvedOptions().timeZone})`);
      // Node's ICU and Chromium's differ in the spaces around the dash and before AM/PM (thin, narrow no-break).
      const plain = (text: string): string => text.replace(/[\u2009\u202f\u00a0]/g, ' ');
      assert.ok(plain(shown).includes(plain(expected.when)), `the card shows “${expected.when}” in the UI’s zone: ${shown}`);
      if (uiZone !== 'Europe/Berlin') assert.ok(expected.whenOrganizer && plain(shown).includes(plain(expected.whenOrganizer)), `the card shows the organiser’s time “${expected.whenOrganizer}”`);
    }
    await takeScreenshot('invitation-request');

    const delivered = new Promise<void>((resolve) => {
      const sub = api.compose.onDidDeliver(() => {
        sub.dispose();
        resolve();
      });
    });
    await typeIntoWebviewField('Comment (optional)', COMMENT);
    await clickWebviewButton('Accept');
    const [mail] = await sink.waitForMail(1);
    await delivered;
    assert.deepEqual(mail!.to, [ORGANIZER.address], 'the REPLY goes to the ORGANIZER');
    assert.equal(mail!.from, ERIN_ADDRESS);
    const raw = mail!.raw.toString('utf8');
    assert.match(raw, /^Content-Type: text\/calendar; charset=utf-8; method=REPLY\r$/m);
    assert.match(raw, /^Subject: Accepted: Weekly planning\r$/m);
    const parsed = await parseMessageStream(mail!.raw);
    const reply = parseInvitation(parsed.calendar?.text ?? '');
    assert.equal(reply.method, 'REPLY');
    assert.equal(reply.uid, SERIES.uid);
    assert.equal(reply.sequence, SERIES.sequence);
    assert.deepEqual(reply.attendees.map((a) => [a.address, a.partstat, a.name]), [[ERIN_ADDRESS, 'ACCEPTED', ERIN_NAME]]);
    assert.equal(reply.organizer?.address, ORGANIZER.address);
    assert.equal(reply.comment, COMMENT);
    log(`sink received the REPLY: ${mail!.raw.length} bytes for ${mail!.to.join(', ')}`);

    const answered = await waitFor(() => (panel.model?.invitation?.answered?.answer === 'ACCEPTED' ? panel.model.invitation : undefined), 'the card to say it was answered');
    assert.equal(answered.answered?.outdated, false);
    await waitFor(async () => ((await cardText()).includes('You accepted this invitation') ? true : undefined), 'the answer on screen');
    assert.ok((await cardText()).includes('Erin Evans <erin@example.test> — accepted (you)'), 'the user’s line shows the answer');
    await takeScreenshot('invitation-accepted');
  });

  it('shows an updated invitation (SEQUENCE 2) as updated, and a cancellation without buttons', async () => {
    // One panel at a time: what is read from the screen is this card's.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const updated = await open(2);
    assert.deepEqual([updated.model?.invitation?.kind, updated.model?.invitation?.heading, updated.model?.invitation?.sequence], ['updated', 'Updated invitation', UPDATED.sequence]);
    await waitFor(async () => ((await cardText()).includes('Updated invitation') ? true : undefined), 'the updated card on screen');
    await takeScreenshot('invitation-updated');

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const cancelled = await open(3);
    const card = cancelled.model?.invitation;
    assert.deepEqual([card?.kind, card?.heading, card?.title, card?.canAnswer], ['cancelled', 'This event was cancelled', CANCELLED.summary, false]);
    const shown = await waitFor(async () => ((await cardText()).includes('This event was cancelled') ? cardText() : undefined), 'the cancelled card on screen');
    assert.ok(!/\bAccept\b/.test(shown.split('This event was cancelled')[1] ?? ''), 'no Accept button on a cancelled event');
    await takeScreenshot('invitation-cancelled');
  });

  it('shows a message whose calendar data is hostile (nested 200 deep) with a card that says why', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const broken = await open(4);
    const card = broken.model?.invitation;
    assert.equal(card?.kind, 'invalid');
    assert.equal(card?.problem, 'This invitation cannot be shown: its calendar data is nested 7 levels deep; real invitations use 3.');
    assert.ok(broken.model?.text.includes('You have been invited'), 'the message itself is shown');
    await waitFor(async () => ((await cardText()).includes('nested 7 levels deep') ? true : undefined), 'the problem on screen');
    await takeScreenshot('invitation-broken');
  });
});
