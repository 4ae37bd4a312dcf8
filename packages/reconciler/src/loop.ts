import {
  sleep,
  systemClock,
  type Clock,
  type ContainerEvent,
  type TimerHandle,
} from "@archy/runtime-podman";
import { CONTAINER_PREFIX, LABEL_APP } from "./spec.js";
import { silentLogger, type Logger, type ReconcileReport, type ReconcilerEvent } from "./types.js";

/** What the loop needs of a reconciler (a Reconciler is one). */
export interface LoopTarget {
  subscribe(listener: (e: ReconcilerEvent) => void): () => void;
  reconcileAll(): Promise<ReconcileReport>;
  /** The earliest time a backed-off app may be retried; null when none waits. */
  nextWakeAt(): number | null;
  startHealthMonitor(signal?: AbortSignal): void;
  stopHealthMonitor(): void;
  /** Acts on an app container's death at once; resolves true when no pass is needed for it. */
  onDied?(event: ContainerEvent): Promise<boolean>;
}

export interface ReconcileLoopOptions {
  reconciler: LoopTarget;
  /** Time: now and timers; default the system clock (the reconciler's should be the same). */
  clock?: Clock;
  /** The safety-net pass period; default 30 s. */
  intervalMs?: number;
  /** Opens the container event stream; called again after the stream breaks. */
  events?: (signal: AbortSignal) => AsyncIterable<ContainerEvent>;
  signal: AbortSignal;
  logger?: Logger;
  /** Delay before reopening a broken event stream; default 1 s. */
  reconnectDelayMs?: number;
  /** Runs declared health checks while the loop runs; default true. */
  healthChecks?: boolean;
  onPass?: (report: ReconcileReport) => void;
  /** Every container event, after the loop looked at it (the daemon uses it for snapshots). */
  onEvent?: (event: ContainerEvent) => void;
}

/**
 * Container events that mean an app may need attention. `kill` and `oom` are
 * not among them: the `died` that follows a deadly one covers them.
 */
const ATTENTION = new Set(["died", "remove", "pause"]);

/**
 * Runs passes: one at once, then one per interval; a trigger (a container
 * event of an app, an API call, a back-off running out, a dependency coming
 * back) during a pass schedules exactly one follow-up pass. Passes never
 * overlap. On abort the pass in flight finishes, then `run()` resolves.
 */
export class ReconcileLoop {
  private readonly reconciler: LoopTarget;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly signal: AbortSignal;
  private readonly log: Logger;
  private pending = true;
  private wake: (() => void) | null = null;
  passes = 0;

  constructor(private readonly opts: ReconcileLoopOptions) {
    this.reconciler = opts.reconciler;
    this.clock = opts.clock ?? systemClock;
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.signal = opts.signal;
    this.log = opts.logger ?? silentLogger;
  }

  /** Asks for a pass: now if idle, right after the current one otherwise. */
  trigger(reason: string): void {
    this.log.debug({ reason }, "pass requested");
    this.pending = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    const unsubscribe = this.reconciler.subscribe((e) => {
      if (e.type === "wake") this.trigger(e.reason);
    });
    if (this.opts.healthChecks ?? true) this.reconciler.startHealthMonitor(this.signal);
    const reading = this.opts.events ? this.readEvents(this.opts.events) : Promise.resolve();
    try {
      while (!this.signal.aborted) {
        if (!this.pending) await this.sleepUntilWake();
        if (this.signal.aborted) break;
        this.pending = false;
        try {
          const report = await this.reconciler.reconcileAll();
          this.passes++;
          this.opts.onPass?.(report);
        } catch (error) {
          this.log.error(
            { err: error instanceof Error ? error.stack : String(error) },
            "a pass failed; the loop goes on",
          );
        }
      }
    } finally {
      unsubscribe();
      this.reconciler.stopHealthMonitor();
      await reading;
    }
  }

  private sleepUntilWake(): Promise<void> {
    return new Promise((resolve) => {
      const now = this.clock.now();
      const backoffWake = this.reconciler.nextWakeAt();
      const at = Math.min(now + this.intervalMs, backoffWake !== null ? backoffWake + 5 : Infinity);
      const timer: TimerHandle = this.clock.setTimeout(
        () => {
          this.pending = true;
          finish();
        },
        Math.max(0, at - now),
      );
      const finish = () => {
        this.clock.clearTimeout(timer);
        this.signal.removeEventListener("abort", finish);
        this.wake = null;
        resolve();
      };
      this.wake = finish;
      this.signal.addEventListener("abort", finish, { once: true });
    });
  }

  private async onDied(event: ContainerEvent): Promise<boolean> {
    try {
      return (await this.reconciler.onDied?.(event)) ?? false;
    } catch (error) {
      this.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "acting on a died event failed; a full pass follows",
      );
      return false;
    }
  }

  private async readEvents(
    open: (signal: AbortSignal) => AsyncIterable<ContainerEvent>,
  ): Promise<void> {
    while (!this.signal.aborted) {
      try {
        for await (const event of open(this.signal)) {
          const isApp =
            event.labels[LABEL_APP] !== undefined || event.name.startsWith(CONTAINER_PREFIX);
          const handled = isApp && event.status === "died" && (await this.onDied(event)) === true;
          if (isApp && !handled && ATTENTION.has(event.status))
            this.trigger(
              `${event.name} ${event.status}${event.exitCode !== null ? ` (${event.exitCode})` : ""}`,
            );
          this.opts.onEvent?.(event);
        }
        if (this.signal.aborted) return;
        this.log.warn({}, "the event stream ended; reopening it");
      } catch (error) {
        if (this.signal.aborted) return;
        this.log.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "the event stream broke; reopening it",
        );
      }
      await sleep(this.clock, this.opts.reconnectDelayMs ?? 1_000, this.signal);
      if (!this.signal.aborted) this.trigger("the event stream was reopened: a full pass");
    }
  }
}
