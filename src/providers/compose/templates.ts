/**
 * Templates in VS Code: "Mailroom: New Message from Template…" (a Quick Pick of the templates in
 * the `mailroom.templatesFolder` of each workspace folder and in global storage), and completion
 * of templates inside a compose tab's body (Ctrl+Space, or `/` at the start of a line), inserted
 * as a snippet whose text is escaped (a template's `$1` stays text). Files are read when asked for,
 * never at activation.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AccountConfig } from '../../protocol/account';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { MailAddress } from '../../protocol/mime/types';
import type { ParsedComposeDocument } from '../../protocol/smtp/composeDocument';
import { accountIdentities, Identity, identityByAddress } from '../../protocol/smtp/identities';
import { containsSignature, newMessageBody } from '../../protocol/smtp/signature';
import type { ExpandedTemplate, TemplateContext } from '../../protocol/smtp/template';
import type { ComposeMeta, ComposeStore } from '../../store/composeStore';
import type { TemplateFile, TemplateFolder } from '../../store/templates';
import { Disposable } from '../../util/dispose';
import { COMPOSE_LANGUAGE } from './addressCompletion';
import { fromOf, resolveIdentity } from './identity';
import { loadEngine } from '../../loadEngine';

export interface TemplateDeps {
  /** `context.globalStorageUri.fsPath`: templates in `templates/`. */
  storageDir: string;
  log: ProtocolLog;
}

/** The folders templates are read from: the setting's folder (per workspace folder when relative), then global storage. */
export function templateFolders(storageDir: string): TemplateFolder[] {
  const setting = vscode.workspace.getConfiguration('mailroom').get<string>('templatesFolder', '.mailroom/templates').trim();
  const folders: TemplateFolder[] = [];
  if (setting) {
    if (path.isAbsolute(setting)) folders.push({ dir: setting, source: 'workspace' });
    else for (const folder of vscode.workspace.workspaceFolders ?? []) if (folder.uri.scheme === 'file') folders.push({ dir: path.join(folder.uri.fsPath, setting), source: 'workspace' });
  }
  folders.push({ dir: path.join(storageDir, 'templates'), source: 'global' });
  return folders;
}

/** `mailroom.newMessageFromTemplate` arguments (tests, keybindings); every field optional. */
export interface TemplateArgs {
  /** A template's name (file name without extension) or path; without it a Quick Pick asks. */
  template?: string;
  accountId?: string;
  /** Address list or mailto: URI: fills `${to…}` and To. */
  to?: string;
  /** Instead of the active editor's selection. */
  selection?: string;
}

export interface TemplateStart {
  meta: ComposeMeta;
  expanded: ExpandedTemplate;
  /** Line and character of `${cursor}` in the document, if the template has one. */
  cursor?: { line: number; character: number };
}

/** Picks a template (or takes the one named) and returns its file, or undefined when cancelled. */
export async function pickTemplate(deps: TemplateDeps, wanted?: string): Promise<TemplateFile | undefined> {
  const folders = templateFolders(deps.storageDir);
  const templates = await loadEngine().listTemplates(folders);
  if (wanted) {
    const found = templates.find((t) => t.name === wanted || t.path === wanted);
    if (!found) throw new MailError('StorageFailed', `There is no template “${wanted}” in ${folders.map((f) => f.dir).join(' or ')}.`);
    return found;
  }
  if (templates.length === 0) {
    const create = vscode.l10n.t('Create Example Template');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('No templates yet. Put Markdown files that start with a header block (To:, Subject:) in {0}.', folders.map((f) => f.dir).join(vscode.l10n.t(' or '))),
      create,
    );
    if (choice === create) await createExampleTemplate(folders[folders.length - 1]!.dir);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    templates.map((t) => ({ label: t.name, description: t.source === 'global' ? 'global' : vscode.workspace.asRelativePath(t.path), template: t })),
    { title: vscode.l10n.t('New Message from Template'), placeHolder: vscode.l10n.t('Template'), matchOnDescription: true },
  );
  return pick?.template;
}

const EXAMPLE_TEMPLATE = [
  'To: ${to}',
  'Subject: Status ${date}',
  '',
  'Hi ${to.name},',
  '',
  '${cursor}',
  '',
  '${selection}',
  '',
  '${signature}',
  '',
].join('\n');

