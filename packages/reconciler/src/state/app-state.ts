import type { Clock, ContainerStatus, HealthStatus } from "@archy/runtime-podman";
import { BackoffLimiter } from "./backoff.js";
import { ExitMarks } from "./marks.js";
import { settledPhase } from "./settle.js";
import { statusOf } from "./status.js";
import type { EventBus } from "./event-bus.js";
import type { AppManifest } from "../manifest/index.js";
import { LABEL_APP, redactText } from "../manifest/spec.js";
import {
  isTransitional,
  type AppHistory,
  type AppStatus,
  type Desired,
  type Logger,
  type ObservedApp,
  type Phase,
  type PlanSkip,
  type StopReason,
} from "../types.js";

/** What AppStates keeps of one app. */
export interface AppState {
  phase: Phase;
  since: number;
  stopReason: StopReason | null;
  lastError: string | null;
  /** The error's `code` when it has one (EPODMANUNAVAILABLE, ...). */
  lastErrorCode: string | null;
  restarts: number;
  health: HealthStatus;
  /** archy's container of the app as last seen; null when there is none (or the name is taken). */
  container: ContainerStatus | null;
  opsInFlight: number;
  /** Bumped by whatever outside a pass records, begins or ends work on the app (see version). */
  version: number;
  /** The last phase that was not transitional: what a failed operation reverts to. */
  settled: { phase: Phase; stopReason: StopReason | null };
}

/** The container if archy made it for this app, else null. */
export const ownContainer = (app: AppManifest, c: ContainerStatus | null) =>
  c && c.labels[LABEL_APP] === app.id ? c : null;

/** What a transitional phase is set by (see execute.ts's `Actor`): an operation's own phases win. */
export type PhaseActor = "pass" | "owner";

/**
 * Every app's phase, health, back-off and history: the only code that
 * changes them, publishing an event with each change. Phases follow from
 * the decisions of the planner (`settle`) and the steps of the executor and
 * of operations (`begin`/`end`, `progress`, `started`, `stopped`).
 */
export class AppStates {
  private readonly states = new Map<string, AppState>();
  private readonly marks: ExitMarks;
  /** The per-app back-off (see BackoffLimiter). */
  readonly backoff: BackoffLimiter;

