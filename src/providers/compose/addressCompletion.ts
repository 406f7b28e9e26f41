import * as vscode from 'vscode';
import { AccountConfig, ownAddresses } from '../../protocol/account';
import type { CachedEnvelope } from '../../protocol/imap/cacheContract';
import type { ProtocolLog } from '../../protocol/log';
import { accountIdentities, Identity } from '../../protocol/smtp/identities';
import { findSignatureBlock, signatureBlock } from '../../protocol/smtp/signature';
import { loadEngine } from '../../loadEngine';
import { displayText } from '../../shared/displayText';
import type { ComposeStore } from '../../store/composeStore';
import { Disposable } from '../../util/dispose';
import type { ImapAccountRegistry } from '../imapAccounts';
import { rankAddresses, SentRecord, Sighting } from './addressRanking';
import { fromOf, resolveIdentity } from './identity';

export const COMPOSE_LANGUAGE = 'mailroom-compose';
/** Envelopes read per folder: the newest ones say who the user is in touch with now. */
const ENVELOPES_PER_FOLDER = 2000;
/** Candidates are rebuilt at most this often per account (typing asks on every key). */
const CANDIDATE_TTL_MS = 60_000;

export interface AddressCompletionDeps {
  store: ComposeStore;
  imap: ImapAccountRegistry;
  log: ProtocolLog;
  /** The account of the compose document, or undefined when it is not one of ours. */
  accountOf(document: vscode.TextDocument): Promise<AccountConfig | undefined>;
  /** The account's Sent folder path, when it has one (no network needed when known). */
  sentFolder(account: AccountConfig): Promise<string | undefined>;
}

/**
 * Completes To/Cc/Bcc from the account's recent correspondents (the header cache of INBOX and
 * Sent, read from disk without touching the network, plus the addresses the user sent to), and
 * From from the account's own addresses.
 */
export class AddressCompletionProvider extends Disposable implements vscode.CompletionItemProvider {
  private readonly candidates = new Map<string, { at: number; seen: Sighting[]; sent: SentRecord[] }>();

  static register(deps: AddressCompletionDeps): AddressCompletionProvider {
    const provider = new AddressCompletionProvider(deps);
    provider._register(vscode.languages.registerCompletionItemProvider({ language: COMPOSE_LANGUAGE }, provider, ':', ',', ' '));
    return provider;
  }

  private constructor(private readonly deps: AddressCompletionDeps) {
    super();
  }

