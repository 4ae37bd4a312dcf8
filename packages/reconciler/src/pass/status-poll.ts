import type { Clock, ContainerRuntime, ContainerStatus, TimerHandle } from "@archy/runtime-podman";

interface Waiter {
  name: string;
  /** Not answered from an observation taken before this time. */
  at: number;
  resolve: (status: ContainerStatus | null) => void;
  reject: (error: unknown) => void;
  /** Polls that failed for it so far. */
  failures: number;
}

export interface StatusPollOptions {
  /** Askers due within this long of the earliest share its `ps`; default 50 ms. */
  batchMs?: number;
  /** Whether other podman work is in flight (a `ps` would contend with it for the store's lock). */
  busy?: () => boolean;
  /**
   * The longest a due poll waits for podman work (a long build or pull, a
   * stream of `run`s) to end; default 5 s. While `run`s follow each other, a
   * poll every second took the store's lock from them for nothing: only the
   * last start's answer ends a cold `up`, and it comes once the runs are done.
   */
  maxDeferMs?: number;
  /**
   * A failed `ps` says nothing of the containers: the askers it was for are
   * asked for again after `retryMs` (default 250 ms), and rejected only when
   * this many polls in a row failed for them (default 3: a start is not
   * failed by podman's hiccup).
   */
  maxFailures?: number;
  retryMs?: number;
  /** Every list a poll took: the freshest view of every container, for whoever keeps one. */
  onList?: (containers: ContainerStatus[]) => void;
}

/**
 * Container statuses for everything that waits to settle or turn healthy, all
 * together: whoever asks joins the next shared `podman ps`, taken once the
 * earliest asker's time has come (plus `batchMs`, so askers due about then
 * share it) and no other podman work is in flight (`busy`: a `ps` would only
 * contend with it for the store's lock; the askers are answered right after,
 * together). Waiting holds no concurrency slot and costs no process per app.
 */
export class StatusPoll {
  private waiting: Waiter[] = [];
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  /** Since when a due poll has waited for podman work to end. */
  private deferredSince: number | null = null;

  private readonly batchMs: number;
  private readonly busy: () => boolean;
  private readonly maxDeferMs: number;
  private readonly maxFailures: number;
  private readonly retryMs: number;
  private readonly onList: (containers: ContainerStatus[]) => void;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly clock: Clock,
    opts: StatusPollOptions = {},
  ) {
    this.batchMs = opts.batchMs ?? 50;
    this.busy = opts.busy ?? (() => false);
    this.maxDeferMs = opts.maxDeferMs ?? 5_000;
    this.maxFailures = opts.maxFailures ?? 3;
    this.retryMs = opts.retryMs ?? 250;
    this.onList = opts.onList ?? (() => undefined);
  }

  /** The container's status from an observation taken `delayMs` from now or later; null when it is gone. */
  status(name: string, delayMs: number): Promise<ContainerStatus | null> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ name, at: this.clock.now() + delayMs, resolve, reject, failures: 0 });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.waiting.length === 0) return;
    const at = Math.min(...this.waiting.map((w) => w.at)) + this.batchMs;
    if (this.timer !== null) {
      if (this.timerAt <= at) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        void this.poll();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private async poll(): Promise<void> {
    const waited = this.clock.now() - (this.deferredSince ??= this.clock.now());
    if (this.busy() && waited < this.maxDeferMs) {
      this.timerAt = this.clock.now() + this.batchMs;
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        this.timerAt = Infinity;
        void this.poll();
      }, this.batchMs);
      return;
    }
    this.deferredSince = null;
    const now = this.clock.now();
    const due = this.waiting.filter((w) => w.at <= now);
    this.waiting = this.waiting.filter((w) => w.at > now);
    if (due.length === 0) return this.schedule();
    try {
      const list = await this.runtime.listContainers();
      this.onList(list);
      const byName = new Map(list.map((c) => [c.name, c]));
      for (const w of due) w.resolve(byName.get(w.name) ?? null);
    } catch (error) {
      for (const w of due) {
        if (++w.failures >= this.maxFailures) w.reject(error);
        else this.waiting.push({ ...w, at: this.clock.now() + this.retryMs });
      }
    }
    this.schedule();
  }
}