  constructor(
    private readonly clock: Clock,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {
    this.backoff = new BackoffLimiter(clock);
    this.marks = new ExitMarks(clock);
  }

  iso(ms = this.clock.now()): string {
    return new Date(ms).toISOString();
  }

  get(id: string): Readonly<AppState> {
    return this.state(id);
  }

  /** What the planner knows of the app's past: failures, back-off, podman's busy marks. */
  history(id: string): AppHistory {
    const m = this.marks.get(id);
    return {
      failures: this.backoff.requeues(id),
      nextRetryAt: this.backoff.retryAt(id),
      healthySince: this.backoff.healthySince(id),
      countedExit: m.countedExit,
      podmanBusy: m.podmanBusy,
    };
  }

  /** Whether a lifecycle operation is running for the app (passes leave it alone). */
  busy(id: string): boolean {
    return this.state(id).opsInFlight > 0;
  }

  backingOff(id: string): boolean {
    return this.backoff.waiting(id);
  }

  // ---- phase, health, container -------------------------------------------------

  private setPhase(
    id: string,
    phase: Phase,
    stopReason: StopReason | null,
    error?: string,
    errorCode?: string,
  ): void {
    const s = this.state(id);
    if (error !== undefined) this.setError(id, error, errorCode);
    if (s.phase === phase && s.stopReason === stopReason) return;
    const previous = s.phase;
    s.phase = phase;
    s.stopReason = stopReason;
    s.since = this.clock.now();
    if (!isTransitional(phase)) s.settled = { phase, stopReason };
    this.log.info(
      { app: id, phase, previous, stopReason, ...(error ? { error } : {}) },
      `${id}: ${previous} -> ${phase}`,
    );
    this.bus.publish({
      type: "phase",
      app: id,
      phase,
      previous,
      stopReason,
      ...(error ? { error } : {}),
      ...(error && errorCode ? { errorCode } : {}),
      at: this.iso(),
    });
  }

  /** The kernel killed the app's container for memory: the `oom` event, once per exit. */
  oomKilled(id: string): void {
    this.log.warn({ app: id }, `${id}: killed for memory (OOM)`);
    this.bus.publish({ type: "oom", app: id, at: this.iso() });
  }

  setHealth(id: string, health: HealthStatus): void {
    const s = this.state(id);
    if (s.health === health) return;
    const previous = s.health;
    s.health = health;
    this.bus.publish({ type: "health", app: id, health, previous, at: this.iso() });
  }

  setContainer(id: string, container: ContainerStatus | null): void {
    this.state(id).container = container;
  }

  setError(id: string, error: string | null, code?: string): void {
    const s = this.state(id);
    s.lastError = error;
    s.lastErrorCode = error === null ? null : (code ?? null);
  }

  /** archy starts the app's existing container again. */
  countRestart(id: string): void {
    this.state(id).restarts++;
    this.marks.restarted(id);
  }

  // ---- operations and the executor's steps ------------------------------------------

  /**
   * An operation begins: the transitional phase is published; `end` closes
   * it, reverting to the last phase that was not transitional on failure.
   */
  begin(id: string, transitional: Phase): void {
    const s = this.state(id);
    s.opsInFlight++;
    s.version++;
    this.setPhase(id, transitional, null);
  }

  /** An operation ends; a failure reverts the phase, with the error (and its code) recorded. */
  end(id: string, failure?: { error: string; code?: string }): void {
    const s = this.state(id);
    if (failure) {
      const { phase, stopReason } = s.settled;
      this.setPhase(id, phase, stopReason, failure.error, failure.code);
    }
    s.opsInFlight--;
    s.version++; // what a pass observed while it ran is older than its outcome
  }

  /**
   * The app's version: it changes whenever an operation begins or ends, or
   * work outside a pass (a `died` event, a back-off's retry) records what it
   * saw or begins or ends acting (`touch`). A pass compares it with the one
   * it took before observing: a different one means its view of the app is
   * older than what AppStates holds, and it neither records, settles nor acts.
   */
  version(id: string): number {
    return this.state(id).version;
  }

  /**
   * Something newer than a pass's observation was recorded or begun outside
   * a pass (a `died` event, a back-off's retry), or such work ended: a pass
   * that observed before it must neither record, settle nor act on the app.
   */
  touch(id: string): void {
    this.state(id).version++;
  }

  /**
   * A step of an action (stopping, starting, restarting, installing). A pass
   * never replaces the transitional phase of an operation that began
   * meanwhile; the operation sets its own.
   */
  progress(id: string, phase: Phase, by: PhaseActor): void {
    if (by === "pass" && this.busy(id)) return;
    this.setPhase(id, phase, null);
  }

  /** A stop action ended: the container as it is now, stopped by the owner. */
  stopped(id: string, container: ContainerStatus | null, by: PhaseActor): void {
    this.setContainer(id, container);
    this.setHealth(id, null);
    if (by === "pass" && this.busy(id)) return;
    this.setPhase(id, "stopped", "user");
  }

  /** A stop action failed. */
  stopFailed(app: AppManifest, error: string): string {
    const text = redactText(error, app.container.env);
    if (this.busy(app.id)) this.setError(app.id, text);
    else this.setPhase(app.id, "failed", "user", text);
    return text;
  }

  /** A start succeeded (running, healthy when checked). */
  started(app: AppManifest, by: PhaseActor): void {
    this.backoff.started(app.id);
    this.setError(app.id, null);
    if (!app.container.healthcheck) this.setHealth(app.id, null);
    this.progress(app.id, "running", by);
  }

  /** The app was removed with its manifest. */
  removed(id: string): void {
    this.setContainer(id, null);
    this.setPhase(id, "stopped", "removed");
  }

  /** A health check changed the app's health (the monitor's periodic checks). */
  healthChanged(id: string, health: HealthStatus, previous: HealthStatus): void {
    this.setHealth(id, health);
    const s = this.state(id);
    if (isTransitional(s.phase) || s.container?.state !== "running") return;
    if (health === "unhealthy") this.setPhase(id, "unhealthy", "health");
    else if (previous === "unhealthy" && health === "healthy") this.setPhase(id, "running", null);
  }

  // ---- back-off ---------------------------------------------------------------------

  /** Records a failed start, crash or unhealthy restart; returns the error as shown (secrets redacted). */
  failed(app: AppManifest, stopReason: StopReason, error: string, code?: string): string {
    const text = redactText(error, app.container.env);
    const delay = this.countFailure(app);
    this.log.warn(
      { app: app.id, failures: this.backoff.requeues(app.id), retryInMs: delay, error: text },
      `${app.id} failed`,
    );
    if (this.busy(app.id)) this.setError(app.id, text, code);
    else
      this.setPhase(
        app.id,
        delay > 0 ? "backoff" : "failed",
        delay > 0 ? "backoff" : stopReason,
        text,
        code,
      );
    return text;
  }

  /** One more consecutive failure (see BackoffLimiter.when). Returns the delay. */
  countFailure(app: AppManifest): number {
    return this.backoff.when(app.id, app.restart.backoff);
  }

  /** An owner's start or restart is a fresh start: no back-off. */
  clearBackoff(id: string): void {
    this.backoff.forget(id);
  }

  /** The exit the current container shows was seen by a failed start: the next pass must not count it again. */
  exitSeen(id: string): void {
    const c = this.state(id).container;
    if (c?.state === "exited") this.marks.seen(id, c);
  }

  /**
   * What a pass (or a `died` event) observed, before it decides: an
   * unexpected exit counts once as a failure; running healthy for `reset`
   * clears the back-off; the container and (outside operations) the health
   * are recorded.
   */
  observed(app: AppManifest, obs: ObservedApp, desired: Desired): void {
    const c = ownContainer(app, obs.container);
    const unexpected = c?.state === "exited" && desired === "running" && !this.busy(app.id);
    if (unexpected && this.marks.countOnce(app.id, c)) {
      this.countFailure(app);
      this.setError(app.id, `${c.name} exited with code ${c.exitCode ?? "?"}`);
    }
    this.marks.busy(app, c);
    const healthyNow =
      c?.state === "running" && obs.health !== "unhealthy" && obs.health !== "starting";
    this.backoff.healthy(app.id, healthyNow, app.restart.backoff.resetMs);
    this.seen(app, obs);
  }

  /** Records the container observed and (outside operations) its health. */
  seen(app: AppManifest, obs: ObservedApp): void {
    this.state(app.id).container = ownContainer(app, obs.container);
    if (!this.busy(app.id)) this.setHealth(app.id, obs.health);
  }

  /** A dependency became healthy: dependents waiting out a back-off may go at once. Returns whether any did. */
  releaseDependents(apps: AppManifest[], id: string): boolean {
    let released = false;
    for (const app of apps)
      if (app.dependsOn.includes(id) && this.backoff.release(app.id)) released = true;
    return released;
  }

  /**
   * When a pass is due: a container podman marked stopping or removing
   * counts as stuck, and (while back-offs are not retried on their own
   * timers) the earliest end of a back-off. Null when nothing waits.
   */
  nextWakeAt(): number | null {
    const times = [
      this.marks.nextStuckAt(),
      this.backoff.armed ? null : this.backoff.nextRetryAt(),
    ];
    const due = times.filter((t): t is number => t !== null);
    return due.length > 0 ? Math.min(...due) : null;
  }

  /**
   * Sets the phase a decision without an action implies (converged, or the
   * planner's skip), from what was observed (see settledPhase): not while an
   * operation runs, unless it is that operation's.
   */
  settle(
    app: AppManifest,
    obs: ObservedApp,
    desired: Desired,
    skip: PlanSkip | null,
    by: PhaseActor = "pass",
  ): void {
    const s = this.state(app.id);
    if (by === "pass" && (s.opsInFlight > 0 || isTransitional(s.phase))) return;
    const next = settledPhase({
      container: ownContainer(app, obs.container),
      health: obs.health,
      desired,
      skip,
      by,
      current: s,
      backingOff: this.backingOff(app.id),
    });
    if (next.clearHealth) this.setHealth(app.id, null);
    if (next.clearError) this.setError(app.id, null);
    this.setPhase(app.id, next.phase, next.stopReason, next.error);
  }

  /** The app as `archy ps` shows it. */
  status(app: AppManifest, desired: Desired): AppStatus {
    return statusOf(app, this.state(app.id), desired, this.backoff.retryAt(app.id), (ms) =>
      this.iso(ms),
    );
  }

  private state(id: string): AppState {
    let s = this.states.get(id);
    if (!s) {
      s = {
        phase: "missing",
        since: this.clock.now(),
        stopReason: null,
        lastError: null,
        lastErrorCode: null,
        restarts: 0,
        health: null,
        container: null,
        opsInFlight: 0,
        version: 0,
        settled: { phase: "missing", stopReason: null },
      };
      this.states.set(id, s);
    }
    return s;
  }
}