  /** Forget cached candidates (after sending, the new recipients count). */
  invalidate(accountId?: string): void {
    if (accountId) this.candidates.delete(accountId);
    else this.candidates.clear();
  }

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
    // Headers only: stop at the empty line that starts the body.
    const lines: string[] = [];
    for (let i = 0; i <= position.line && i < document.lineCount; i++) {
      const text = document.lineAt(i).text;
      if (text.trim() === '') return undefined;
      lines.push(text);
    }
    const current = lines[position.line] ?? '';
    const isFrom = /^from:/i.test(current);
    const field = isFrom ? undefined : loadEngine().addressFieldAt(lines, position.line, position.character);
    if (!isFrom && !field) return undefined;
    const account = await this.deps.accountOf(document);
    if (!account) return undefined;
    if (isFrom) return fromItems(document, account, position.line, current);
    if (!field) return undefined;
    const { seen, sent } = await this.candidatesFor(account);
    const ranked = rankAddresses({ seen, sent, exclude: ownAddresses(account), prefix: field.prefix });
    const range = new vscode.Range(position.line, field.start, position.line, position.character);
    const needsSpace = field.start > 0 && !/\s/.test(current[field.start - 1] ?? ' ');
    return ranked.map((r, i) => {
      // Names come from received mail: the list shows their controls (displayText); the insert keeps the text as sent.
      const item = new vscode.CompletionItem({ label: displayText(r.text), description: r.name ? displayText(r.address) : undefined }, vscode.CompletionItemKind.User);
      item.insertText = `${needsSpace ? ' ' : ''}${r.text}`;
      item.filterText = `${field.prefix ? '' : ' '}${r.name} ${r.address}`;
      item.range = range;
      item.sortText = String(i).padStart(3, '0');
      return item;
    });
  }

  private async candidatesFor(account: AccountConfig): Promise<{ seen: Sighting[]; sent: SentRecord[] }> {
    const cached = this.candidates.get(account.id);
    if (cached && Date.now() - cached.at < CANDIDATE_TTL_MS) return cached;
    const seen: Sighting[] = [];
    const sent: SentRecord[] = (await this.deps.store.recentRecipients(account.id).catch(() => [])).map((r) => ({ ...r }));
    if (account.protocol === 'imap') {
      for (const e of await this.envelopes(account, 'INBOX')) {
        const at = e.date ? Date.parse(e.date) : undefined;
        if (e.from) seen.push({ ...e.from, at });
        for (const to of e.to ?? []) seen.push({ ...to, at });
      }
      const sentPath = await this.deps.sentFolder(account).catch(() => undefined);
      if (sentPath) {
        // People the user wrote to from another client count as sent-to.
        for (const e of await this.envelopes(account, sentPath)) {
          const at = e.date ? Date.parse(e.date) : Date.now() - 365 * 86_400_000;
          for (const to of e.to ?? []) sent.push({ name: to.name, address: to.address, count: 1, lastUsed: Number.isFinite(at) ? at : 0 });
        }
      }
    }
    const entry = { at: Date.now(), seen, sent };
    this.candidates.set(account.id, entry);
    return entry;
  }

  private async envelopes(account: AccountConfig, path: string): Promise<CachedEnvelope[]> {
    try {
      // The header cache on disk: no connection, no sync, just what Mailroom already knows.
      const cache = await this.deps.imap.headers.folder(account.id, path);
      return cache.page(0, ENVELOPES_PER_FOLDER);
    } catch (err) {
      this.deps.log.debug(`address completion: no cached headers for ${path}: ${String(err)}`);
      return [];
    }
  }
}

/**
 * The From line's choices: the account's identities. Picking another identity also swaps the
 * signature the body holds for the current identity (as placed, unquoted) for the new one's.
 */
function fromItems(document: vscode.TextDocument, account: AccountConfig, line: number, current: string): vscode.CompletionItem[] {
  const all = accountIdentities(account);
  const parsed = loadEngine().parseComposeDocument(document.getText());
  let now: Identity | undefined;
  try {
    now = resolveIdentity(account, parsed.from).identity;
  } catch {
    now = undefined;
  }
  const block = now ? findSignatureBlock(parsed.body, now.signature) : undefined;
  const range = new vscode.Range(line, 5, line, current.length);
  return all.map((identity, i) => {
    const text = loadEngine().formatAddress(fromOf(identity));
    const item = new vscode.CompletionItem(text, vscode.CompletionItemKind.User);
    item.insertText = ` ${text}`;
    item.filterText = current.slice(5);
    item.range = range;
    item.sortText = String(i).padStart(3, '0');
    item.detail = identity.smtp ? `Send from this address (through ${identity.smtp.host})` : 'Send from this address';
    if (identity.signature) item.documentation = new vscode.MarkdownString(`**Signature**\n\n${identity.signature}`);
    if (block && now && identity.address.toLowerCase() !== now.address.toLowerCase()) {
      const first = parsed.bodyLine + block.start;
      const last = Math.min(parsed.bodyLine + block.end - 1, document.lineCount - 1);
      const replacement = signatureBlock(identity.signature);
      // Without a signature of its own, the old block goes together with the line break before it.
      const from = replacement || first === 0 ? new vscode.Position(first, 0) : document.lineAt(first - 1).range.end;
      item.additionalTextEdits = [vscode.TextEdit.replace(new vscode.Range(from, document.lineAt(last).range.end), replacement)];
    }
    return item;
  });
}