/** Writes an example template into `dir` (never over an existing file) and opens it. */
async function createExampleTemplate(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'status.md');
  await fs.writeFile(file, EXAMPLE_TEMPLATE, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
}

/** Expands a template for a new message of `account` and creates its compose session. */
export async function startFromTemplate(store: ComposeStore, account: AccountConfig, file: TemplateFile, args: TemplateArgs, selection: string | undefined): Promise<TemplateStart> {
  const text = await loadEngine().readTemplate(file.path);
  const identities = accountIdentities(account);
  // The template's own From picks the identity when it names one; else the account's first.
  const templateFrom = firstAddress(loadEngine().parseComposeDocument(text).from);
  const identity = (templateFrom && identityByAddress(identities, templateFrom.address)) || identities[0];
  const init = args.to ? loadEngine().parseMailto(args.to) : {};
  const to = firstAddress(init.to ?? '') ?? firstAddress(loadEngine().parseComposeDocument(text).to);
  const expanded = loadEngine().expandTemplate(text, contextFor(identity, to, selection));
  const draft = expanded.draft;
  const usesSignature = /\$\{\s*signature\s*\}/.test(text);
  const body = !usesSignature && identity?.signature && !containsSignature(draft.body, identity.signature) ? newMessageBody(identity.signature, draft.body) : draft.body;
  const fields = {
    from: identity ? loadEngine().formatAddress(fromOf(identity)) : '',
    to: init.to ?? draft.to,
    cc: init.cc ?? draft.cc,
    bcc: init.bcc ?? draft.bcc,
    subject: init.subject ?? draft.subject,
    body,
  };
  const document = loadEngine().serializeComposeDocument(fields);
  const meta = await store.create({ accountId: account.id, mode: 'new', subject: fields.subject, text: document });
  const result: TemplateStart = { meta, expanded };
  if (expanded.cursor !== undefined) {
    const bodyStart = document.length - body.length;
    result.cursor = positionAt(document, bodyStart + expanded.cursor);
  }
  return result;
}

/** A warning (non-modal) listing what the template left as written, with Open Template; also in the log. */
export function reportTemplateProblems(log: ProtocolLog, file: TemplateFile, expanded: ExpandedTemplate): void {
  const name = file.name;
  const parts: string[] = [];
  if (expanded.unknown.length) parts.push(`unknown placeholders left as written: ${expanded.unknown.join(', ')}`);
  if (expanded.unfilled.length) parts.push(`no value yet for ${expanded.unfilled.join(', ')} (fill them in)`);
  parts.push(...expanded.notes);
  if (parts.length === 0) return;
  const message = vscode.l10n.t('Template “{0}”: {1}.', name, parts.join('; '));
  log.warn(message);
  const open = vscode.l10n.t('Open Template');
  void vscode.window.showWarningMessage(message, open).then(async (choice) => {
    if (choice === open) await vscode.window.showTextDocument(vscode.Uri.file(file.path), { preview: false });
  });
}

function contextFor(identity: Identity | undefined, to: MailAddress | undefined, selection: string | undefined): TemplateContext {
  return {
    now: new Date(),
    ...(to ? { to } : {}),
    ...(identity ? { identity: { name: identity.name, address: identity.address, ...(identity.signature ? { signature: identity.signature } : {}) } } : {}),
    ...(selection !== undefined ? { selection } : {}),
  };
}

function firstAddress(text: string): MailAddress | undefined {
  if (!text.trim() || text.includes('${')) return undefined;
  try {
    return loadEngine().parseAddressList(text)[0];
  } catch {
    return undefined;
  }
}

function positionAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/**
 * Templates as completion items in a compose tab's body: the body goes in at the cursor (as a
 * snippet: the cursor lands on `${cursor}`), and the template's To, Cc, Bcc and Subject fill the
 * tab's fields that are still empty. `${to…}` and `${identity…}` come from the tab's own To and From.
 */
export class TemplateCompletionProvider extends Disposable implements vscode.CompletionItemProvider {
  static register(deps: TemplateDeps & { accountOf(document: vscode.TextDocument): Promise<AccountConfig | undefined> }): TemplateCompletionProvider {
    const provider = new TemplateCompletionProvider(deps);
    provider._register(vscode.languages.registerCompletionItemProvider({ language: COMPOSE_LANGUAGE }, provider, '/'));
    return provider;
  }

