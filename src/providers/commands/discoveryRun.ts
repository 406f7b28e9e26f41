import * as vscode from 'vscode';
import type { DiscoverOptions, DiscoveryResult } from '../../protocol/discovery';
import type { DiscoveryOutcome } from '../../protocol/discovery/setupPlan';
import { MailError } from '../../protocol/errors';
import type { ProtocolLog } from '../../protocol/log';
import { loadEngine } from '../../loadEngine';

export type DiscoveryRun =
  | { kind: 'found'; result: DiscoveryResult; connectTo: (host: string, port: number) => { host: string; port: number } | undefined }
  | { kind: 'cancelled' }
  | { kind: 'manual' }
  | { kind: 'stopped' };

/**
 * Runs discovery for one address behind a cancellable progress notification. Over https first;
 * when that finds nothing, plain http only after the user agreed (modal, saying why). Nothing found
 * or every lookup timed out: a modal in words, offering manual setup. Never saves anything.
 */
export async function runDiscovery(address: string, domain: string, log: ProtocolLog): Promise<DiscoveryRun> {
  // The developer override (DEVELOPERS.md): read when a discovery runs, never at activation.
  let overrides;
  try {
    overrides = loadEngine().discoveryOverridesFromEnv(process.env);
  } catch (err) {
    void vscode.window.showErrorMessage(MailError.from(err).message);
    return { kind: 'stopped' };
  }
  if (overrides.active.length) log.info(`discovery: developer override ${overrides.active.join(', ')}`);
  const base = { ...(overrides.resolver ? { resolver: overrides.resolver } : {}), ...(overrides.dial ? { dial: overrides.dial } : {}), ...(overrides.ca ? { ca: overrides.ca } : {}) };

  for (let attempt = 0; attempt < 3; attempt++) {
    let run = await discoverWithProgress(address, domain, { ...base, allowPlainHttp: false }, log);
    if (run === 'cancelled') return cancelled();
    let outcome = loadEngine().discoveryOutcome(run);
    if (outcome.kind === 'nothing' && (await consentToPlainHttp(domain))) {
      run = await discoverWithProgress(address, domain, { ...base, allowPlainHttp: true }, log);
      if (run === 'cancelled') return cancelled();
      outcome = loadEngine().discoveryOutcome(run);
    }
    if (outcome.kind === 'found') return { kind: 'found', result: run, connectTo: overrides.connectTo };
    const next = await reportNothing(domain, outcome);
    if (next !== 'retry') return { kind: next };
  }
  return { kind: 'stopped' };
}

async function discoverWithProgress(address: string, domain: string, options: DiscoverOptions, log: ProtocolLog): Promise<DiscoveryResult | 'cancelled'> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: options?.allowPlainHttp ? vscode.l10n.t('Looking up the mail servers of {0} (also over http)', domain) : vscode.l10n.t('Looking up the mail servers of {0}', domain), cancellable: true },
    async (progress, token) => {
      let done = 0;
      const discovery = loadEngine().discoverServers(address, {
        ...options,
        onLookup: (r) => {
          done++;
          progress.report({ message: vscode.l10n.t('{0} lookups answered (last: {1} {2})', done, r.kind, r.target) });
        },
      });
      // The lookups are each bounded (limits.ts); a cancelled run is left to finish unobserved.
      let listener: vscode.Disposable | undefined;
      const cancel = new Promise<'cancelled'>((resolve) => {
        if (token.isCancellationRequested) resolve('cancelled');
        listener = token.onCancellationRequested(() => resolve('cancelled'));
      });
      const result = await Promise.race([discovery, cancel]).finally(() => listener?.dispose());
      if (result === 'cancelled') {
        discovery.catch(() => undefined);
        log.info(`discovery for ${domain}: cancelled after ${done} lookups`);
        return result;
      }
      log.info(`discovery for ${domain}: ${result.lookups.length} lookups in ${result.totalMs} ms; ${result.incoming.length} incoming, ${result.outgoing.length} outgoing; best ${result.best.incoming ? `${result.best.incoming.host}:${result.best.incoming.port}` : 'none'}`);
      for (const l of result.lookups) log.debug(`  ${l.ok ? 'ok  ' : 'FAIL'} ${l.kind} ${l.target} (${l.ms} ms) ${l.ok ? (l.answer ?? '') : `${l.error?.code}: ${l.error?.message}`}`);
      return result;
    },
  );
}

function cancelled(): DiscoveryRun {
  void vscode.window.showInformationMessage(vscode.l10n.t('Add Account stopped while looking up the servers: nothing was saved.'));
  return { kind: 'cancelled' };
}

async function consentToPlainHttp(domain: string): Promise<boolean> {
  const look = vscode.l10n.t('Look Over http');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('No mail settings for {0} were found over https. Look for its setup file over unencrypted http?', domain),
    {
      modal: true,
      detail: vscode.l10n.t('A setup file read over http is not protected: anyone on the network path (a public Wi-Fi, a router, a proxy) can rewrite it to send your password to their own server. Mailroom shows where each server came from before anything is saved; compare it with the documentation of {0}.', domain),
    },
    look,
  );
  return choice === look;
}

async function reportNothing(domain: string, outcome: Exclude<DiscoveryOutcome, { kind: 'found' }>): Promise<'manual' | 'retry' | 'stopped'> {
  const manual = vscode.l10n.t('Set Up Manually');
  const retry = vscode.l10n.t('Try Again');
  const buttons = outcome.kind === 'timedOut' ? [retry, manual] : [manual];
  const headline = outcome.kind === 'timedOut' ? vscode.l10n.t('Looking up the mail servers of {0} timed out. Nothing was saved.', domain) : vscode.l10n.t('Mailroom found no mail server settings for {0}. Nothing was saved.', domain);
  const choice = await vscode.window.showErrorMessage(headline, { modal: true, detail: outcome.message }, ...buttons);
  return choice === manual ? 'manual' : choice === retry ? 'retry' : 'stopped';
}
