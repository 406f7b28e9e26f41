import * as vscode from 'vscode';
import { accountAddress, ownAddresses } from '../../protocol/account';
import type { Invitation } from '../../protocol/calendar/invitation';
import type { ReplyAnswer } from '../../protocol/calendar/reply';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { CalendarPart, MailAddress } from '../../protocol/mime/types';
import { INVITATION_ANSWERS, InvitationAnswer, InvitationView } from '../../shared/invitationView';
import { InvitationAnswers } from '../../store/invitationAnswers';
import type { ComposeFeature, DeliveryReport } from '../compose/composeCommands';
import { reportError } from '../errors';
import type { MessagePanelManager, MessageSourceProvider } from '../messagePanel';
import type { MessageNode } from '../tree/nodes';
import { buildInvitationView, invitationProblemView, ownAttendee, readInvitation } from './invitationView';
import { loadEngine } from '../../loadEngine';

export interface InvitationDeps {
  storageDir: string;
  sources: MessageSourceProvider;
  panels: MessagePanelManager;
  compose: ComposeFeature;
  log: ProtocolLog;
}

/** What `mailroom.answerInvitation` returns (the in-host test checks it beside the sink). */
export interface InvitationAnswerReport {
  answer: InvitationAnswer;
  /** The REPLY's VCALENDAR text as sent. */
  calendar: string;
  delivery: DeliveryReport;
}

/**
 * Invitations in the message view: the card (through the panels' `invitations` hook) and
 * `mailroom.answerInvitation`, which sends the iTIP REPLY to the organiser through the outbox
 * and remembers the answer (InvitationAnswers, per account and event).
 */
export class InvitationFeature implements vscode.Disposable {
  private readonly answers: InvitationAnswers;
  private readonly registration: vscode.Disposable;

  constructor(private readonly deps: InvitationDeps) {
    this.answers = InvitationAnswers.in(deps.storageDir);
    this.registration = vscode.commands.registerCommand('mailroom.answerInvitation', (arg: unknown, answer: unknown, comment: unknown) => this.answerCommand(arg, answer, comment));
  }

  /** The card for a message's calendar part; a broken part gives a card that says why. */
  async view(node: MessageNode, part: CalendarPart): Promise<InvitationView> {
    const { invitation, problem } = readInvitation(part);
    if (!invitation) return invitationProblemView(problem ?? 'This invitation cannot be shown.');
    return this.viewOf(node, invitation);
  }

  dispose(): void {
    this.registration.dispose();
  }

  private async viewOf(node: MessageNode, invitation: Invitation): Promise<InvitationView> {
    const stored = await this.answers.get(InvitationAnswers.key(node.account.id, invitation.uid, invitation.recurrenceId)).catch(() => undefined);
    return buildInvitationView(invitation, { ownAddresses: ownAddresses(node.account), ...(stored ? { answered: stored } : {}) });
  }

  private async answerCommand(arg: unknown, answer: unknown, comment: unknown): Promise<InvitationAnswerReport | undefined> {
    const node = this.target(arg);
    if (!node) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open the invitation first.'));
      return undefined;
    }
    try {
      if (!INVITATION_ANSWERS.includes(answer as InvitationAnswer)) throw new MailError('Unsupported', 'Choose Accept, Tentative or Decline.');
      return await this.answer(node, answer as ReplyAnswer, typeof comment === 'string' ? comment : '');
    } catch (err) {
      this.redraw(node);
      await reportError(this.deps.log, 'Answering the invitation', err);
      return undefined;
    }
  }

  private async answer(node: MessageNode, answer: ReplyAnswer, comment: string): Promise<InvitationAnswerReport> {
    const parsed = await loadEngine().parseMessageStream(await this.deps.sources.load(node));
    if (!parsed.calendar) throw new MailError('MessageNotFound', 'This message holds no invitation.');
    const { invitation, problem } = readInvitation(parsed.calendar);
    if (!invitation) throw new MailError('CalendarInvalid', problem ?? 'This invitation cannot be read.');
    const why = loadEngine().cannotAnswer(invitation);
    if (why) throw new MailError('Unsupported', why);
    const account = node.account;
    // The attendee is the address the invitation lists for the user; else the account's (RFC 5546 lets an uninvited attendee answer).
    const listed = ownAttendee(invitation, ownAddresses(account));
    const address = listed?.address ?? accountAddress(account);
    if (!address) throw new MailError('InvalidAddress', 'This account has no address to answer from: set "email" for it in the mailroom.accounts setting.');
    const attendee: MailAddress = { name: account.name ?? listed?.name ?? '', address };
    const { built, subject, calendar } = await loadEngine().buildReplyMessage({ invitation, attendee, answer, comment, ...(parsed.messageId ? { inReplyTo: parsed.messageId } : {}) });
    const organizer: MailAddress = { name: invitation.organizer!.name, address: invitation.organizer!.address };
    this.deps.log.info(`answering invitation ${invitation.uid} (sequence ${invitation.sequence}) with ${answer} to ${organizer.address}`);
    const delivery = await this.deps.compose.sendBuilt(account, built, subject, [organizer]);
    if (delivery.outcome.status !== 'failed') {
      await this.answers.set(InvitationAnswers.key(account.id, invitation.uid, invitation.recurrenceId), {
        answer,
        at: new Date().toISOString(),
        sequence: invitation.sequence,
        messageId: parsed.messageId ?? '',
      });
    }
    // Sent: the card says so. Not sent (kept in the Outbox, announced by sending): the buttons come back.
    const panel = this.deps.panels.panelFor(node);
    if (panel) panel.showInvitation(await this.viewOf(node, invitation));
    return { answer, calendar, delivery };
  }

  /** Draws the card again as it was (its buttons were disabled while the answer was under way). */
  private redraw(node: MessageNode): void {
    const panel = this.deps.panels.panelFor(node);
    const current = panel?.model?.invitation;
    if (panel && current) panel.showInvitation(current);
  }

  private target(arg: unknown): MessageNode | undefined {
    if (typeof arg === 'string') return this.deps.panels.get(arg)?.node;
    if (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'message') return arg as MessageNode;
    return this.deps.panels.activePanel()?.node;
  }
}
