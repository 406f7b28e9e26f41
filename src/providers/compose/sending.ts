/**
 * From an edited compose document to the outbox and the server: validation, MIME, the outbox
 * (first, so nothing is lost), then delivery with the mailbox steps (Sent copy, flag, draft).
 * Also drafts: the same MIME with X-Mailroom-Draft, APPENDed to Drafts.
 */
import { promises as fs } from 'node:fs';
import * as l10n from '@vscode/l10n';
import type { AccountConfig } from '../../protocol/account';
import { accountLabel } from '../../protocol/account';
import type { CredentialSource } from '../../protocol/credentials';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { MailAddress } from '../../protocol/mime/types';
import type { BuiltMessage, OutgoingAttachment } from '../../protocol/smtp/buildMessage';
import type { ParsedComposeDocument } from '../../protocol/smtp/composeDocument';
import type { DeliveryOutcome, MailboxSide } from '../../protocol/smtp/deliver';
import { loadEngine } from '../../loadEngine';
import type { Identity } from '../../protocol/smtp/identities';
import { accountIdentities, identityByAddress } from '../../protocol/smtp/identities';
import type { ComposeMeta, ComposeStore } from '../../store/composeStore';
import type { OriginalRef, Outbox, OutboxEntry } from '../../store/outbox';
import type { ImapAccountRegistry } from '../imapAccounts';
import type { Pop3AccountRegistry } from '../pop3Accounts';
import { resolveIdentity } from './identity';

/** The header that ties the copies of one draft together (replaced on each save, removed on send). */
export const DRAFT_HEADER = 'X-Mailroom-Draft';

export interface SendingDeps {
  store: ComposeStore;
  outbox: Outbox;
  imap: ImapAccountRegistry;
  pop3: Pop3AccountRegistry;
  log: ProtocolLog;
  /** What the account's SMTP login uses: its password, or its OAuth2 tokens (one refresh on refusal). */
  credentials(account: AccountConfig): CredentialSource;
  /** The login of an identity with its own SMTP server: its own user and stored password. */
  identityCredentials(account: AccountConfig, identity: Identity): CredentialSource;
  timeoutMs(): number;
}

export interface ReadyMessage {
  parsed: ParsedComposeDocument;
  from: MailAddress;
  /** The identity the From line names: its Reply-To and SMTP server go with the message. */
  identity: Identity;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  attachments: OutgoingAttachment[];
}

/**
 * Checks a compose document for sending: no blocking problems, a From of the account's own, at
 * least one recipient, valid addresses, attachments present. Throws a MailError naming what to fix.
 */
export async function prepareMessage(store: ComposeStore, meta: ComposeMeta, account: AccountConfig, text: string, purpose: 'send' | 'draft'): Promise<ReadyMessage> {
  const parsed = loadEngine().parseComposeDocument(text);
  const blocking = parsed.problems.find((p) => p.severity === 'error');
  if (blocking) throw new MailError('InvalidAddress', `Line ${blocking.line + 1}: ${blocking.message}`);
  const { from, identity } = resolveIdentity(account, parsed.from);
  const list = (field: 'to' | 'cc' | 'bcc'): MailAddress[] => {
    try {
      return loadEngine().parseAddressList(parsed[field]);
    } catch (err) {
      const e = MailError.from(err);
      throw new MailError(e.code, `${field === 'to' ? 'To' : field === 'cc' ? 'Cc' : 'Bcc'}: ${e.message}`, { cause: err });
    }
  };
  const to = list('to');
  const cc = list('cc');
  const bcc = list('bcc');
  if (purpose === 'send' && to.length + cc.length + bcc.length === 0) throw new MailError('InvalidAddress', 'Add at least one recipient in To, Cc or Bcc.');
  const attachments: OutgoingAttachment[] = [];
  for (const name of parsed.attach) {
    const file = store.attachmentPath(meta.id, name);
    const known = meta.attachments.find((a) => a.name === name);
    try {
      await fs.access(file);
    } catch {
      throw new MailError('StorageFailed', l10n.t('Attach: “{0}” is not a file of this message. Remove the line, or add the file with “Mailroom: Attach File…”.', name), { localized: true });
    }
    attachments.push({ path: file, filename: name, ...(known?.contentType ? { contentType: known.contentType } : {}) });
  }
  return { parsed, from, identity, to, cc, bcc, attachments };
}

export function buildFrom(meta: ComposeMeta, ready: ReadyMessage, draft: boolean): Promise<BuiltMessage> {
  return loadEngine().buildMimeMessage({
    from: ready.from,
    to: ready.to,
    cc: ready.cc,
    bcc: ready.bcc,
    replyTo: ready.identity.replyTo,
    subject: ready.parsed.subject,
    markdown: ready.parsed.body,
    references: meta.references,
    ...(meta.inReplyTo ? { inReplyTo: meta.inReplyTo } : {}),
    attachments: ready.attachments,
    ...(draft ? { headers: { [DRAFT_HEADER]: meta.draftId } } : {}),
  });
}

