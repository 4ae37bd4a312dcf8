import type { ContainerEvent } from "@archy/runtime-podman";
import type { Logger, ReconcileReport, Reconciler } from "./reconciler.js";
import { CONTAINER_PREFIX, LABEL_APP } from "./spec.js";

export interface ReconcileLoopOptions {
  reconciler: Reconciler;
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

/** Container events that mean an app may need attention. */
const ATTENTION = new Set(["died", "remove", "pause", "oom", "kill"]);

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs passes: one at once, then one per interval; a trigger (a container
 * event of an app, an API call, a back-off running out, a dependency coming
 * back) during a pass schedules exactly one follow-up pass. Passes never
 * overlap. On abort the pass in flight finishes, then `run()` resolves.
 */
export class ReconcileLoop {
  private readonly reconciler: Reconciler;
  private readonly intervalMs: number;
  private readonly signal: AbortSignal;
  private readonly log: Logger;
  private pending = true;
  private wake: (() => void) | null = null;
  passes = 0;

  constructor(private readonly opts: ReconcileLoopOptions) {
    this.reconciler = opts.reconciler;
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.signal = opts.signal;
    this.log = opts.logger ?? silent;
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
      const now = Date.now();
      const backoffWake = this.reconciler.nextWakeAt();
      const at = Math.min(now + this.intervalMs, backoffWake !== null ? backoffWake + 5 : Infinity);
      const timer = setTimeout(
        () => {
          this.pending = true;
          finish();
        },
        Math.max(0, at - now),
      );
      const finish = () => {
        clearTimeout(timer);
        this.signal.removeEventListener("abort", finish);
        this.wake = null;
        resolve();
      };
      this.wake = finish;
      this.signal.addEventListener("abort", finish, { once: true });
    });
  }

  private async readEvents(
    open: (signal: AbortSignal) => AsyncIterable<ContainerEvent>,
  ): Promise<void> {
    while (!this.signal.aborted) {
      try {
        for await (const event of open(this.signal)) {
          const isApp =
            event.labels[LABEL_APP] !== undefined || event.name.startsWith(CONTAINER_PREFIX);
          if (isApp && ATTENTION.has(event.status))
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
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.reconnectDelayMs ?? 1_000);
        this.signal.addEventListener(
          "abort",
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
      if (!this.signal.aborted) this.trigger("the event stream was reopened: a full pass");
    }
  }
}
