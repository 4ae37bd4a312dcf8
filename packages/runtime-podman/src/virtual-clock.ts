import type { Clock, TimerHandle } from "./clock.js";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets pending promise callbacks (and the I/O they queue) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A Clock for tests: time stands still until `advance()` moves it, running
 * every timer that falls due in order, with the promise work each one causes
 * settled before the next. No real time passes.
 */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: ++this.seq, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const next = this.timers
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }

  /** Advances in `step` increments until `condition` holds; throws after `limitMs` of virtual time. */
  async until(
    condition: () => boolean,
    opts: { step?: number; limitMs?: number } = {},
  ): Promise<number> {
    const step = opts.step ?? 10;
    const limit = opts.limitMs ?? 60_000;
    const start = this.time;
    await settle();
    while (!condition()) {
      if (this.time - start >= limit)
        throw new Error(`condition not met within ${limit} ms of virtual time`);
      await this.advance(step);
    }
    return this.time - start;
  }
}
