import type { Clock, TimerHandle } from "@archy/runtime-podman";

/** An app's restart back-off as its manifest declares it. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** Running healthy this long forgets the failures before. */
  resetMs: number;
}

/**
 * The delay before the next start after `failures` consecutive failures:
 * the first failure of an app that was running is retried at once (a crash
 * is not a crash loop yet), then `initial`, doubled per failure, capped at `max`.
 */
export function backoffDelay(
  failures: number,
  backoff: { initialMs: number; maxMs: number },
): number {
  if (failures <= 1) return 0;
  return Math.min(backoff.initialMs * 2 ** (failures - 2), backoff.maxMs);
}

interface Item {
  /** Consecutive failed starts, crashes and unhealthy restarts. */
  failures: number;
  /** No start before this time (ms); null when not backing off. */
  retryAt: number | null;
  /** Since when the app has been running and healthy, continuously; null otherwise. */
  healthySince: number | null;
  timer: TimerHandle | null;
}

/**
 * The per-app back-off, beside the per-app queue (client-go's
 * `ItemExponentialFailureRateLimiter`: `when` records a failure and gives
 * the delay, `forget` ends it, `requeues` counts). While armed, an app whose
 * back-off ends is handed to `onReady` on its own timer: it is retried alone,
 * whoever set the back-off (a pass, a `died` event, a failed start), with no
 * full pass and no wait for the loop's interval.
 */
export class BackoffLimiter {
  private readonly items = new Map<string, Item>();
  private onReady: ((id: string) => void) | null = null;

  constructor(private readonly clock: Clock) {}

  /** Retries each app alone when its back-off ends, until `disarm`. */
  arm(onReady: (id: string) => void): void {
    this.onReady = onReady;
    for (const id of this.items.keys()) this.schedule(id);
  }

  disarm(): void {
    this.onReady = null;
    for (const item of this.items.values()) this.clearTimer(item);
  }

  get armed(): boolean {
    return this.onReady !== null;
  }

  /**
   * One more failure of the app: returns the delay before it may start again
   * (0: at once). Failures after a healthy run of `resetMs` start from one,
   * wherever the failure was seen (a pass, a `died` event, a start).
   */
  when(id: string, backoff: Backoff): number {
    const item = this.item(id);
    const now = this.clock.now();
    if (item.healthySince !== null && now - item.healthySince >= backoff.resetMs) item.failures = 0;
    item.failures++;
    item.healthySince = null;
    const delay = backoffDelay(item.failures, backoff);
    item.retryAt = delay > 0 ? now + delay : null;
    this.schedule(id);
    return delay;
  }

  /** The failures are over (an owner's start, a healthy run of `reset`). */
  forget(id: string): void {
    const item = this.item(id);
    item.failures = 0;
    this.release(id);
  }

  /** The app may start now, failures kept (a dependency came back); returns whether it was waiting. */
  release(id: string): boolean {
    const item = this.item(id);
    const waiting = this.waiting(id);
    item.retryAt = null;
    this.clearTimer(item);
    return waiting;
  }

  requeues(id: string): number {
    return this.items.get(id)?.failures ?? 0;
  }

  /** When the app may start again; null when it is not waiting. */
  retryAt(id: string): number | null {
    return this.waiting(id) ? this.items.get(id)!.retryAt : null;
  }

  waiting(id: string): boolean {
    const at = this.items.get(id)?.retryAt ?? null;
    return at !== null && at > this.clock.now();
  }

  /** The earliest end of a back-off; null when none waits. */
  nextRetryAt(): number | null {
    let min: number | null = null;
    for (const id of this.items.keys()) {
      const at = this.retryAt(id);
      if (at !== null && (min === null || at < min)) min = at;
    }
    return min;
  }

  /**
   * The app is seen running and healthy (or not): a healthy run of
   * `resetMs` forgets its failures. A start that succeeded is healthy from now.
   */
  healthy(id: string, isHealthy: boolean, resetMs: number): void {
    const item = this.item(id);
    if (!isHealthy) {
      item.healthySince = null;
      return;
    }
    item.healthySince ??= this.clock.now();
    if (item.failures > 0 && this.clock.now() - item.healthySince >= resetMs) this.forget(id);
  }

  /** A start succeeded: healthy from now, no wait. */
  started(id: string): void {
    const item = this.item(id);
    item.healthySince = this.clock.now();
    item.retryAt = null;
    this.clearTimer(item);
  }

  healthySince(id: string): number | null {
    return this.items.get(id)?.healthySince ?? null;
  }

  private schedule(id: string): void {
    const item = this.item(id);
    this.clearTimer(item);
    const onReady = this.onReady;
    if (onReady === null || !this.waiting(id)) return;
    item.timer = this.clock.setTimeout(() => {
      item.timer = null;
      onReady(id);
    }, item.retryAt! - this.clock.now());
  }

  private clearTimer(item: Item): void {
    if (item.timer === null) return;
    this.clock.clearTimeout(item.timer);
    item.timer = null;
  }

  private item(id: string): Item {
    let item = this.items.get(id);
    if (!item) {
      item = { failures: 0, retryAt: null, healthySince: null, timer: null };
      this.items.set(id, item);
    }
    return item;
  }
}