  private constructor(private readonly deps: TemplateDeps & { accountOf(document: vscode.TextDocument): Promise<AccountConfig | undefined> }) {
    super();
  }

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position, _token: vscode.CancellationToken, context: vscode.CompletionContext): Promise<vscode.CompletionItem[] | undefined> {
    const text = document.getText();
    const parsed = loadEngine().parseComposeDocument(text);
    if (position.line < parsed.bodyLine) return undefined;
    const before = document.lineAt(position.line).text.slice(0, position.character);
    const slash = /^\s*\/([\w.-]*)$/.exec(before);
    // Typing in the body asks every provider; templates answer only to Ctrl+Space or a leading "/".
    if (!slash && context.triggerKind !== vscode.CompletionTriggerKind.Invoke) return undefined;
    const account = await this.deps.accountOf(document);
    if (!account) return undefined;
    const templates = await loadEngine().listTemplates(templateFolders(this.deps.storageDir));
    if (templates.length === 0) return undefined;
    let identity: Identity | undefined;
    try {
      identity = resolveIdentity(account, parsed.from).identity;
    } catch {
      identity = accountIdentities(account)[0];
    }
    const context2 = contextFor(identity, firstAddress(parsed.to), '');
    const range = slash ? new vscode.Range(position.line, before.lastIndexOf('/'), position.line, position.character) : new vscode.Range(position, position);
    const items: vscode.CompletionItem[] = [];
    for (const [i, template] of templates.entries()) {
      let expanded: ExpandedTemplate;
      try {
        expanded = loadEngine().expandTemplate(await loadEngine().readTemplate(template.path), context2);
      } catch (err) {
        this.deps.log.warn(`template ${template.name}: ${String(err)}`);
        continue;
      }
      const item = new vscode.CompletionItem({ label: slash ? `/${template.name}` : template.name, description: template.source === 'global' ? 'template (global)' : 'template' }, vscode.CompletionItemKind.Snippet);
      item.range = range;
      item.filterText = slash ? `/${template.name}` : template.name;
      item.sortText = `~${String(i).padStart(3, '0')}`;
      item.insertText = snippetOf(expanded);
      item.additionalTextEdits = headerEdits(document, parsed, expanded);
      const unknown = [...expanded.unknown, ...expanded.unfilled];
      item.detail = unknown.length ? `Left as written: ${unknown.join(', ')}` : expanded.draft.subject ? `Subject: ${expanded.draft.subject}` : 'Message template';
      item.documentation = new vscode.MarkdownString().appendCodeblock(expanded.draft.body.slice(0, 2000), 'markdown');
      items.push(item);
    }
    return items;
  }
}

/** The body as a snippet: every character literal ($, }, \ escaped), the final tab stop at `${cursor}`. */
function snippetOf(expanded: ExpandedTemplate): vscode.SnippetString {
  const body = expanded.draft.body.replace(/\n+$/, '');
  const snippet = new vscode.SnippetString();
  const at = expanded.cursor !== undefined ? Math.min(expanded.cursor, body.length) : body.length;
  snippet.appendText(body.slice(0, at));
  snippet.appendTabstop(0);
  snippet.appendText(body.slice(at));
  return snippet;
}

/** Edits that set the tab's empty To/Cc/Bcc/Subject lines to the template's values. */
function headerEdits(document: vscode.TextDocument, parsed: ParsedComposeDocument, expanded: ExpandedTemplate): vscode.TextEdit[] {
  const edits: vscode.TextEdit[] = [];
  const names = { to: 'To', cc: 'Cc', bcc: 'Bcc', subject: 'Subject' } as const;
  for (const field of ['to', 'cc', 'bcc', 'subject'] as const) {
    if (!expanded.headers.includes(field) || parsed[field].trim() !== '') continue;
    for (let line = 0; line < parsed.bodyLine && line < document.lineCount; line++) {
      const text = document.lineAt(line).text;
      if (new RegExp(`^${names[field]}:\\s*$`, 'i').test(text)) {
        edits.push(vscode.TextEdit.replace(document.lineAt(line).range, `${names[field]}: ${expanded.draft[field]}`));
        break;
      }
    }
  }
  return edits;
}
