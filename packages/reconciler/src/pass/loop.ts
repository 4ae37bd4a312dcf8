import {
  sleep,
  systemClock,
  type Clock,
  type ContainerEvent,
  type TimerHandle,
} from "@archy/runtime-podman";
import { OBSERVE_FAILED } from "./pass.js";
import { CONTAINER_PREFIX, LABEL_APP } from "../manifest/spec.js";
import { silentLogger, type Logger, type ReconcileReport, type ReconcilerEvent } from "../types.js";

/** What the loop needs of a reconciler (a Reconciler is one). */
export interface LoopTarget {
  subscribe(listener: (e: ReconcilerEvent) => void): () => void;
  reconcileAll(): Promise<ReconcileReport>;
  /** The earliest time a backed-off app may be retried; null when none waits. */
  nextWakeAt(): number | null;
  /** When a podman call (any, not only a pass's) last failed because of podman itself. */
  podmanTroubleAt?(): number | null;
  startHealthMonitor(signal?: AbortSignal): void;
  stopHealthMonitor(): void;
  /**
   * Retries each app whose back-off ends alone, on its own timer, until
   * stopRetries (a Reconciler does); without it, a pass is run when a back-off ends.
   */
  startRetries?(): void;
  stopRetries?(): void;
  /** Acts on an app container's death at once; resolves true when no pass is needed for it. */
  onDied?(event: ContainerEvent): Promise<boolean>;
}

