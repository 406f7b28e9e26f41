// Starts the mail test fixture (out/test/fixtures/cli.js: Dovecot + SMTP sink) unless one is already
// described by MAILROOM_FIXTURE_INFO, and returns the path of its info JSON file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { log, logChildTo, makeTempDir, spawnManaged, waitForLine } from './proc';
import { repoRoot } from './tools';

export interface StartedFixture {
  /** Path of the fixture info JSON, or undefined when MAILROOM_SKIP_FIXTURE=1. */
  infoFile: string | undefined;
  /** True when this process started the fixture (and will stop it at cleanup). */
  owned: boolean;
}

const READY_TIMEOUT_MS = Number(process.env.MAILROOM_FIXTURE_TIMEOUT_MS ?? 120_000);

export async function ensureFixture(resultsDir: string): Promise<StartedFixture> {
  const existing = process.env.MAILROOM_FIXTURE_INFO;
  if (existing) {
    if (!fs.existsSync(existing)) {
      throw new Error(`MAILROOM_FIXTURE_INFO points at ${existing}, which does not exist`);
    }
    log(`using the running fixture described by ${existing}`);
    return { infoFile: existing, owned: false };
  }
  if (process.env.MAILROOM_SKIP_FIXTURE === '1') {
    log('MAILROOM_SKIP_FIXTURE=1: running without the mail fixture');
    return { infoFile: undefined, owned: false };
  }
  return { infoFile: await startFixture(resultsDir), owned: true };
}

async function startFixture(resultsDir: string): Promise<string> {
  const cli = path.join(repoRoot(), 'out', 'test', 'fixtures', 'cli.js');
  if (!fs.existsSync(cli)) {
    throw new Error(`${cli} is missing: run \`npm run compile-tests\` (or set MAILROOM_SKIP_FIXTURE=1 to run without mail servers)`);
  }
  const infoFile = path.join(makeTempDir('mailroom-fixture-'), 'fixture.json');
  log(`starting the mail fixture (${path.relative(repoRoot(), cli)})`);
  const child = spawnManaged('mail fixture', process.execPath, [cli, '--info', infoFile], {
    cwd: repoRoot(),
    // A stdin pipe that stays open: the fixture stops by itself when this process dies.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  logChildTo(child, path.join(resultsDir, 'fixture.log'));
  const match = await waitForLine(child, /^FIXTURE_READY (.+)$/, READY_TIMEOUT_MS, 'mail fixture')
    .catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)} (see ${path.join(resultsDir, 'fixture.log')})`);
    });
  const reported = match[1]!.trim();
  log(`mail fixture ready: ${reported}`);
  return reported;
}
