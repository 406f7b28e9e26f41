/** What every benchmark suite gets: one JSON line per measurement, against a same-run baseline. */
export interface BenchContext {
  /** Repository root. */
  root: string;
  /** A temp dir removed after the run. */
  tmp: string;
  /** Prints `{name, value, unit, baseline, ratio}`; `extra` fields (e.g. bytes) are added as-is. */
  emit(name: string, value: number, unit: string, baseline: number, extra?: Record<string, number | string>): void;
  /** Marks the run failed (exit 1) with a reason on stderr, e.g. a ratio over its target. */
  fail(reason: string): void;
}

/** A benchmark suite: `bench/suites/<name>.ts` exporting `run`. */
export type BenchSuite = (ctx: BenchContext) => Promise<void>;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function benchContext(root: string, tmp: string): BenchContext {
  return {
    root,
    tmp,
    emit(name, value, unit, baseline, extra) {
      const line = { name, value: round(value), unit, baseline: round(baseline), ratio: round(value / baseline), ...extra };
      process.stdout.write(JSON.stringify(line) + '\n');
    },
    fail(reason) {
      process.stderr.write(`bench: ${reason}\n`);
      process.exitCode = 1;
    },
  };
}