export interface ReconcileLoopOptions {
  reconciler: LoopTarget;
  /** Time: now and timers; default the system clock (the reconciler's should be the same). */
  clock?: Clock;
  /** The safety-net pass period; default 30 s. */
  intervalMs?: number;
  /**
   * Opens the container event stream, replaying what happened from `since`
   * (ms since the epoch) on; called again after the stream breaks or is
   * replaced, from the last event the one before delivered: nothing between
   * two streams is missed (an event may come twice).
   */
  events?: (signal: AbortSignal, since: number) => AsyncIterable<ContainerEvent>;
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

/** An open event stream: its own abort, when it opened, the deaths and starts it reported. */
interface OpenStream {
  ac: AbortController;
  openedAt: number;
  /** The time (podman's) of the last `died` it delivered for each container (pruned after an hour). */
  died: Map<string, number>;
  /** The same for `start`. */
  started: Map<string, number>;
  /** Why the loop closed it to open another; null while it is trusted. */
  reopen: string | null;
  /** podman's time of the last event it delivered: alive then. */
  lastEventAt: number;
}

/** A death this long before or after an observation may not have reached the stream yet. */
const EVENT_GRACE_MS = 2_000;

/** A stream is replaced for podman's failures at most this often. */
const STREAM_MIN_LIFE_MS = 1_000;

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
  private stream: OpenStream | null = null;
  /** When a pass last failed to observe podman. */
  private observeFailedAt: number | null = null;
  passes = 0;
  /** Event streams the loop closed because it stopped trusting them. */
  streamReopens = 0;

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
    const retriesAlone = this.reconciler.startRetries !== undefined;
    this.reconciler.startRetries?.();
    const reading = this.opts.events ? this.readEvents(this.opts.events) : Promise.resolve();
    try {
      while (!this.signal.aborted) {
        if (!this.pending) await this.sleepUntilWake();
        if (this.signal.aborted) break;
        this.pending = false;
        try {
          const report = await this.reconciler.reconcileAll();
          this.passes++;
          this.checkStream(report);
          // A back-off that ran out while the pass worked wakes no timer: the next pass is due now
          // (back-offs retried alone have timers of their own).
          if (
            !retriesAlone &&
            report.skipped.some((s) => s.stopReason === "backoff") &&
            this.reconciler.nextWakeAt() === null
          )
            this.pending = true;
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
      this.reconciler.stopRetries?.();
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

  /**
   * Whether the open event stream can still be trusted after a pass; when it
   * cannot, it is closed and readEvents opens another. A stream that is
   * open but silent looks like a quiet host, so two signs are used:
   * - the pass found an app container that died, or one that started (archy
   *   starts them: a stream that stalls is found at the next start), after
   *   the stream opened (with a margin), and the stream never delivered it;
   * - podman failed (a pass's observation, or any call in trouble: a
   *   timeout, unreadable output, a read that failed) while the stream was
   *   open, or less than two intervals before it opened, and the stream has
   *   delivered nothing that happened after that failure: a podman that fails
   *   may have started it broken, and archy calls podman too seldom to see
   *   every failure. Such a stream is replaced at the next pass that
   *   observes (once it has lived a second), until one opens two intervals
   *   after the last failure or proves alive. Each new stream replays from
   *   the end of the last one, so a replacement loses nothing.
   */
  private checkStream(report: ReconcileReport): void {
    const now = this.clock.now();
    if (!report.observed) {
      if (report.error?.startsWith(OBSERVE_FAILED)) this.observeFailedAt = now;
      return;
    }
    const s = this.stream;
    if (!s || s.reopen !== null) return;
    for (const seen of [s.died, s.started])
      for (const [id, at] of seen) if (now - at > 3_600_000) seen.delete(id);
    const missedIn = (
      changes: { id: string; name: string; at: string }[] | undefined,
      seen: Map<string, number>,
    ) =>
      (changes ?? []).find((e) => {
        const at = Date.parse(e.at);
        // The event is stamped after the change podman records (a second's rounding aside).
        const reported = (seen.get(e.id) ?? -Infinity) >= at - 1_000;
        return at > s.openedAt + EVENT_GRACE_MS && at < now - EVENT_GRACE_MS && !reported;
      });
    const death = missedIn(report.exits, s.died);
    const start = death ? undefined : missedIn(report.starts, s.started);
    const failed = Math.max(
      this.observeFailedAt ?? -Infinity,
      this.reconciler.podmanTroubleAt?.() ?? -Infinity,
    );
    if (death) s.reopen = `it never reported the death of ${death.name}`;
    else if (start) s.reopen = `it never reported the start of ${start.name}`;
    else if (s.lastEventAt <= failed && failed > s.openedAt - 2 * this.intervalMs) {
      if (now - s.openedAt < STREAM_MIN_LIFE_MS) return;
      s.reopen = "podman failed while it was open";
    } else return;
    this.streamReopens++;
    s.ac.abort();
  }

  private async readEvents(
    open: (signal: AbortSignal, since: number) => AsyncIterable<ContainerEvent>,
  ): Promise<void> {
    let since = this.clock.now();
    while (!this.signal.aborted) {
      const s: OpenStream = {
        ac: new AbortController(),
        openedAt: this.clock.now(),
        died: new Map(),
        started: new Map(),
        reopen: null,
        lastEventAt: -Infinity,
      };
      const stop = () => s.ac.abort();
      this.signal.addEventListener("abort", stop, { once: true });
      this.stream = s;
      try {
        for await (const event of open(s.ac.signal, since)) {
          const at = Date.parse(event.time) || this.clock.now();
          s.lastEventAt = Math.max(s.lastEventAt, at);
          // The next stream replays from the last event this one delivered (a stalled one: from its own start).
          since = Math.max(since, at);
          const seen =
            event.status === "died" ? s.died : event.status === "start" ? s.started : null;
          seen?.set(event.id, at);
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
        if (s.reopen === null) this.log.warn({}, "the event stream ended; reopening it");
      } catch (error) {
        if (this.signal.aborted) return;
        if (s.reopen === null)
          this.log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            "the event stream broke; reopening it",
          );
      } finally {
        this.signal.removeEventListener("abort", stop);
        this.stream = null;
      }
      if (s.reopen !== null) {
        // The pass that found it out has looked at podman already: a new stream, no pass.
        this.log.warn({ reason: s.reopen }, `the event stream is reopened: ${s.reopen}`);
        continue;
      }
      await sleep(this.clock, this.opts.reconnectDelayMs ?? 1_000, this.signal);
      if (!this.signal.aborted) this.trigger("the event stream was reopened: a full pass");
    }
  }
}
