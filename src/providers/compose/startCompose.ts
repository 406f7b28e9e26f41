/**
 * Starting a compose session: new mail, reply, reply all, forward (inline or as attachment).
 * Builds the draft, writes the session (document + attachments) to disk, then opens the tab.
 */
import type { AccountConfig } from '../../protocol/account';
import { ownAddresses } from '../../protocol/account';
import type { ParsedMessage } from '../../protocol/mime/types';
import { accountIdentities, replyIdentity } from '../../protocol/smtp/identities';
import { newMessageBody, SignaturePlacement } from '../../protocol/smtp/signature';
import type { NewMessageInit } from '../../protocol/smtp/composeDocument';
import type { DraftContent } from '../../protocol/smtp/reply';
import type { ComposeMeta, ComposeMode, ComposeOriginal, ComposeStore } from '../../store/composeStore';
import { loadEngine } from '../../loadEngine';
import type { MessageNode } from '../tree/nodes';
import { fromOf } from './identity';

export interface StartOptions {
  /** `mailroom.signaturePlacement`. */
  signaturePlacement: SignaturePlacement;
}

/** A new message from the account's first identity, with its signature under the text. */
export async function startNewMessage(store: ComposeStore, account: AccountConfig, init: NewMessageInit = {}): Promise<ComposeMeta> {
  const { formatAddress, serializeComposeDocument } = loadEngine();
  const identity = accountIdentities(account)[0];
  const body = identity?.signature ? newMessageBody(identity.signature, init.body ?? '') : (init.body ?? '\n');
  const text = serializeComposeDocument({ from: identity ? formatAddress(fromOf(identity)) : '', to: init.to ?? '', cc: init.cc ?? '', bcc: init.bcc ?? '', subject: init.subject ?? '', body });
  return store.create({ accountId: account.id, mode: 'new', subject: init.subject ?? '', text });
}

/**
 * Reply, reply all or forward of a message already read into bytes, written as the identity the
 * original was addressed to (replyIdentity), with that identity's signature.
 */
export async function startFromMessage(
  store: ComposeStore,
  account: AccountConfig,
  node: MessageNode,
  source: Buffer,
  mode: Exclude<ComposeMode, 'new'>,
  options: StartOptions = { signaturePlacement: 'aboveQuote' },
): Promise<ComposeMeta> {
  const { parseMessageStream, buildReply, buildForward, formatAddress, formatAddressList, serializeComposeDocument, digest } = loadEngine();
  const original = await parseMessageStream(source);
  const all = accountIdentities(account);
  const isReply = mode === 'reply' || mode === 'replyAll';
  // A forward, too, goes out as the identity the original came in on (as in Thunderbird).
  const identity = replyIdentity(all, original);
  const from = identity ? fromOf(identity) : undefined;
  const signature = { ...(identity?.signature ? { signature: identity.signature } : {}), signaturePlacement: options.signaturePlacement };
  const draft: DraftContent = isReply
    ? buildReply(original, { all: mode === 'replyAll', own: ownAddresses(account), ...(from ? { from } : {}), ...signature })
    : buildForward(original, { asAttachment: mode === 'forwardAsAttachment', ...(from ? { from } : {}), ...signature });
  const loc = node.item.location;
  const ref: ComposeOriginal = { accountId: account.id, ...loc };
  const fields = {
    from: from ? formatAddress(from) : '',
    to: formatAddressList(draft.to),
    cc: formatAddressList(draft.cc),
    bcc: formatAddressList(draft.bcc),
    subject: draft.subject,
    body: draft.body,
  };
  const meta = await store.create({
    accountId: account.id,
    mode,
    subject: draft.subject,
    text: serializeComposeDocument(fields),
    references: draft.references,
    ...(draft.inReplyTo ? { inReplyTo: draft.inReplyTo } : {}),
    original: ref,
  });
  if (draft.forwardAttachments === 'none') return meta;
  const names = await forwardAttachments(store, meta, original, source, draft.forwardAttachments);
  const text = serializeComposeDocument({ ...fields, attach: names });
  await store.writeDocument(meta, text);
  return store.update(meta.id, { initialDigest: digest(text) });
}

/** The original's attachments (or the original itself, as .eml) copied into the session. */
async function forwardAttachments(store: ComposeStore, meta: ComposeMeta, original: ParsedMessage, source: Buffer, how: 'parts' | 'message'): Promise<string[]> {
  if (how === 'message') {
    const attached = await store.attachData(meta.id, `${loadEngine().safeFileName(original.subject, 'message', 60)}.eml`, source, 'message/rfc822');
    return [attached.name];
  }
  const names: string[] = [];
  // Inline images belong to the HTML body, which an inline forward does not carry.
  for (const info of original.attachments.filter((a) => !a.related)) {
    const attached = await store.attachData(
      meta.id,
      info.filename || `attachment-${info.index + 1}`,
      async (sink) => {
        await loadEngine().streamAttachment(source, info.index, sink);
      },
      info.contentType,
    );
    names.push(attached.name);
  }
  return names;
}
