import * as vscode from 'vscode';
import type { SearchCriteria } from '../../protocol/imap/operations/search';
import type { ProtocolLog } from '../../protocol/log';
import { loadEngine } from '../../loadEngine';
import { reportError } from '../errors';
import type { AccountNode, FolderNode, MailNode, SearchNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';

export interface SearchCommandDeps {
  model: MailTreeModel;
  log: ProtocolLog;
  treeView: vscode.TreeView<MailNode>;
}

/** For automation and tests: skips the quick input. */
export interface SearchRequest {
  criteria: SearchCriteria;
  /** One folder; all selectable folders of the account when absent. */
  path?: string;
}

/**
 * "Mailroom: Search Mail…": a server-side SEARCH on one folder or all folders of an account. The
 * query is typed in one line, e.g. `from:alice subject:"weekly report" since:2024-01-01 is:unread`;
 * words without a prefix search the whole message text.
 */
export function registerSearchCommands(deps: SearchCommandDeps): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('mailroom.search', async (node?: AccountNode | FolderNode, request?: SearchRequest): Promise<SearchNode | undefined> => {
      const scope = node ?? scopeFromSelection(deps) ?? (await pickAccount(deps));
      if (!scope || scope.account.protocol !== 'imap') return undefined;
      const accountNode = scope.kind === 'account' ? scope : deps.model.findAccount(scope.account.id);
      if (!accountNode) return undefined;
      let criteria = request?.criteria;
      let label: string;
      if (criteria) {
        label = describeCriteria(criteria);
      } else {
        const query = await vscode.window.showInputBox({
          title: `Search ${scope.kind === 'folder' ? scope.folder.path : 'all folders'}`,
          prompt: 'Words search the whole message. Prefixes: from: to: subject: body: since:YYYY-MM-DD before:YYYY-MM-DD is:unread is:flagged',
          placeHolder: 'from:alice subject:"report" is:unread',
          validateInput: (v) => {
            const parsed = parseSearchQuery(v);
            return typeof parsed === 'string' ? parsed : undefined;
          },
        });
        if (!query) return undefined;
        const parsed = parseSearchQuery(query);
        if (typeof parsed === 'string') return undefined;
        criteria = parsed;
        label = query.trim();
      }
      const paths =
        request?.path !== undefined
          ? [request.path]
          : scope.kind === 'folder'
            ? [scope.folder.path]
            : loadEngine().flattenFolders(await deps.model.listFolders(accountNode)).filter((f) => f.selectable).map((f) => f.path);
      try {
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Searching ${paths.length === 1 ? paths[0] : `${paths.length} folders`}…` },
          () => deps.model.search(accountNode, criteria, paths, label),
        );
        await deps.treeView.reveal(result, { expand: true, focus: true, select: false }).then(undefined, () => undefined);
        return result;
      } catch (err) {
        await reportError(deps.log, 'Searching', err);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('mailroom.closeSearch', (node?: SearchNode) => {
      if (node?.kind === 'search') deps.model.closeSearch(node);
    }),
  );
}

function scopeFromSelection(deps: SearchCommandDeps): AccountNode | FolderNode | undefined {
  const node = deps.treeView.selection[0];
  return node?.kind === 'account' || node?.kind === 'folder' ? node : undefined;
}

async function pickAccount(deps: SearchCommandDeps): Promise<AccountNode | undefined> {
  const accounts = deps.model.getRoots().filter((a) => a.account.protocol === 'imap');
  if (accounts.length <= 1) return accounts[0];
  const pick = await vscode.window.showQuickPick(accounts.map((a) => ({ label: a.account.label ?? `${a.account.user}@${a.account.host}`, node: a })), { title: 'Search which account?' });
  return pick?.node;
}

const PREFIXES = ['from', 'to', 'subject', 'body', 'since', 'before', 'is'] as const;

/** Parses the one-line query; returns an error sentence for bad input. */
export function parseSearchQuery(query: string): SearchCriteria | string {
  const criteria: SearchCriteria = {};
  const words: string[] = [];
  const tokens = query.match(/(\w+:)?"[^"]*"|\S+/g) ?? [];
  for (const token of tokens) {
    const m = /^(\w+):(.*)$/.exec(token);
    const prefix = m?.[1]?.toLowerCase();
    if (!m || !prefix || !(PREFIXES as readonly string[]).includes(prefix)) {
      words.push(unquote(token));
      continue;
    }
    const value = unquote(m[2]);
    if (!value) return `"${prefix}:" needs a value.`;
    switch (prefix) {
      case 'from':
      case 'to':
      case 'subject':
      case 'body':
        criteria[prefix] = value;
        break;
      case 'since':
      case 'before': {
        const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
        if (!date || Number.isNaN(date.getTime())) return `"${prefix}:" needs a date like 2024-01-31.`;
        criteria[prefix] = date;
        break;
      }
      case 'is':
        if (value === 'unread') criteria.unread = true;
        else if (value === 'read') criteria.unread = false;
        else if (value === 'flagged') criteria.flagged = true;
        else if (value === 'unflagged') criteria.flagged = false;
        else return '"is:" takes unread, read, flagged or unflagged.';
        break;
    }
  }
  if (words.length) criteria.text = words.join(' ');
  if (Object.keys(criteria).length === 0) return 'Type something to search for.';
  return criteria;
}

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s;
}

export function describeCriteria(c: SearchCriteria): string {
  const parts: string[] = [];
  for (const key of ['from', 'to', 'subject', 'body'] as const) if (c[key]) parts.push(`${key}:${c[key]}`);
  if (c.since) parts.push(`since:${c.since.toISOString().slice(0, 10)}`);
  if (c.before) parts.push(`before:${c.before.toISOString().slice(0, 10)}`);
  if (c.unread !== undefined) parts.push(c.unread ? 'is:unread' : 'is:read');
  if (c.flagged !== undefined) parts.push(c.flagged ? 'is:flagged' : 'is:unflagged');
  if (c.text) parts.push(c.text);
  return parts.join(' ');
}
