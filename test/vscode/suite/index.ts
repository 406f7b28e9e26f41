// Mocha entry point loaded by the extension host (extensionTestsPath). Runs every
// out/test/vscode/suite/**/*.test.js with the spec reporter and, for the runner outside the host:
//   MAILROOM_TEST_LOG    - the spec-reporter text (and harness.log() lines), appended while it runs;
//   MAILROOM_TEST_REPORT - JSON {passed, failed, pending, failures, text} written when it ends.
// MAILROOM_TEST_GREP limits the run to matching test titles.
// The reporter text also goes to console.log (extension host log / debug console).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

export interface SuiteReport {
  passed: number;
  failed: number;
  pending: number;
  failures: Array<{ title: string; error: string }>;
  text: string;
}

export async function run(): Promise<void> {
  const grep = process.env.MAILROOM_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  for (const file of findTests(__dirname)) {
    mocha.addFile(file);
  }
  // A test that opened the notification list (runners/input.ts does, to find a notification) must
  // not leave it over the workbench: it takes the keys the next test presses (Escape, Enter).
  mocha.suite.afterEach(async () => {
    const vscode = await import('vscode');
    await vscode.commands.executeCommand('notifications.hideList');
  });
  const capture = captureReporterOutput();
  let report: SuiteReport;
  try {
    report = await runMocha(mocha, capture);
  } catch (err) {
    capture.line(`suite crashed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    report = { passed: 0, failed: 1, pending: 0, failures: [{ title: '(suite)', error: String(err) }], text: capture.text() };
  } finally {
    capture.restore();
  }
  writeReport(report);
  if (report.failed > 0) {
    throw new Error(`${report.failed} test(s) failed`);
  }
}

function runMocha(mocha: Mocha, capture: Capture): Promise<SuiteReport> {
  return new Promise((resolve, reject) => {
    const failures: SuiteReport['failures'] = [];
    try {
      const runner = mocha.run(() => {
        const stats = runner.stats;
        resolve({
          passed: stats?.passes ?? 0,
          failed: stats?.failures ?? failures.length,
          pending: stats?.pending ?? 0,
          failures,
          text: capture.text(),
        });
      });
      runner.on('fail', (test, err: unknown) => {
        failures.push({ title: test.fullTitle(), error: err instanceof Error ? err.stack ?? err.message : String(err) });
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Every *.test.js below dir, sorted so the order is stable. */
export function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...findTests(full));
    } else if (entry.isFile() && entry.name.endsWith('.test.js')) {
      found.push(full);
    }
  }
  return found.sort();
}

interface Capture {
  line(text: string): void;
  text(): string;
  restore(): void;
}

/**
 * While the suite runs, mocha's reporter output (Base.consoleLog) goes to console.log, a buffer (for
 * the report's text) and MAILROOM_TEST_LOG. console.* itself cannot be wrapped here: the extension
 * host makes those properties read-only, so tests that want a line in the runner's output use
 * harness.log().
 */
function captureReporterOutput(): Capture {
  const logFile = process.env.MAILROOM_TEST_LOG;
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const original = base.consoleLog;
  const chunks: string[] = [];
  const line = (text: string) => {
    chunks.push(text);
    console.log(text);
    if (logFile) {
      fs.appendFileSync(logFile, `${text}\n`);
    }
  };
  base.consoleLog = (...args: unknown[]) => line(args.length === 0 ? '' : format(...args));
  return {
    line,
    text: () => chunks.join('\n'),
    restore: () => {
      base.consoleLog = original;
    },
  };
}

function writeReport(report: SuiteReport): void {
  const file = process.env.MAILROOM_TEST_REPORT;
  if (file) {
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  }
}
