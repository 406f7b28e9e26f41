/**
 * "Mailroom: Search Mail (Local)": a Quick Pick that searches the local index as you type, across
 * accounts, offline too. Enter opens the message in the message panel (its body is fetched then if
 * only the headers are cached); the last row hands the query to the server search.
 */
import * as vscode from 'vscode';
import type { ProtocolLog } from '../../protocol/log';
import { isEmptyQuery, parseMailQuery, QUERY_HELP } from '../../protocol/searchQuery';
import { reportError } from '../errors';
import type { MessagePanelManager } from '../messagePanel';
import type { MessageNode } from '../tree/nodes';
import type { MailTreeModel } from '../tree/treeModel';
import { describeWhere, LocalSearchResult, LocalSearchService, SEARCH_ON_SERVER, serverRowDetail } from './localSearchService';

export interface LocalSearchCommandDeps {
  search: LocalSearchService;
  model: MailTreeModel;
  panels: MessagePanelManager;
  log: ProtocolLog;
}

/** For automation: runs the query without the Quick Pick and returns the rows it would show. */
export interface LocalSearchRequest {
  query: string;
}

interface ResultItem extends vscode.QuickPickItem {
  result?: LocalSearchResult;
  server?: true;
}

export function registerLocalSearchCommand(deps: LocalSearchCommandDeps): vscode.Disposable {
  return vscode.commands.registerCommand('mailroom.searchLocal', async (request?: LocalSearchRequest) => {
    if (request && typeof request.query === 'string') {
      const q = parseMailQuery(request.query);
      if (typeof q === 'string') return q;
      await deps.search.ready();
      return (await deps.search.search(q)).map((r) => ({ subject: r.subject, folder: r.folder, account: r.accountLabel, hit: r.hit }));
    }
    return showLocalSearch(deps);
  });
}

async function showLocalSearch(deps: LocalSearchCommandDeps): Promise<void> {
  const pick = vscode.window.createQuickPick<ResultItem>();
  pick.title = vscode.l10n.t('Search Mail (Local)');
  pick.placeholder = vscode.l10n.t('Search cached mail in every account. {0}', QUERY_HELP);
  pick.matchOnDescription = false;
  pick.matchOnDetail = false;
  const serverRow = (value: string): ResultItem => ({ label: `$(cloud) ${SEARCH_ON_SERVER}`, detail: serverRowDetail(value), alwaysShow: true, server: true });
  pick.items = [serverRow('')];
  let serial = 0;
  let ready = false;
  const update = async (value: string): Promise<void> => {
    const mine = ++serial;
    const q = parseMailQuery(value, { complete: false });
    if (typeof q === 'string' || isEmptyQuery(q)) {
      const note: ResultItem[] = typeof q === 'string' ? [{ label: `$(warning) ${q}`, alwaysShow: true }] : [];
      pick.items = [...note, serverRow(value)];
      return;
    }
    const results = await deps.search.search(q);
    if (mine !== serial) return; // a later keystroke has its own results
    const rows: ResultItem[] = results.map((r) => ({
      label: `${r.unread ? '$(circle-filled) ' : ''}${r.flagged ? '$(star-full) ' : ''}${r.subject || '(no subject)'}`,
      description: r.from ? r.from.name || r.from.address : '',
      detail: describeWhere(r),
      alwaysShow: true,
      result: r,
    }));
    if (!rows.length) rows.push({ label: ready ? '$(info) No cached message matches' : '$(sync~spin) Indexing cached mail…', alwaysShow: true });
    pick.items = [...rows, { label: '', kind: vscode.QuickPickItemKind.Separator }, serverRow(value)];
  };
  const refresh = (): void => void update(pick.value).catch((err: unknown) => deps.log.warn(`local search failed: ${String(err)}`));
  const done = new Promise<void>((resolve) => {
    pick.onDidChangeValue(refresh);
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0] ?? pick.activeItems[0];
      deps.log.info(`local search: accepted ${item ? `"${item.label}"` : 'nothing'}`);
      if (!item) return;
      if (item.server) {
        const query = pick.value;
        pick.hide();
        void vscode.commands.executeCommand('mailroom.search', undefined, { query });
        return;
      }
      if (!item.result) return;
      pick.hide();
      void openResult(deps, item.result);
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve();
    });
  });
  pick.show();
  pick.busy = true;
  try {
    await deps.search.ready();
  } catch (err) {
    deps.log.warn(`local search index not built: ${String(err)}`);
  }
  ready = true;
  pick.busy = false;
  refresh();
  await done;
}

async function openResult(deps: LocalSearchCommandDeps, r: LocalSearchResult): Promise<void> {
  deps.log.info(`local search: opening "${r.subject}" in ${r.folder} (${r.accountLabel})`);
  try {
    let node: MessageNode | undefined;
    if (r.hit.protocol === 'imap' && r.envelope) node = await deps.model.messageNodeFor(r.hit.accountId, r.hit.path, r.envelope);
    else if (r.hit.protocol === 'pop3' && r.pop3) node = deps.model.pop3MessageNodeFor(r.hit.accountId, r.pop3);
    if (!node) {
      deps.log.warn(`local search: "${r.subject}" has no message row in ${r.folder}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('"{0}" is no longer in {1}. Search again to see what the folder holds now.', r.subject, r.folder));
      return;
    }
    deps.panels.open(node);
  } catch (err) {
    await reportError(deps.log, 'Opening the message', err);
  }
}