/** Puts the message in the outbox (durably) and marks the session as sent. */
export async function enqueue(deps: SendingDeps, meta: ComposeMeta, ready: ReadyMessage): Promise<OutboxEntry> {
  const built = await buildFrom(meta, ready, false);
  const original = meta.original ? originalRef(meta.original) : undefined;
  const flag = meta.mode === 'reply' || meta.mode === 'replyAll' ? '\\Answered' : meta.mode === 'forward' || meta.mode === 'forwardAsAttachment' ? '$Forwarded' : undefined;
  const entry = await deps.outbox.add(
    {
      accountId: meta.accountId,
      subject: ready.parsed.subject,
      recipients: [...ready.to, ...ready.cc, ...ready.bcc].map(loadEngine().formatAddress),
      envelope: built.envelope,
      ...(original && flag && meta.original?.accountId === meta.accountId ? { original, originalFlag: flag } : {}),
      ...(meta.draftSavedAt ? { draftId: meta.draftId } : {}),
      composeId: meta.id,
    },
    built,
  );
  await deps.store.update(meta.id, { sent: true, outboxId: entry.id });
  await deps.store.recordRecipients(meta.accountId, [...ready.to, ...ready.cc, ...ready.bcc]).catch((err: unknown) => deps.log.warn(`recent recipients not recorded: ${String(err)}`));
  return entry;
}

const noSentFolderLogged = new Set<string>();

/**
 * Sends one outbox entry and does the mailbox steps for its account. The sender address picks the
 * identity: one with its own SMTP server is sent there with its own login, others through the
 * account's server (an outbox entry keeps its envelope, so a retry goes the same way).
 */
export async function deliverEntry(deps: SendingDeps, entryId: string, account: AccountConfig): Promise<DeliveryOutcome> {
  const { deliver, sendWithCredentials } = loadEngine();
  return deliver(entryId, {
    outbox: deps.outbox,
    log: deps.log,
    send: (envelope, raw) => {
      const route = sendingRoute(account, envelope.from);
      const credentials = route.identity ? deps.identityCredentials(account, route.identity) : deps.credentials(account);
      return sendWithCredentials({ account: route.account, log: deps.log, timeoutMs: deps.timeoutMs() }, credentials, envelope, raw);
    },
    mailbox: mailboxSide(deps, account),
  });
}

/**
 * The account settings a send from `fromAddress` uses: the account's own, or for an identity with
 * its own SMTP server that server (and its login), labelled with the identity so errors say which.
 */
export function sendingRoute(account: AccountConfig, fromAddress: string): { account: AccountConfig; identity?: Identity } {
  const identity = identityByAddress(accountIdentities(account), fromAddress);
  if (!identity?.smtp) return { account };
  return { account: { ...account, smtp: identity.smtp, label: `${accountLabel(account)} (sending as ${identity.address})` }, identity };
}

function mailboxSide(deps: SendingDeps, account: AccountConfig): MailboxSide {
  if (account.protocol === 'pop3') {
    if (!noSentFolderLogged.has(account.id)) {
      noSentFolderLogged.add(account.id);
      deps.log.info(`${accountLabel(account)} is a POP3 account: it has no Sent folder on the server, so sent messages are not copied anywhere.`);
    }
    return {
      async markOriginal(ref, flag) {
        // POP3's local flags know "answered" only; $Forwarded has nowhere to go.
        if (ref.protocol === 'pop3' && flag === '\\Answered') await deps.pop3.setFlags(account, [ref.uidl], { answered: true });
      },
    };
  }
  const imapAccount = deps.imap.get(account);
  const side = loadEngine().imapMailboxSide(imapAccount, { saveToSent: account.saveToSent !== false });
  const save = side.saveSent;
  if (save) {
    side.saveSent = async (bytes: Buffer): Promise<void> => {
      if (!(await imapAccount.specialFolder('\\Sent'))) {
        if (!noSentFolderLogged.has(account.id)) {
          noSentFolderLogged.add(account.id);
          deps.log.warn(`${accountLabel(account)} has no Sent folder: sent messages are not copied. Set "sentFolder" for the account to choose one.`);
        }
        return;
      }
      await save.call(side, bytes);
    };
  }
  return side;
}

/** Saves the document as the session's draft in the account's Drafts folder (replacing the last one). */
export async function saveDraft(deps: SendingDeps, meta: ComposeMeta, account: AccountConfig, text: string): Promise<string> {
  if (account.protocol !== 'imap') {
    throw new MailError('Unsupported', l10n.t('{0} is a POP3 account and has no Drafts folder on the server. The message stays saved on this computer until you send or discard it.', accountLabel(account)), { localized: true });
  }
  const imapAccount = deps.imap.get(account);
  const drafts = await imapAccount.specialFolder('\\Drafts');
  if (!drafts) throw new MailError('MailboxNotFound', l10n.t('{0} has no Drafts folder. Set "draftsFolder" for the account, or create a folder named Drafts.', accountLabel(account)), { localized: true });
  const ready = await prepareMessage(deps.store, meta, account, text, 'draft');
  const built = await buildFrom(meta, ready, true);
  // The Sent-copy form keeps Bcc, so the draft reopens with its blind copies.
  await imapAccount.saveDraft(drafts, built.sentCopy, meta.draftId);
  return drafts;
}

/** Fails early (before the outbox) when the account (or the identity's own server) cannot send at all. */
export function assertCanSend(account: AccountConfig, identity?: Identity): void {
  if (identity?.smtp) return;
  loadEngine().smtpConfigOf(account);
}

function originalRef(original: NonNullable<ComposeMeta['original']>): OriginalRef {
  return original.protocol === 'imap'
    ? { protocol: 'imap', path: original.path, uidValidity: original.uidValidity, uid: original.uid }
    : { protocol: 'pop3', uidl: original.uidl };
}
