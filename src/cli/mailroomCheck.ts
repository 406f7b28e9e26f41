/**
 * `mailroom-check <url>... [--user U] [--password-env VAR] [--json] [--junit FILE] [--fail-on L]`
 * `mailroom-check --scan host [--ports 993,995,587]`
 * `mailroom-check diff before.json after.json [--json] [--fail-on L]` (checkDiff.ts)
 * `mailroom-check --behaviour <url>... --user U --password-env VAR [--allow-dele] [--idle-wait MS] [--budget MS]`
 * `mailroom-check --discover user@example.com [--json] [--allow-http] [--ca FILE] [--timeout MS]`
 * `mailroom-check --domain example.com [--json] [--ca FILE] [--timeout MS]`
 *
 * Checks IMAP, POP3 and SMTP endpoints with the same probe the editor uses and prints a Markdown
 * report (or, with --json, one JSON array; with --junit, also JUnit XML for CI). Exit 0: no check
 * failed (and, with --fail-on warning, no warnings); 1: --fail-on warning and at least one
 * warning; 2: at least one check failed (a phase failed), or the command could not run.
 */
import * as fs from 'node:fs';
import { MailError } from '../protocol/errors';
import { writeFileAtomic } from '../store/atomicFile';
import { runDiff } from './checkDiff';
import { discoverServers, discoveryOverridesFromEnv, renderDiscovery } from '../protocol/discovery';
import type { DiscoverOptions, DiscoveryResult } from '../protocol/discovery';
import { parsePortList, parseProbeUrl, probeEndpoint, renderMarkdown, reportsToJson, reportsToJunit, scanHost } from '../protocol/probe';
import { runBehaviour } from '../protocol/probe/behaviour';
import { hostGates } from '../protocol/probe/connectionGate';
import { TLS_DEEP_LIMITS } from '../protocol/probe/tlsDeep/limits';
import type { ProbeOptions, ProbeTarget, ScanEndpoint } from '../protocol/probe';
import { ProbeReport, verdictOf } from '../shared/probeReport';
import { runDomainCheck } from './domainCheck';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const EXIT = { ok: 0, warnings: 1, failed: 2 } as const;

export type FailOn = 'warning' | 'error';

const USAGE = `usage: mailroom-check <url>... [options]
       mailroom-check --scan <host> [--ports LIST] [options]
       mailroom-check diff <before.json> <after.json> [--json] [--fail-on warning|error]
       mailroom-check --discover <address> [--json] [--allow-http] [--ca FILE] [--timeout MS]
       mailroom-check --domain <domain> [--json] [--ca FILE] [--timeout MS]

  <url>                imap://, imaps://, pop3://, pop3s://, smtp://, smtps://, submission://
                       host and optional port, e.g. imaps://mail.example.com
  --scan <host>        check 143, 993, 110, 995, 25, 465 and 587 of one host concurrently
  --ports <list>       with --scan: only these ports, e.g. 993,995,587 or imaps:10993,imap:1143-1145;
                       a port other than the usual seven names its scheme; at most 64 ports
  --discover <address> find the servers for an address as Add Account does (autoconfig, MX,
                       SRV, guesses) and print every lookup, its answer and timing, and the winner
  --domain <domain>    the domain's mail posture: MX hosts and their ports 25/465/587, SPF (with
                       its DNS lookup count), DMARC, MTA-STS, TLS-RPT, DANE, reverse DNS, SRV
                       and autoconfig; each problem as a warning with a code and a fix
  --allow-http         with --discover: also read autoconfig over plain http (it can be rewritten
                       by anyone on the path; the result says so)
  --user <name>        log in as this user to see what changes after login
  --password-env <VAR> read the password from this environment variable (never from the command line)
  --token-env <VAR>    log in with the OAuth2 bearer token in this environment variable
                       (SASL OAUTHBEARER where offered, else XOAUTH2)
  --insecure           send the password even if the certificate does not verify or there is no TLS
  --ca <file>          also trust the CA certificate(s) in this PEM file (repeatable)
  --timeout <ms>       time each phase may take (default 10000)
  --behaviour          also check how the server behaves, on a TEST account (needs a login):
                       IMAP APPEND/FETCH bytes, UIDs, STORE, CONDSTORE, EXPUNGE, QRESYNC, MOVE,
                       IDLE in scratch folders it creates and removes; POP3 UIDL, TOP, RETR
                       (against IMAP FETCH when an imap URL of the same account is given too)
  --allow-dele         with --behaviour: POP3 may issue DELE (undone by RSET, or on a message
                       the check put there itself)
  --idle-wait <ms>     with --behaviour: how long IDLE may take to announce a message (default 5000)
  --budget <ms>        with --behaviour: time for all checks of one endpoint (default 120000)
  --json               print one JSON array, one object per endpoint (schema:
                       docs/check-report.schema.json; each object carries $schema and schemaVersion)
  --junit <file>       also write JUnit XML there: a testcase per phase and per warning
  --fail-on <level>    error (default): exit 2 when a check failed, else 0;
                       warning: also exit 1 when there are warnings
  --transcript         include the dialogue (credentials masked)
  --deep               on STARTTLS ports, also test for STARTTLS command injection and send a
                       random, wrong password before TLS to see whether it is checked (extra
                       connections; servers may log them as attacks or count a failed login)
  --tls                also check TLS in depth: each version alone, the suites each accepts,
                       the chain as served, OCSP stapling, ALPN (up to 100 connections per endpoint,
                       at most 6 at once to one host, a scan's ports and URLs of one host together)
  -h, --help           show this help

Exit status: 0 no check failed (with --fail-on warning: and no warnings), 1 warnings with
--fail-on warning, 2 a check failed or the command could not run (bad option, --junit unwritable).
With --discover: 0 servers found and verified, 1 found but something needs confirming, 2 none found.
With --domain: as above (--fail-on applies), 2 also when the domain could not be checked.
`;

