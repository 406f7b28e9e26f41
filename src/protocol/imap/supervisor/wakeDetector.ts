import type { IDisposable } from '../../../util/dispose';
import type { Clock } from './clock';

export interface WakeDetectorOptions {
  clock: Clock;
  /** How often the timer is set; default 5 s. */
  intervalMs?: number;
  /** A tick later than interval + tolerance means the process (or machine) was suspended; default 20 s. */
  toleranceMs?: number;
  onWake(sleptMs: number): void;
}

/**
 * Notices that the machine slept (or the process was frozen) by timer drift: a timer set for 5 s
 * that fires much later. Sockets that were open before sleep are usually dead without knowing it,
 * so the supervisor probes them and resyncs.
 */
export class WakeDetector implements IDisposable {
  private handle: unknown;
  private last: number;
  private disposed = false;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;

  constructor(private readonly options: WakeDetectorOptions) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.toleranceMs = options.toleranceMs ?? 20_000;
    this.last = options.clock.now();
    this.schedule();
  }

  private schedule(): void {
    this.handle = this.options.clock.setTimeout(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    if (this.disposed) return;
    const now = this.options.clock.now();
    const elapsed = now - this.last;
    this.last = now;
    this.schedule();
    if (elapsed > this.intervalMs + this.toleranceMs) this.options.onWake(elapsed - this.intervalMs);
  }

  dispose(): void {
    this.disposed = true;
    this.options.clock.clearTimeout(this.handle);
  }
}
