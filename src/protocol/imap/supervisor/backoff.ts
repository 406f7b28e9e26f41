/**
 * Exponential backoff with jitter for reconnect attempts. The n-th delay (n from 0) is drawn from
 * [base/2, base] where base = min(maxMs, initialMs * factor^n): "equal jitter", so windows that lost
 * the same server at the same moment do not all come back in the same millisecond, yet no delay
 * collapses to zero and hammers a server that is restarting.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** Uniform in [0, 1); injectable so tests get exact delays. */
  random?: () => number;
}

/** Defaults for a desktop mail client: first retry within a second, then at most every 5 minutes. */
export const DEFAULT_BACKOFF: Required<Omit<BackoffOptions, 'random'>> = { initialMs: 1000, maxMs: 5 * 60 * 1000, factor: 2 };

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions) {
    this.initialMs = Math.max(1, options.initialMs);
    this.maxMs = Math.max(this.initialMs, options.maxMs);
    this.factor = Math.max(1, options.factor ?? DEFAULT_BACKOFF.factor);
    this.random = options.random ?? Math.random;
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    // Exponent capped: factor^n overflows to Infinity long before it matters, and maxMs caps it anyway.
    const base = Math.min(this.maxMs, this.initialMs * Math.pow(this.factor, Math.min(this.attempt, 64)));
    this.attempt++;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(base / 2 + (base / 2) * r);
  }

  /** After a successful connection: the next failure starts from initialMs again. */
  reset(): void {
    this.attempt = 0;
  }
}
