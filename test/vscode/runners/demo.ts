// `npm run demo` (scripts/demo.sh builds first): starts the mail fixture and code-server (or desktop
// VS Code when `code` is on PATH) with the extension loaded and two demo accounts configured: alice
// over IMAPS and carol over POP3S (so the Unified Inbox and the POP3 cache have mail). Their
// passwords reach Mailroom through the demo seeder extension (demoSeeder.ts), installed next to it.
// Stays up until Ctrl-C, then stops everything.
//
// Environment: MAILROOM_DEMO_PORT (code-server port, default 8080), MAILROOM_DEMO_CODE_SERVER=1
// (use code-server even when `code` is on PATH), MAILROOM_FIXTURE_INFO (reuse a running fixture).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImapFlow } from 'imapflow';
import { readFixtureInfo, FixtureInfo } from '../../fixtures/info';
import { buildXssCorpus } from '../../fixtures/xssCorpus';
import { startCodeServer, workbenchUrl, writeUserSettings } from './codeserver';
import { writeDemoSeeder } from './demoSeeder';
import { ensureFixture } from './fixture';
import { freePort, isCleaningUp, log, makeTempDir, runMain, spawnManaged } from './proc';
import { extensionPath, findCodeServer, isExecutable, MissingToolError, resultsDir } from './tools';

const ACCOUNT_ID = 'demo';
const POP3_ACCOUNT_ID = 'demo-pop3';

function demoSettings(info: FixtureInfo): Record<string, unknown> {
  const pop3 = info.users.carol
    ? [{
      id: POP3_ACCOUNT_ID,
      label: 'Demo POP3 (carol@localhost)',
      protocol: 'pop3',
      host: info.host,
      port: info.ports.pop3s,
      security: 'tls',
      user: info.users.carol.user,
      trustedCertificateSha256: info.certSha256,
    }]
    : [];
  return {
    'mailroom.accounts': [{
      id: ACCOUNT_ID,
      label: 'Demo (alice@localhost)',
      protocol: 'imap',
      host: info.host,
      port: info.ports.imaps,
      security: 'tls',
      user: info.users.alice.user,
      trustedCertificateSha256: info.certSha256,
      email: 'alice@example.test',
      name: 'Alice Example',
      // Replies go to the fixture's SMTP sink (STARTTLS with the fixture's certificate); copies land in Sent.
      smtp: { host: info.host, port: info.ports.smtp, security: 'starttls', trustedCertificateSha256: info.certSha256 },
    }, ...pop3],
  };
}

