// Reading what the in-host suite (test/vscode/suite/index.ts) writes: the live spec-reporter log
// (MAILROOM_TEST_LOG) and the final JSON summary (MAILROOM_TEST_REPORT).
import * as fs from 'node:fs';

export interface SuiteReport {
  passed: number;
  failed: number;
  pending: number;
  failures?: Array<{ title: string; error: string }>;
  text?: string;
}

export interface Tail {
  /** Prints whatever is left and stops polling. */
  stop(): void;
}

/** Copies text appended to file onto out, polling every 200 ms (the file may not exist yet). */
export function tailFile(file: string, out: NodeJS.WritableStream): Tail {
  let offset = 0;
  const pump = () => {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      return;
    }
    if (size <= offset) {
      return;
    }
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      const read = fs.readSync(fd, buffer, 0, buffer.length, offset);
      offset += read;
      out.write(buffer.subarray(0, read));
    } finally {
      fs.closeSync(fd);
    }
  };
  const timer = setInterval(pump, 200);
  let stopped = false;
  return {
    stop: () => {
      if (!stopped) {
        stopped = true;
        clearInterval(timer);
        pump();
      }
    },
  };
}

export function readReport(file: string): SuiteReport | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SuiteReport>;
    if (typeof parsed.passed !== 'number' || typeof parsed.failed !== 'number') {
      return undefined;
    }
    return { pending: 0, ...parsed } as SuiteReport;
  } catch {
    return undefined;
  }
}

export function summaryLine(report: SuiteReport): string {
  return `vscode: ${report.passed} passed, ${report.failed} failed, ${report.pending} pending`;
}

/**
 * The runner's exit code: the suite's own code, but never 0 when the report is missing or
 * counts failures or no tests at all (a suite that never ran must not look like a success).
 */
export function finalExitCode(suiteCode: number, report: SuiteReport | undefined): number {
  if (suiteCode !== 0) {
    return suiteCode;
  }
  if (!report || report.failed > 0 || report.passed + report.pending === 0) {
    return 1;
  }
  return 0;
}

export function removeIfPresent(...files: string[]): void {
  for (const file of files) {
    fs.rmSync(file, { force: true });
  }
}
