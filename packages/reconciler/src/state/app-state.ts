import type { Clock, ContainerStatus, HealthStatus } from "@archy/runtime-podman";
import { backoffDelay } from "./backoff.js";
import type { EventBus } from "./event-bus.js";
import type { AppManifest } from "../manifest/index.js";
import { STUCK_GRACE_MS } from "../pass/planner.js";
import { LABEL_APP, redactText } from "../manifest/spec.js";
import {
  isTransitional,
  type AppHistory,
  type AppStatus,
  type Desired,
  type Logger,
  type ObservedApp,
  type Phase,
  type StopReason,
} from "../types.js";

interface AppState {
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
  /** Operations begun so far: a pass that planned before the last one began must not act on its plan. */
  opsBegun: number;
  /** The last phase that was not transitional: what a failed operation reverts to. */
  settled: { phase: Phase; stopReason: StopReason | null };
}

/** Identifies one exit of one container: each run (start) ends at most once. */
const exitKey = (c: ContainerStatus) => `${c.id}:${c.startedAt ?? ""}`;

/**
 * The keys an exit seen through `podman inspect` (start time in nanoseconds)
 * also has when `podman ps` (whole seconds) shows it: both count once.
 */
const exitKeys = (c: ContainerStatus) => {
  const s = c.startedAt === null ? NaN : Date.parse(c.startedAt);
  const second = Number.isNaN(s) ? null : new Date(Math.floor(s / 1000) * 1000).toISOString();
  return [exitKey(c), ...(second === null ? [] : [`${c.id}:${second}`])].join("\n");
};

/** The container if archy made it for this app, else null. */
export const ownContainer = (app: AppManifest, c: ContainerStatus | null) =>
  c && c.labels[LABEL_APP] === app.id ? c : null;

/**
 * Every app's phase, health, back-off and history: the only code that
 * changes them, publishing an event with each change.
 */
export class AppStates {
  private readonly states = new Map<string, AppState>();
  private readonly histories = new Map<string, AppHistory>();

