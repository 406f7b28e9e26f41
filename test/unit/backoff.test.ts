import * as assert from 'node:assert/strict';
import { Backoff } from '../../src/protocol/imap/supervisor/backoff';
import type { Clock } from '../../src/protocol/imap/supervisor/clock';
import { WakeDetector } from '../../src/protocol/imap/supervisor/wakeDetector';
import { Emitter } from '../../src/util/event';

/** A clock that only moves when the test says so. */
class ManualClock implements Clock {
  private time = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }
  /** Jumps time without firing anything first (a suspended machine), then fires what is due. */
  sleep(ms: number): void {
    const due = this.timers.filter((t) => t.at <= this.time + ms);
    this.time += ms;
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const t of due) t.fn();
  }
  get pending(): number {
    return this.timers.length;
  }
}

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs, each delay in [base/2, base]', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => low.next()), [50, 100, 200, 400, 500, 500]);
    const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => high.next()), [100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads delays by the jitter source', () => {
    const values = [0, 0.5, 1];
    let i = 0;
    const b = new Backoff({ initialMs: 1000, maxMs: 1000, random: () => values[i++] });
    assert.deepEqual([b.next(), b.next(), b.next()], [500, 750, 1000]);
  });

  it('starts over after reset and counts attempts', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 10_000, factor: 3, random: () => 1 });
    b.next();
    b.next();
    assert.equal(b.attempts, 2);
    assert.equal(b.next(), 90);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 10);
  });

  it('never overflows after very many attempts and clamps a bad random source', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => 7 });
    let last = 0;
    for (let n = 0; n < 2000; n++) last = b.next();
    assert.equal(last, 60_000);
    const neg = new Backoff({ initialMs: 1000, maxMs: 60_000, random: () => -3 });
    assert.equal(neg.next(), 500);
  });
});

describe('WakeDetector', () => {
  it('reports a wake when a 5 s timer fires much later, not for normal ticks', () => {
    const clock = new ManualClock();
    const wakes: number[] = [];
    const detector = new WakeDetector({ clock, intervalMs: 5000, toleranceMs: 20_000, onWake: (ms) => wakes.push(ms) });
    clock.advance(60_000); // twelve punctual ticks
    assert.deepEqual(wakes, []);
    clock.sleep(10 * 60_000); // suspended for ten minutes: the pending tick fires late
    assert.equal(wakes.length, 1);
    assert.ok(wakes[0] >= 10 * 60_000 - 5000, String(wakes[0]));
    clock.advance(30_000);
    assert.equal(wakes.length, 1, 'later punctual ticks are not wakes');
    detector.dispose();
    assert.equal(clock.pending, 0, 'dispose clears the timer');
  });
});

describe('Emitter', () => {
  it('delivers to listeners in order, unsubscribes, and survives a throwing listener', () => {
    const errors: unknown[] = [];
    const emitter = new Emitter<number>((e) => errors.push(e));
    const seen: string[] = [];
    const a = emitter.event((v) => seen.push(`a${v}`));
    emitter.event(() => {
      throw new Error('boom');
    });
    emitter.event((v) => seen.push(`c${v}`));
    emitter.fire(1);
    a.dispose();
    a.dispose();
    emitter.fire(2);
    assert.deepEqual(seen, ['a1', 'c1', 'c2']);
    assert.equal(errors.length, 2);
    emitter.dispose();
    emitter.fire(3);
    assert.deepEqual(seen, ['a1', 'c1', 'c2']);
    assert.equal(emitter.hasListeners, false);
  });
});
