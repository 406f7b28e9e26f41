/**
 * A small ReDoS check for tests: runs a parser on hostile inputs of growing size and fails as
 * soon as one size takes longer than a budget that linear code meets many times over. Sizes grow
 * by 4x, so a quadratic pattern fails at a modest size within about a second instead of running
 * for minutes (one measured here took 22 s at 200,000 characters).
 */
import * as assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';

export interface LinearTimeOptions {
  /** Input sizes in characters, smallest first (default 2,500 to 160,000). */
  sizes?: number[];
  /** Allowed milliseconds per 1,000 characters, on top of a fixed 25 ms for scheduling noise. */
  msPerThousandChars?: number;
}

export interface Timing {
  size: number;
  ms: number;
}

/**
 * `make(size)` builds the hostile input of about `size` characters; `run` parses it the way the
 * product does (it may return a promise). Returns the timings (for the report); throws with the size and time that failed.
 */
export async function assertLinearTime(label: string, make: (size: number) => string, run: (input: string) => unknown, options: LinearTimeOptions = {}): Promise<Timing[]> {
  const sizes = options.sizes ?? [2_500, 10_000, 40_000, 160_000];
  const perThousand = options.msPerThousandChars ?? 1.5;
  const timings: Timing[] = [];
  for (const size of sizes) {
    const input = make(size);
    const budget = 25 + (perThousand * input.length) / 1000;
    let ms = await measure(run, input);
    // Two retries, so a scheduler hiccup on a busy machine does not fail linear code.
    for (let retry = 0; retry < 2 && ms > budget; retry++) ms = Math.min(ms, await measure(run, input));
    timings.push({ size: input.length, ms });
    assert.ok(ms <= budget, `${label}: ${input.length} characters took ${ms.toFixed(0)} ms (budget ${budget.toFixed(0)} ms), so the time grows faster than the input`);
  }
  return timings;
}

async function measure(run: (input: string) => unknown, input: string): Promise<number> {
  const started = performance.now();
  await run(input);
  return performance.now() - started;
}
