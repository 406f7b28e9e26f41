import * as path from 'node:path';
import * as vscode from 'vscode';
import { AccountConfig, accountLabel } from '../../protocol/account';
import type { CredentialSource } from '../../protocol/credentials';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import type { ProbeOptions, ProbeTarget } from '../../protocol/probe';
import { hostGates } from '../../protocol/probe/connectionGate';
import { TLS_DEEP_LIMITS } from '../../protocol/probe/tlsDeep/limits';
import type { DomainReport } from '../../protocol/probe/domain/types';
import type { ProbeReport, ProbeScheme } from '../../shared/probeReport';
import { Disposable } from '../../util/dispose';
import type { AccountRepository } from '../accounts';
import { errorSummary, reportError } from '../errors';
import { mailroomSettings } from '../settings';
import type { AccountNode } from '../tree/nodes';
import { CompareReportsCommand } from './compareReports';
import { ProbePanel, ProbeRenderedReport } from './probePanel';
import { pickReportFile, readReportsAt } from './reportUri';
import { loadEngine } from '../../loadEngine';

export interface ProbeCommandDeps {
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  accounts: Pick<AccountRepository, 'list' | 'get' | 'credentials'>;
}

/** `mailroom.checkDomain` arguments when called from code. */
export interface CheckDomainRequest {
  /** Ask this DNS server (`ip` or `ip:port`) instead of the system's, e.g. to check a zone before publishing it. */
  dnsServer?: string;
}

/** `mailroom.scanHost` arguments when called from code: check only these ports. */
export interface ScanHostRequest {
  ports?: Partial<Record<ProbeScheme, number>>;
}

/** `mailroom.checkServer` arguments when called from code: `deep` adds the STARTTLS attack checks. */
export interface CheckServerRequest {
  deep?: boolean;
}

/** What "Mailroom: Open Check Report…" resolves with (undefined: the picker was cancelled). */
export type OpenReportResult = { ok: true; reports: ProbeReport[]; title: string } | { ok: false; error: { code: string; message: string } };

/** `mailroom.checkServerBehaviour` arguments when called from code. */
export interface BehaviourRequest {
  /** The caller already asked the person (or is a test on a test account): no confirmation. */
  confirmed?: boolean;
  /** IDLE's wait (ms); default 5000. */
  idleWaitMs?: number;
}

interface Job {
  title: string;
  /** What is checked (an account's label, a URL), for titles other than `title`. */
  subject: string;
  target: ProbeTarget;
  /** When probing a configured account: the account (its pin, plaintext consent, POP3 policy). */
  account?: AccountConfig;
  /** The account's login: its password or its OAuth2 tokens. */
  credentials?: CredentialSource;
  /** Also run the behaviour checks (after a successful login). */
  behaviour?: { idleWaitMs?: number };
}

/**
 * "Mailroom: Check Server Capabilities…" and "Mailroom: Scan Host…": run the probe, show the
 * report in a webview, write each transcript (credentials masked) to the log. Both commands
 * resolve with the reports (JSON-shaped), so tests and other extensions can read them.
 */
export class ProbeFeature extends Disposable {
  private readonly _onDidRenderReport = this._register(new vscode.EventEmitter<ProbeRenderedReport>());
  /** Fires when a report webview has drawn: what a person now sees. */
  readonly onDidRenderReport = this._onDidRenderReport.event;
  private readonly panels = new Set<ProbePanel>();

  constructor(private readonly deps: ProbeCommandDeps) {
    super();
    this._register(vscode.commands.registerCommand('mailroom.checkServer', (arg?: AccountNode | string, request?: CheckServerRequest) => this.checkServer(arg, request)));
    // The deep check opens up to TLS_DEEP_LIMITS.maxConnections connections, so it is its own choice.
    this._register(vscode.commands.registerCommand('mailroom.checkServerTls', (arg?: AccountNode | string) => this.checkServer(arg, { tlsDeep: true })));
    this._register(vscode.commands.registerCommand('mailroom.checkServerBehaviour', (arg?: AccountNode | string, request?: BehaviourRequest) => this.checkBehaviour(arg, request)));
    this._register(vscode.commands.registerCommand('mailroom.scanHost', (host?: string, request?: ScanHostRequest) => this.scanHost(host, request)));
    this._register(new CompareReportsCommand(this.protocolLog()));
    this._register(vscode.commands.registerCommand('mailroom.openCheckReport', (file?: vscode.Uri) => this.openReport(file)));
    this._register(vscode.commands.registerCommand('mailroom.checkDomain', (domain?: string, request?: CheckDomainRequest) => this.checkDomain(domain, request)));
  }

