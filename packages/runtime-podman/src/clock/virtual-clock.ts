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

  /**
   * Advances in `step` increments until `condition` holds; throws after
   * `limitMs` of virtual time. Time moves only while a timer is pending:
   * while the code under test waits for real I/O alone (a file, a child
   * process), it is given real moments instead, up to `idleLimitMs`.
   */
  async until(
    condition: () => boolean,
    opts: { step?: number; limitMs?: number; idleLimitMs?: number } = {},
  ): Promise<number> {
    const step = opts.step ?? 10;
    const limit = opts.limitMs ?? 60_000;
    const idleLimit = opts.idleLimitMs ?? 5_000;
    const start = this.time;
    let idleSince = Date.now();
    for (;;) {
      await settle();
      if (condition()) return this.time - start;
      if (this.time - start >= limit)
        throw new Error(`condition not met within ${limit} ms of virtual time`);
      if (this.timers.length > 0) {
        await this.advance(step);
        idleSince = Date.now();
      } else if (Date.now() - idleSince > idleLimit)
        throw new Error("condition not met, and nothing is pending on the virtual clock");
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}
