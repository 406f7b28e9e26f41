/** Opt-in behaviour checks on a test account (`mailroom-check --behaviour`). */
import type { BehaviourReport } from '../../../shared/probeReport';
import type { ProbeTarget } from '../target';
import { runImapBehaviour } from './imapSuite';
import { runPop3Behaviour } from './pop3Suite';
import type { BehaviourOptions } from './session';

export type { BehaviourOptions } from './session';
export { BEHAVIOUR_LIMITS } from './session';
export { renderBehaviour } from './render';

/** Runs the checks for the target's protocol; SMTP has none (yet) and says so. */
export async function runBehaviour(target: ProbeTarget, options: BehaviourOptions): Promise<BehaviourReport> {
  if (target.protocol === 'imap') return runImapBehaviour(target, options);
  if (target.protocol === 'pop3') return runPop3Behaviour(target, options);
  return {
    protocol: target.protocol,
    startedAt: new Date().toISOString(),
    totalMs: 0,
    budgetMs: options.budgetMs ?? 0,
    checks: [],
    error: { code: 'Unsupported', message: 'There are no behaviour checks for SMTP; they cover IMAP and POP3.' },
  };
}
