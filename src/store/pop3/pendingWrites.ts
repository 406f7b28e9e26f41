/**
 * Messages being written to disk while the download goes on, bounded by count and bytes. The
 * download waits for room, not for each write; the first failure is kept for it to throw. One
 * counter and a list of waiters: racing every pending write at each message (Promise.race over
 * them) attached a handler to each of them every time, which cost more than the writes' own code.
 */
export class PendingWrites {
  private count = 0;
  private bytes = 0;
  private waiters: Array<() => void> = [];
  private failure: { error: unknown } | undefined;

  /** Tracks `write`, which holds `bytes` in memory until it settles. */
  add(write: Promise<unknown>, bytes: number): void {
    this.count++;
    this.bytes += bytes;
    write.then(
      () => this.settle(bytes),
      (error: unknown) => {
        this.failure ??= { error };
        this.settle(bytes);
      },
    );
  }

  /** Resolves once fewer than `maxCount` writes are pending and, unless only one is, at most `maxBytes`. */
  async room(maxCount: number, maxBytes: number): Promise<void> {
    while (this.count >= maxCount || (this.bytes > maxBytes && this.count > 1)) await this.nextSettled();
  }

  /** Resolves once every write has settled (whether it failed or not). */
  async drain(): Promise<void> {
    while (this.count > 0) await this.nextSettled();
  }

  /** Throws the first write's failure, if one failed. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  get pending(): number {
    return this.count;
  }

  private nextSettled(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private settle(bytes: number): void {
    this.count--;
    this.bytes -= bytes;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