  constructor(
    private readonly clock: Clock,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  iso(ms = this.clock.now()): string {
    return new Date(ms).toISOString();
  }

  get(id: string): Readonly<AppState> {
    return this.state(id);
  }

  history(id: string): AppHistory {
    let h = this.histories.get(id);
    if (!h) {
      h = { failures: 0, nextRetryAt: null, healthySince: null };
      this.histories.set(id, h);
    }
    return h;
  }

  /** Whether a lifecycle operation is running for the app (passes leave it alone). */
  busy(id: string): boolean {
    return this.state(id).opsInFlight > 0;
  }

  backingOff(id: string): boolean {
    const at = this.history(id).nextRetryAt;
    return at !== null && at > this.clock.now();
  }

  // ---- phase, health, container -------------------------------------------------

  setPhase(
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

  countRestart(id: string): void {
    this.state(id).restarts++;
  }

  /**
   * An operation begins: the transitional phase is published; returns what a
   * failure reverts to (the last phase that was not transitional).
   */
  begin(id: string, transitional: Phase): { phase: Phase; stopReason: StopReason | null } {
    const s = this.state(id);
    const previous = { ...s.settled };
    s.opsInFlight++;
    s.opsBegun++;
    this.setPhase(id, transitional, null);
    return previous;
  }

  /** How many operations (and starts outside a pass) have begun for the app. */
  opsBegun(id: string): number {
    return this.state(id).opsBegun;
  }

  /** A start outside a pass (on a died event) begins: a pass that planned before it must not act. */
  overtake(id: string): void {
    this.state(id).opsBegun++;
  }

  end(id: string): void {
    this.state(id).opsInFlight--;
  }

  // ---- back-off ---------------------------------------------------------------------

  /** Records a failed start, crash or unhealthy restart; returns the error as shown (secrets redacted). */
  failed(app: AppManifest, stopReason: StopReason, error: string): string {
    const text = redactText(error, app.container.env);
    const delay = this.countFailure(app);
    this.log.warn(
      { app: app.id, failures: this.history(app.id).failures, retryInMs: delay, error: text },
      `${app.id} failed`,
    );
    if (this.busy(app.id)) this.setError(app.id, text);
    else
      this.setPhase(
        app.id,
        delay > 0 ? "backoff" : "failed",
        delay > 0 ? "backoff" : stopReason,
        text,
      );
    return text;
  }

  /** One more consecutive failure: the only place the back-off is computed. Returns the delay. */
  countFailure(app: AppManifest): number {
    const h = this.history(app.id);
    h.failures++;
    h.healthySince = null;
    const delay = backoffDelay(h.failures, app.restart.backoff);
    h.nextRetryAt = delay > 0 ? this.clock.now() + delay : null;
    return delay;
  }

  /** An owner's start or restart is a fresh start: no back-off. */
  clearBackoff(id: string): void {
    const h = this.history(id);
    h.failures = 0;
    h.nextRetryAt = null;
  }

  /** The exit the current container shows was seen by a failed start: the next pass must not count it again. */
  exitSeen(id: string): void {
    const c = this.state(id).container;
    if (c?.state === "exited") this.history(id).countedExit = exitKeys(c);
  }

  /**
   * What a pass observed, before it plans: an unexpected exit counts once as
   * a failure; running healthy for `reset` clears the back-off; the container
   * and (outside operations) the health are recorded.
   */
  observed(app: AppManifest, obs: ObservedApp, desired: Desired): void {
    const h = this.history(app.id);
    const c = ownContainer(app, obs.container);
    if (c?.state === "exited" && desired === "running" && !this.busy(app.id)) {
      if (!(h.countedExit ?? "").split("\n").includes(exitKey(c))) {
        h.countedExit = exitKeys(c);
        this.countFailure(app);
        this.setError(app.id, `${c.name} exited with code ${c.exitCode ?? "?"}`);
      }
    }
    if (c?.state === "stopping" || c?.state === "removing") {
      if (h.podmanBusy?.container !== c.id || h.podmanBusy.state !== c.state) {
        const since = this.clock.now();
        const stuckAt = since + app.container.stopTimeoutMs + STUCK_GRACE_MS;
        h.podmanBusy = { container: c.id, state: c.state, since, stuckAt };
      }
    } else h.podmanBusy = null;
    const healthyNow =
      c?.state === "running" && obs.health !== "unhealthy" && obs.health !== "starting";
    if (!healthyNow) h.healthySince = null;
    else {
      h.healthySince ??= this.clock.now();
      if (h.failures > 0 && this.clock.now() - h.healthySince >= app.restart.backoff.resetMs)
        this.clearBackoff(app.id);
    }
    this.seen(app, obs);
  }

  /** Records the container observed and (outside operations) its health. */
  seen(app: AppManifest, obs: ObservedApp): void {
    this.state(app.id).container = ownContainer(app, obs.container);
    if (!this.busy(app.id)) this.setHealth(app.id, obs.health);
  }

  /** A start succeeded (running, healthy when checked); the caller sets the phase. */
  ready(app: AppManifest): void {
    const h = this.history(app.id);
    h.healthySince = this.clock.now();
    h.nextRetryAt = null;
    this.setError(app.id, null);
    if (!app.container.healthcheck) this.setHealth(app.id, null);
  }

  /** A dependency became healthy: dependents waiting out a back-off may go at once. Returns whether any did. */
  releaseDependents(apps: AppManifest[], id: string): boolean {
    let released = false;
    for (const app of apps) {
      if (!app.dependsOn.includes(id) || !this.backingOff(app.id)) continue;
      this.history(app.id).nextRetryAt = null;
      released = true;
    }
    return released;
  }

  /** The earliest time a backed-off app may be retried; null when none waits. */
  nextWakeAt(): number | null {
    let min: number | null = null;
    const now = this.clock.now();
    for (const [id, h] of this.histories) {
      if (this.backingOff(id) && (min === null || h.nextRetryAt! < min)) min = h.nextRetryAt;
      // A pass when a container podman marked stopping or removing counts as stuck.
      const stuckAt = h.podmanBusy?.stuckAt;
      if (stuckAt !== undefined && stuckAt > now && (min === null || stuckAt < min)) min = stuckAt;
    }
    return min;
  }

  /** Sets the phase an observation implies (not while an operation runs). */
  derivePhase(
    app: AppManifest,
    obs: ObservedApp,
    desired: Desired,
    skipReason: StopReason | null,
  ): void {
    const s = this.state(app.id);
    if (s.opsInFlight > 0 || isTransitional(s.phase)) return;
    const c = ownContainer(app, obs.container);
    const backingOff = this.backingOff(app.id);
    if (desired === "stopped" && c?.state !== "running" && c?.state !== "paused")
      return this.setPhase(app.id, "stopped", "user");
    if (!c) {
      if (skipReason === "dependency") return this.setPhase(app.id, "missing", "dependency");
      return this.setPhase(
        app.id,
        backingOff ? "backoff" : s.phase === "failed" ? "failed" : "missing",
        backingOff ? "backoff" : "removed",
      );
    }
    switch (c.state) {
      case "running":
        if (obs.health === "unhealthy") return this.setPhase(app.id, "unhealthy", "health");
        if (s.lastError && s.phase === "running") this.setError(app.id, null);
        return this.setPhase(app.id, "running", null);
      case "exited":
        // The planner's reason when it has one.
        return this.setPhase(
          app.id,
          backingOff ? "backoff" : "exited",
          skipReason ?? (backingOff ? "backoff" : "crash"),
        );
      case "created":
      case "paused":
      case "unknown":
        return this.setPhase(app.id, c.state, skipReason ?? "crash");
      default:
        return this.setPhase(app.id, c.state === "stopping" ? "stopping" : "removing", null);
    }
  }

  /** The app as `archy ps` shows it. */
  status(app: AppManifest, desired: Desired): AppStatus {
    const s = this.state(app.id);
    const h = this.history(app.id);
    const c = s.container;
    return {
      id: app.id,
      name: app.name,
      version: app.version,
      image: app.container.image,
      dependsOn: [...app.dependsOn],
      desired,
      phase: s.phase,
      health: s.health,
      restarts: s.restarts,
      stopReason: s.stopReason,
      lastError: s.lastError,
      lastErrorCode: s.lastErrorCode,
      since: this.iso(s.since),
      nextRetryAt: this.backingOff(app.id) ? this.iso(h.nextRetryAt!) : null,
      container: c
        ? {
            id: c.id,
            name: c.name,
            state: c.state,
            startedAt: c.startedAt,
            exitCode: c.exitCode,
            imageId: c.imageId,
          }
        : null,
    };
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
        opsBegun: 0,
        settled: { phase: "missing", stopReason: null },
      };
      this.states.set(id, s);
    }
    return s;
  }
}