interface Args {
  urls: string[];
  scan?: string;
  ports?: string;
  junit?: string;
  failOn: FailOn;
  discover?: string;
  domain?: string;
  allowHttp: boolean;
  user?: string;
  passwordEnv?: string;
  tokenEnv?: string;
  json: boolean;
  insecure: boolean;
  transcript: boolean;
  deep: boolean;
  tls: boolean;
  timeoutMs?: number;
  caFiles: string[];
  behaviour: boolean;
  allowDele: boolean;
  idleWaitMs?: number;
  budgetMs?: number;
  help: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { urls: [], failOn: 'error', allowHttp: false, json: false, insecure: false, transcript: false, deep: false, tls: false, caFiles: [], help: false, behaviour: false, allowDele: false };
  const ms = (flag: string, text: string, max: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} needs milliseconds from 1 to ${max}`);
    return n;
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = (): string => inline ?? value(++i, flag);
    switch (flag) {
      case '--user':
        args.user = take();
        break;
      case '--password-env':
        args.passwordEnv = take();
        break;
      case '--token-env':
        args.tokenEnv = take();
        break;
      case '--password':
        throw new UsageError('--password is not accepted: a password on the command line ends up in shell history and process lists; use --password-env VAR');
      case '--json':
        args.json = true;
        break;
      case '--insecure':
      case '-k':
        args.insecure = true;
        break;
      case '--transcript':
        args.transcript = true;
        break;
      case '--deep':
        args.deep = true;
        break;
      case '--tls':
        args.tls = true;
        break;
      case '--ca':
        args.caFiles.push(take());
        break;
      case '--scan':
        args.scan = take();
        break;
      case '--discover':
        args.discover = take();
        break;
      case '--ports':
        args.ports = take();
        break;
      case '--junit':
        args.junit = take();
        break;
      case '--fail-on': {
        const level = take();
        if (level !== 'warning' && level !== 'error') throw new UsageError('--fail-on takes warning or error');
        args.failOn = level;
        break;
      }
      case '--domain':
        args.domain = take();
        break;
      case '--allow-http':
        args.allowHttp = true;
        break;
      case '--timeout':
        args.timeoutMs = ms(flag, take(), 600_000);
        break;
      case '--behaviour':
      case '--behavior':
        args.behaviour = true;
        break;
      case '--allow-dele':
        args.allowDele = true;
        break;
      case '--idle-wait':
        args.idleWaitMs = ms(flag, take(), 600_000);
        break;
      case '--budget':
        args.budgetMs = ms(flag, take(), 3_600_000);
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        args.urls.push(arg);
    }
  }
  return args;
}

function defaultIo(): CliIo {
  return { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env };
}

/** Runs the command; resolves with the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  if (argv[0] === 'diff') return runDiff(argv.slice(1), io);
  let args: Args;
  let endpoints: ScanEndpoint[] | undefined;
  try {
    args = parseArgs(argv);
    if (args.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    if (args.domain !== undefined) {
      if (args.urls.length || args.scan || args.discover !== undefined) throw new UsageError('--domain takes one domain and no URLs, --scan or --discover');
    } else if (args.discover !== undefined) {
      if (args.urls.length || args.scan) throw new UsageError('--discover takes one address and no URLs or --scan');
    } else if (!args.urls.length && !args.scan) throw new UsageError('name at least one URL, --scan <host> or --discover <address>');
    if (args.behaviour && (args.scan || args.discover !== undefined)) throw new UsageError('--behaviour checks the URLs given; it does not go with --scan or --discover');
    if (args.behaviour && !args.passwordEnv && !args.tokenEnv) throw new UsageError('--behaviour logs in to a test account: give --user and --password-env VAR (or --token-env VAR)');
    if (!args.behaviour && (args.allowDele || args.idleWaitMs !== undefined || args.budgetMs !== undefined)) throw new UsageError('--allow-dele, --idle-wait and --budget go with --behaviour');
    args.urls.forEach(parseProbeUrl); // bad URLs are usage errors, reported before anything connects
    if (args.ports !== undefined) {
      if (!args.scan) throw new UsageError('--ports goes with --scan <host>');
      endpoints = parsePortList(args.ports);
    }
    if (args.discover !== undefined && args.junit !== undefined) throw new UsageError('--junit reports server checks, not --discover');
  } catch (err) {
    io.stderr(`mailroom-check: ${err instanceof Error ? err.message : String(err)}\n${err instanceof UsageError ? USAGE : ''}`);
    return EXIT.failed;
  }

  let options: ProbeOptions;
  try {
    options = probeOptions(args, io.env);
  } catch (err) {
    io.stderr(`mailroom-check: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }

  if (args.domain !== undefined) {
    const { dial } = discoveryOverridesFromEnv(io.env);
    return runDomainCheck(args.domain, { json: args.json, failOn: args.failOn, ...(options.ca ? { ca: options.ca } : {}), ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}), ...(io.env.MAILROOM_DISCOVERY_DNS ? { dnsServer: io.env.MAILROOM_DISCOVERY_DNS } : {}), ...(dial ? { dial } : {}) }, io);
  }
  if (args.discover !== undefined) return discover(args.discover, args, options, io);

  const reports: ProbeReport[] = [];
  if (args.scan) reports.push(...(await scanHost(args.scan, { ...options, ...(endpoints ? { endpoints } : {}) })));
  // With --tls, URLs of one host share its connection cap (the scan makes its own).
  const gateFor = hostGates(TLS_DEEP_LIMITS.connectionsPerHost);
  reports.push(...(await Promise.all(args.urls.map((url) => probeEndpoint(url, args.tls ? { ...options, connectionGate: gateFor(parseProbeUrl(url).host) } : options)))));
  if (args.behaviour) await addBehaviour(reports, args, options);

  io.stdout(args.json ? `${reportsToJson(reports, { transcript: args.transcript })}\n` : renderMarkdown(reports, { transcript: args.transcript }));
  if (args.junit !== undefined) {
    try {
      await writeFileAtomic(args.junit, reportsToJunit(reports));
    } catch (err) {
      const detail = MailError.is(err) && err.detail ? ` (${err.detail})` : '';
      io.stderr(`mailroom-check: cannot write the JUnit report ${args.junit}${detail}\n`);
      return EXIT.failed;
    }
  }
  return exitCode(reports, args.failOn);
}