  override dispose(): void {
    for (const panel of [...this.panels]) panel.dispose();
    super.dispose();
  }

  private async checkServer(arg: AccountNode | string | undefined, request: CheckServerRequest & Pick<ProbeOptions, 'tlsDeep'> = {}): Promise<ProbeReport[] | undefined> {
    try {
      const job = await this.resolveJob(arg);
      if (!job) return undefined;
      const extra: Pick<ProbeOptions, 'deep' | 'tlsDeep'> = { ...(request.deep === true ? { deep: true } : {}), ...(request.tlsDeep ? { tlsDeep: request.tlsDeep } : {}) };
      return await this.run(extra.tlsDeep ? vscode.l10n.t('TLS in depth: {0}', job.subject) : job.title, [job], extra);
    } catch (err) {
      await reportError(this.protocolLog(), vscode.l10n.t('Checking the server'), err);
      return undefined;
    }
  }

  /**
   * "Check Server Behaviour…" (also a choice in Check Server's picker): the capability check, then
   * the behaviour checks on a configured account, after the person confirms it is a test account.
   */
  private async checkBehaviour(arg: AccountNode | string | undefined, request: BehaviourRequest | undefined): Promise<ProbeReport[] | undefined> {
    try {
      const account = arg === undefined ? await this.pickAccount() : typeof arg === 'string' ? this.deps.accounts.get(arg) : arg.kind === 'account' ? arg.account : undefined;
      if (!account) return undefined;
      const job = await this.accountJob(account);
      if (!request?.confirmed) {
        const go = vscode.l10n.t('Run on This Test Account');
        const answer = await vscode.window.showWarningMessage(
          vscode.l10n.t('Run behaviour checks on {0}?', accountLabel(account)),
          { modal: true, detail: vscode.l10n.t('Use a test account. IMAP: two scratch folders with unique names are created, filled with test messages and removed again; existing mail is not touched. POP3: only read-only checks.') },
          go,
        );
        if (answer !== go) return undefined;
      }
      return await this.run(vscode.l10n.t('Behaviour: {0}', accountLabel(account)), [{ ...job, behaviour: request?.idleWaitMs !== undefined ? { idleWaitMs: request.idleWaitMs } : {} }]);
    } catch (err) {
      await reportError(this.protocolLog(), vscode.l10n.t('Checking the server behaviour'), err);
      return undefined;
    }
  }

  private async pickAccount(): Promise<AccountConfig | undefined> {
    const picks = this.deps.accounts.list().map((a) => ({ label: accountLabel(a), description: loadEngine().targetFromAccount(a).url, account: a }));
    const pick = await vscode.window.showQuickPick(picks, { title: vscode.l10n.t('Mailroom: Check Server Behaviour'), placeHolder: vscode.l10n.t('The account to check (use a test account)') });
    return pick?.account;
  }

  private async scanHost(host: string | undefined, request: ScanHostRequest | undefined): Promise<ProbeReport[] | undefined> {
    const name = await argumentOrAsk(host, {
      title: vscode.l10n.t('Mailroom: Scan Host'),
      prompt: vscode.l10n.t('Checks IMAP 143/993, POP3 110/995 and SMTP 25/465/587 at the same time.'),
      placeHolder: 'mail.example.com',
      validateInput: (v) => (/^[^\s/:]+$|^\[[0-9a-f:.]+\]$/i.test(v.trim()) ? undefined : vscode.l10n.t('A host name or IP address, without scheme or port.')),
    });
    if (!name) return undefined;
    const bare = name.trim().replace(/^\[(.*)\]$/, '$1');
    const jobs = loadEngine().scanTargets(bare, request?.ports).map((target) => ({ title: target.url, subject: target.url, target }));
    return this.run(vscode.l10n.t('Scan: {0}', bare), jobs);
  }