/** Two HTML newsletters (inline cid logo, remote images behind the bar) in a "Newsletters" folder. */
async function addDemoNewsletters(info: FixtureInfo): Promise<void> {
  if (!info.tracker) return;
  const client = new ImapFlow({
    host: info.host,
    port: info.ports.imaps,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: info.users.alice.user, pass: info.users.alice.password },
    logger: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.mailboxCreate('Newsletters').catch(() => undefined);
    for (const message of buildXssCorpus(info.tracker.port).filter((m) => m.clean)) {
      await client.append('Newsletters', message.raw, []);
    }
  } catch (err) {
    log(`demo newsletters not added: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/** The environment code-server (and so both extension hosts' extensions) starts with. */
function demoEnv(infoFile: string, info: FixtureInfo): Record<string, string> {
  // Read by the demo seeder extension only (test/vscode/demo/seeder.ts), never by Mailroom.
  const secrets: Record<string, string> = { [ACCOUNT_ID]: info.users.alice.password };
  if (info.users.carol) secrets[POP3_ACCOUNT_ID] = info.users.carol.password;
  return { MAILROOM_FIXTURE_INFO: infoFile, MAILROOM_DEMO_SECRETS: JSON.stringify(secrets) };
}

function printAccount(info: FixtureInfo): void {
  const { alice, bob, carol } = info.users;
  process.stdout.write([
    'Demo accounts (already configured; the demo seeder extension loaded next to Mailroom stores their passwords',
    'through mailroom.addAccount, as a person adding them would):',
    `  "${ACCOUNT_ID}"       IMAP over TLS  ${info.host}:${info.ports.imaps}  user ${alice.user}  password ${alice.password}`,
    carol
      ? `  "${POP3_ACCOUNT_ID}"  POP3 over TLS  ${info.host}:${info.ports.pop3s}  user ${carol.user}  password ${carol.password}`
        + ' (downloaded into the local POP3 cache; with two accounts the Unified Inbox appears)'
      : '  (no POP3 account: this fixture has no user carol)',
    `  also running   IMAP+STARTTLS ${info.ports.imap}, POP3 ${info.ports.pop3}, SMTP sink ${info.ports.smtp}`,
    `  to add by hand ${bob.user} / ${bob.password} (Mailroom: Add Account)`,
    `  certificate    self-signed, SHA-256 ${info.certSha256} (trusted in the demo settings)`,
    '',
  ].join('\n'));
}

/** `code` on PATH (unless MAILROOM_DEMO_CODE_SERVER=1). */
function desktopCode(): string | undefined {
  if (process.env.MAILROOM_DEMO_CODE_SERVER === '1') {
    return undefined;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'code');
    if (dir && isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

async function runCodeServer(info: FixtureInfo, env: Record<string, string>, stateDir: string, workspace: string): Promise<number> {
  const requested = Number(process.env.MAILROOM_DEMO_PORT ?? 8080);
  const port = await freePort(requested).catch(() => {
    throw new Error(`port ${requested} on 127.0.0.1 is in use: set MAILROOM_DEMO_PORT to another port`);
  });
  const server = await startCodeServer({
    tools: findCodeServer(),
    stateDir,
    logFile: path.join(resultsDir(), 'demo-code-server.log'),
    env,
    port,
    settings: demoSettings(info),
  });
  printAccount(info);
  process.stdout.write(`Open this URL in a browser on this machine (code-server listens on 127.0.0.1 only;\n`
    + `from elsewhere use ssh -L ${port}:127.0.0.1:${port}):\n\n  ${workbenchUrl(server, workspace, extensionPath())}\n\n`
    + 'Press Ctrl-C to stop the demo.\n');
  const code = await server.exited;
  if (!isCleaningUp()) {
    log(`code-server stopped by itself (exit code ${code}); see ${path.join(resultsDir(), 'demo-code-server.log')}`);
  }
  return 1;
}

async function runDesktop(code: string, info: FixtureInfo, env: Record<string, string>, stateDir: string, workspace: string): Promise<number> {
  const userDataDir = path.join(stateDir, 'user-data');
  writeUserSettings(userDataDir, demoSettings(info));
  const args = ['--wait', '--new-window', '--user-data-dir', userDataDir, '--extensions-dir', path.join(stateDir, 'extensions'),
    `--extensionDevelopmentPath=${extensionPath()}`, workspace];
  printAccount(info);
  process.stdout.write(`Starting desktop VS Code (${code}) with the extension loaded; close its window or press Ctrl-C to stop.\n`);
  const child = spawnManaged('VS Code', code, args, { env: { ...process.env, ...env }, stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (exitCode) => resolve(exitCode ?? 0)));
}

async function main(): Promise<number> {
  try {
    extensionPath();
  } catch (err) {
    if (err instanceof MissingToolError) {
      log(err.message);
      return 1;
    }
    throw err;
  }
  const fixture = await ensureFixture(resultsDir());
  if (!fixture.infoFile) {
    throw new Error('the demo needs the mail fixture; unset MAILROOM_SKIP_FIXTURE');
  }
  const info = readFixtureInfo(fixture.infoFile);
  await addDemoNewsletters(info);
  const env = demoEnv(fixture.infoFile, info);
  const stateDir = makeTempDir('mailroom-demo-');
  const workspace = path.join(stateDir, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  // Both code-server and desktop VS Code get <stateDir>/extensions as --extensions-dir.
  writeDemoSeeder(path.join(stateDir, 'extensions'));
  const code = desktopCode();
  return code ? runDesktop(code, info, env, stateDir, workspace) : runCodeServer(info, env, stateDir, workspace);
}

runMain('demo', main);
