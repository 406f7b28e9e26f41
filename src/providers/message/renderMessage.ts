// Opening a message, as the message view and the conversation panel both do it: the source parsed
// as a stream and dropped, the HTML sanitized, the view model built with remote content blocked
// (withRemoteAllowed() gives the other policy).
import { loadEngine } from '../../loadEngine';
import { accountLabel } from '../../protocol/account';
import type { MessageSourceProvider } from '../messagePanel';
import type { MessageNode } from '../tree/nodes';
import type { RenderedMessage } from './renderCache';
import { buildViewModel } from './viewModel';

/** The folder a message is shown in ("Inbox" for POP3). */
export function messageFolder(node: MessageNode): string {
  return node.item.location.protocol === 'imap' ? node.item.location.path : 'Inbox';
}

export async function renderMessage(node: MessageNode, sources: MessageSourceProvider): Promise<RenderedMessage> {
  const engine = loadEngine();
  const parsed = await engine.parseMessageStream(await sources.load(node));
  const body = parsed.html !== undefined ? engine.sanitizeMessageHtml(parsed.html, { inlineImages: parsed.inlineImages }) : undefined;
  return {
    model: buildViewModel(parsed, body, { accountLabel: accountLabel(node.account), folder: messageFolder(node), fallbackDate: node.item.date, remoteAllowed: false }),
    body,
    fromAddress: parsed.from.find((a) => a.address)?.address ?? '',
    ...(parsed.calendar ? { calendar: parsed.calendar } : {}),
  };
}