  /** "Mailroom: Check a Mail Domain…": the domain report in the report panel; resolves with it. */
  private async checkDomain(input: string | undefined, request: CheckDomainRequest | undefined): Promise<DomainReport | undefined> {
    const valid = (v: string): string | undefined => {
      try {
        loadEngine().normalizeDomain(v);
        return undefined;
      } catch (err) {
        return MailError.is(err) ? err.message : String(err);
      }
    };
    const name = await argumentOrAsk(input, {
      title: vscode.l10n.t('Mailroom: Check a Mail Domain'),
      prompt: vscode.l10n.t('MX hosts and their ports 25/465/587, SPF, DMARC, MTA-STS, TLS-RPT, DANE, reverse DNS and client setup records.'),
      placeHolder: 'example.com',
      validateInput: valid,
    });
    if (!name) return undefined;
    try {
      const domain = loadEngine().normalizeDomain(name);
      const panel = this.newPanel(vscode.l10n.t('Domain: {0}', domain), 1);
      const timeoutMs = mailroomSettings().connectionTimeoutMs;
      const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking {0}…', domain) }, () =>
        loadEngine().checkDomain(domain, {
          probeTimeoutMs: timeoutMs,
          ...(request?.dnsServer ? { resolver: loadEngine().createDomainResolver({ servers: [request.dnsServer] }) } : {}),
        }),
      );
      const ports = report.mx.flatMap((h) => h.ports);
      for (const p of ports) this.logReport(p);
      this.deps.log.info(`[domain ${domain}] ${report.findings.map((f) => `${f.level} ${f.code}`).join(', ') || 'no findings'}`);
      panel.showDomain(loadEngine().domainSummaryView(report), ports, { markdown: loadEngine().renderDomainMarkdown(report), json: loadEngine().domainReportToJson(report) });
      return report;
    } catch (err) {
      await reportError(this.protocolLog(), vscode.l10n.t('Checking the mail domain'), err);
      return undefined;
    }
  }

  private async resolveJob(arg: AccountNode | string | undefined): Promise<Job | undefined> {
    if (typeof arg === 'string') return { title: vscode.l10n.t('Check: {0}', arg), subject: arg, target: loadEngine().parseProbeUrl(arg) };
    if (arg?.kind === 'account') return this.accountJob(arg.account);
    const picks: Array<vscode.QuickPickItem & { account?: AccountConfig; behaviour?: true }> = [
      { label: vscode.l10n.t('$(globe) Enter a URL…'), description: 'imaps://, pop3s://, submission:// …' },
      { label: vscode.l10n.t('$(beaker) Run behaviour checks on a test account…'), description: vscode.l10n.t('APPEND/FETCH, UIDs, CONDSTORE, MOVE, IDLE… in scratch folders'), behaviour: true },
      ...this.deps.accounts.list().map((a) => ({ label: accountLabel(a), description: loadEngine().targetFromAccount(a).url, account: a })),
    ];
    const pick = await vscode.window.showQuickPick(picks, { title: vscode.l10n.t('Mailroom: Check Server Capabilities'), placeHolder: vscode.l10n.t('Check a configured account, or enter a server URL') });
    if (!pick) return undefined;
    if (pick.behaviour) {
      await this.checkBehaviour(undefined, undefined);
      return undefined;
    }
    if (pick.account) return this.accountJob(pick.account);
    const url = await vscode.window.showInputBox({
      title: vscode.l10n.t('Mailroom: Check Server Capabilities'),
      prompt: vscode.l10n.t('imap://, imaps://, pop3://, pop3s://, smtp://, smtps:// or submission:// with the host and an optional port'),
      // eslint-disable-next-line no-restricted-syntax -- an example value, the same in every language
      placeHolder: 'imaps://mail.example.com',
      validateInput: (v) => {
        try {
          loadEngine().parseProbeUrl(v);
          return undefined;
        } catch (err) {
          return MailError.is(err) ? err.message : String(err);
        }
      },
    });
    return url ? { title: vscode.l10n.t('Check: {0}', url.trim()), subject: url.trim(), target: loadEngine().parseProbeUrl(url) } : undefined;
  }

  /**
   * "Mailroom: Open Check Report…": a report `mailroom-check --json` (or "Copy as JSON") wrote,
   * drawn in the report panel as when it ran. Resolves undefined when the picker was cancelled.
   */
  private async openReport(file: vscode.Uri | undefined): Promise<OpenReportResult | undefined> {
    try {
      const uri = file ?? (await pickReportFile('Mailroom: Open Check Report', 'Open Report'));
      if (!uri) return undefined;
      const reports = await readReportsAt(uri);
      const name = path.basename(uri.path);
      const panel = this.newPanel(`Report: ${name}`, 0);
      const when = reports.map((r) => r.startedAt).sort()[0];
      panel.showStored(reports, `Stored report ${uri.scheme === 'file' ? uri.fsPath : uri.toString()}${when ? `, checked ${when.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` : ''}. Nothing was checked again.`);
      return { ok: true, reports, title: `Report: ${name}` };
    } catch (err) {
      void reportError(this.protocolLog(), 'Opening a check report', err);
      return { ok: false, error: errorSummary(err) };
    }
  }

  private newPanel(title: string, pending: number): ProbePanel {
    const panel = new ProbePanel(title, pending, this.deps.extensionUri, this.protocolLog(), (r) => this._onDidRenderReport.fire(r));
    this.panels.add(panel);
    panel.onDidDispose(() => this.panels.delete(panel));
    return panel;
  }

  private async accountJob(account: AccountConfig): Promise<Job> {
    const current = this.deps.accounts.get(account.id) ?? account;
    return { title: vscode.l10n.t('Check: {0}', accountLabel(current)), subject: accountLabel(current), target: loadEngine().targetFromAccount(current), account: current, credentials: this.deps.accounts.credentials(current) };
  }

  private async run(title: string, jobs: Job[], extra: Pick<ProbeOptions, 'deep' | 'tlsDeep'> = {}): Promise<ProbeReport[]> {
    const panel = this.newPanel(title, jobs.length);
    const results: Array<ProbeReport | undefined> = jobs.map(() => undefined);
    const shared = { ...this.baseOptions(), ...extra };
    // The TLS deep check's connections to one host share one cap across the jobs (a scan's ports).
    const gateFor = hostGates(TLS_DEEP_LIMITS.connectionsPerHost);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('{0}…', title) }, () =>
      Promise.all(
        jobs.map(async (job, i) => {
          const input = job.account ?? job.target;
          const options = extra.tlsDeep ? { ...shared, connectionGate: gateFor(job.target.host) } : shared;
          const report = job.credentials ? await loadEngine().probeWithCredentials(input, options, job.credentials) : await loadEngine().probeEndpoint(input, options);
          if (job.behaviour && job.credentials && report.auth.login.ok) {
            // The login just worked: the same secret (a token as refreshed by that login) logs the checks in.
            const secret = await job.credentials.login(async (s) => s);
            report.behaviour = await loadEngine().runBehaviour(job.target, {
              credentials: secret.kind === 'token' ? { password: secret.accessToken, bearer: true } : { password: secret.password },
              ...options,
              insecure: job.account?.allowPlaintextPassword === true,
              log: this.protocolLog(),
              ...job.behaviour,
            });
          } else if (job.behaviour) {
            const why = report.auth.login.error?.message ?? report.auth.login.skipped ?? report.error?.message ?? vscode.l10n.t('the login did not happen');
            report.behaviour = { protocol: report.protocol, startedAt: report.startedAt, totalMs: 0, budgetMs: 0, checks: [], error: { code: 'InvalidAccount', message: vscode.l10n.t('The behaviour checks need a working login: {0}', why) } };
          }
          results[i] = report;
          this.logReport(report);
          panel.update(results.filter((r): r is ProbeReport => r !== undefined), results.filter((r) => r === undefined).length);
        }),
      ),
    );
    return results.filter((r): r is ProbeReport => r !== undefined);
  }

  private baseOptions(): ProbeOptions {
    return { timeoutMs: mailroomSettings().connectionTimeoutMs };
  }

  /** The whole transcript at info level, so it is visible without raising the log level. */
  private logReport(report: ProbeReport): void {
    const verdict = report.failedPhase ? `failed at ${report.failedPhase}: ${report.error?.message ?? ''}` : `${report.warnings.length} warning(s)`;
    this.deps.log.info(`[probe ${report.url}] ${verdict}\n${loadEngine().formatTranscript(report.transcript ?? [])}`);
  }

  private protocolLog(): ProtocolLog {
    const log = this.deps.log;
    return { trace: (m) => log.trace(m), debug: (m) => log.debug(m), info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) };
  }
}

export function registerProbeCommands(deps: ProbeCommandDeps): ProbeFeature {
  return new ProbeFeature(deps);
}

/** The command's argument when it gave one (scripts, tests), else what the user types into the box. */
async function argumentOrAsk(argument: unknown, box: vscode.InputBoxOptions): Promise<string | undefined> {
  return typeof argument === 'string' && argument.trim() ? argument.trim() : vscode.window.showInputBox(box);
}