function probeOptions(args: Args, env: NodeJS.ProcessEnv): ProbeOptions {
  const options: ProbeOptions = { insecure: args.insecure, ...(args.deep ? { deep: true } : {}), ...(args.tls ? { tlsDeep: true } : {}) };
  if (args.timeoutMs !== undefined) options.timeoutMs = args.timeoutMs;
  if (args.caFiles.length) {
    options.ca = args.caFiles.map((file) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new MailError('InvalidAccount', `cannot read the CA file ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }
  if (args.passwordEnv && args.tokenEnv) throw new MailError('InvalidAccount', 'give either --password-env or --token-env, not both');
  const secretEnv = args.passwordEnv ?? args.tokenEnv;
  if (secretEnv) {
    const option = args.passwordEnv ? '--password-env' : '--token-env';
    const secret = env[secretEnv];
    if (secret === undefined || secret === '') throw new MailError('PasswordMissing', `the environment variable ${secretEnv} is not set`);
    const userInUrls = args.urls.every((u) => parseProbeUrl(u).user !== undefined) && !args.scan;
    if (!args.user && !userInUrls) throw new MailError('InvalidAccount', `${option} needs --user (or a user in every URL, like imaps://alice@host)`);
    options.credentials = { password: secret, ...(args.user ? { user: args.user } : {}), ...(args.tokenEnv ? { bearer: true } : {}) };
  }
  return options;
}

async function discover(address: string, args: Args, probe: ProbeOptions, io: CliIo): Promise<number> {
  const options: DiscoverOptions = {
    allowPlainHttp: args.allowHttp,
    ...(probe.ca ? { ca: probe.ca } : {}),
    ...(args.timeoutMs !== undefined ? { fetchTimeoutMs: args.timeoutMs, dnsTimeoutMs: args.timeoutMs, probeTimeoutMs: args.timeoutMs } : {}),
  };
  let result: DiscoveryResult;
  try {
    // MAILROOM_DISCOVERY_DNS / _HOSTS / _CA point the lookups at a test domain (envOverrides.ts).
    const { resolver, dial, ca } = discoveryOverridesFromEnv(io.env);
    result = await discoverServers(address, { ...options, ...(resolver ? { resolver } : {}), ...(dial ? { dial } : {}), ...(ca && !options.ca ? { ca } : {}) });
  } catch (err) {
    io.stderr(`mailroom-check: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
  io.stdout(args.json ? `${JSON.stringify(result, null, 2)}\n` : renderDiscovery(result));
  if (!result.best.incoming) return EXIT.failed;
  return result.confirmations.length ? EXIT.warnings : EXIT.ok;
}

/**
 * Runs the behaviour checks of each IMAP and POP3 endpoint whose login worked, one endpoint after
 * another (they use the same account). A POP3 endpoint gets an IMAP URL of the same host as its
 * companion, to put a message of its own in the maildrop.
 */
async function addBehaviour(reports: ProbeReport[], args: Args, probe: ProbeOptions): Promise<void> {
  const targets = args.urls.map(parseProbeUrl);
  for (const [i, report] of reports.entries()) {
    const target = targets[i];
    if (!probe.credentials || target.protocol === 'smtp') continue;
    if (report.auth.login.ok !== true) {
      const why = report.auth.login.error?.message ?? report.auth.login.skipped ?? report.error?.message ?? 'the login did not happen';
      report.behaviour = { protocol: target.protocol, startedAt: new Date().toISOString(), totalMs: 0, budgetMs: args.budgetMs ?? 0, checks: [], error: { code: 'InvalidAccount', message: `The behaviour checks need a working login: ${why}` } };
      continue;
    }
    const companion: ProbeTarget | undefined = target.protocol === 'pop3' ? targets.find((t) => t.protocol === 'imap' && t.host === target.host && t.user === target.user) : undefined;
    report.behaviour = await runBehaviour(target, {
      credentials: probe.credentials,
      insecure: args.insecure,
      allowDele: args.allowDele,
      ...(probe.ca ? { ca: probe.ca } : {}),
      ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
      ...(args.idleWaitMs !== undefined ? { idleWaitMs: args.idleWaitMs } : {}),
      ...(args.budgetMs !== undefined ? { budgetMs: args.budgetMs } : {}),
      ...(companion ? { imap: companion } : {}),
    });
  }
}

/** 2 when a check failed; 1 when there are warnings and `failOn` is warning; else 0. */
export function exitCode(reports: readonly ProbeReport[], failOn: FailOn = 'error'): number {
  const verdicts = reports.map(verdictOf);
  if (verdicts.includes('failed')) return EXIT.failed;
  if (failOn === 'warning' && verdicts.includes('warnings')) return EXIT.warnings;
  return EXIT.ok;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
