import * as vscode from 'vscode';
import type { SearchCriteria } from '../../protocol/imap/operations/search';
import type { ProtocolLog } from '../../protocol/log';
import { parseMailQuery, QUERY_HELP } from '../../protocol/searchQuery';
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
  /** Without criteria: the query the input box starts with (local search hands over what was typed). */
  query?: string;
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
      let folder: string | undefined;
      if (criteria) {
        label = describeCriteria(criteria);
      } else {
        const query = await vscode.window.showInputBox({
          title: scope.kind === 'folder' ? vscode.l10n.t('Search {0}', scope.folder.path) : vscode.l10n.t('Search all folders'),
          prompt: vscode.l10n.t('Words search the whole message. {0}', QUERY_HELP),
          // eslint-disable-next-line no-restricted-syntax -- an example value, the same in every language
          placeHolder: 'from:alice subject:"report" is:unread',
          ...(request?.query ? { value: request.query } : {}),
          validateInput: (v) => {
            const parsed = parseSearchQuery(v);
            return typeof parsed === 'string' ? parsed : undefined;
          },
        });
        if (!query) return undefined;
        const parsed = serverQuery(query);
        if (typeof parsed === 'string') return undefined;
        criteria = parsed.criteria;
        folder = parsed.folder?.toLowerCase();
        label = query.trim();
      }
      const all =
        request?.path !== undefined
          ? [request.path]
          : scope.kind === 'folder'
            ? [scope.folder.path]
            : loadEngine().flattenFolders(await deps.model.listFolders(accountNode)).filter((f) => f.selectable).map((f) => f.path);
      const paths = folder === undefined ? all : all.filter((p) => p.toLowerCase().includes(folder));
      try {
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: paths.length === 1 ? vscode.l10n.t('Searching {0}…', paths[0]) : vscode.l10n.t('Searching {0} folders…', paths.length) },
          () => deps.model.search(accountNode, criteria, paths, label),
        );
        await deps.treeView.reveal(result, { expand: true, focus: true, select: false }).then(undefined, () => undefined);
        return result;
      } catch (err) {
        await reportError(deps.log, vscode.l10n.t('Searching'), err);
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
  const pick = await vscode.window.showQuickPick(accounts.map((a) => ({ label: a.account.label ?? `${a.account.user}@${a.account.host}`, node: a })), { title: vscode.l10n.t('Search which account?') });
  return pick?.node;
}

/** Parses the one-line query (src/protocol/searchQuery.ts) into SEARCH criteria; returns an error sentence for bad input. */
export function parseSearchQuery(query: string): SearchCriteria | string {
  const parsed = serverQuery(query);
  return typeof parsed === 'string' ? parsed : parsed.criteria;
}

/** The query as the server searches it: SEARCH criteria and the `folder:` it is limited to. */
export function serverQuery(query: string): { criteria: SearchCriteria; folder?: string } | string {
  const q = parseMailQuery(query);
  if (typeof q === 'string') return q;
  if (q.hasAttachment) return '"has:attachment" works in local search only (Mailroom: Search Mail (Local)).';
  const criteria: SearchCriteria = {};
  for (const key of ['from', 'to', 'subject', 'body', 'since', 'before', 'unread', 'flagged'] as const) {
    if (q[key] !== undefined) (criteria as Record<string, unknown>)[key] = q[key];
  }
  if (q.words.length) criteria.text = q.words.join(' ');
  if (Object.keys(criteria).length === 0 && q.folder === undefined) return 'Type something to search for.';
  return { criteria, ...(q.folder !== undefined ? { folder: q.folder } : {}) };
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
