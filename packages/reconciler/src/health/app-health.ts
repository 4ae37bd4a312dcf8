import type { Clock, ContainerRuntime, ContainerStatus, HealthStatus } from "@archy/runtime-podman";
import { ownContainer, type AppStates } from "../state/app-state.js";
import type { EventBus } from "../state/event-bus.js";
import { HealthMonitor, runCheck } from "./health.js";
import type { AppManifest } from "../manifest/index.js";

/**
 * archy's view of every app's health: the periodic checks of the
 * HealthMonitor (while the loop runs), the checks a start or a dependency
 * wait runs at once, and podman's own record for `cmd` checks. A change of
 * health goes through AppStates; an unhealthy app or a dependency that is
 * healthy again wakes the loop.
 */
export class AppHealth {
  private monitor: HealthMonitor | null = null;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly clock: Clock,
    private readonly states: AppStates,
    private readonly bus: EventBus,
    private readonly apps: () => AppManifest[],
  ) {}

  /** Runs declared health checks on their interval until `signal` aborts. */
  start(signal?: AbortSignal): void {
    if (this.monitor) return;
    this.monitor = new HealthMonitor(this.runtime, this.clock, (app, health, previous) =>
      this.changed(app, health, previous),
    );
    this.sync();
    signal?.addEventListener("abort", () => this.stop(), { once: true });
  }

  stop(): void {
    this.monitor?.stop();
    this.monitor = null;
  }

  /** Monitors exactly the apps whose own container runs now. */
  sync(): void {
    this.monitor?.sync(
      this.apps().flatMap((app) => {
        const c = ownContainer(app, this.states.get(app.id).container);
        return c?.state === "running" ? [{ app, status: c }] : [];
      }),
    );
  }

  /** The health of a container as archy knows it without running a check: null when unknown. */
  view(app: AppManifest, c: ContainerStatus): HealthStatus {
    if (!app.container.healthcheck || c.state !== "running") return null;
    const fromMonitor = this.monitor?.health(app.id, c.id) ?? null;
    if (fromMonitor !== null) return fromMonitor;
    // podman keeps the result of the last `healthcheck run` (with its own retries).
    if (app.container.healthcheck.kind === "cmd" && c.health !== null) return c.health;
    const s = this.states.get(app.id);
    return s.container?.id === c.id && s.container.startedAt === c.startedAt ? s.health : null;
  }

  /** Runs the app's check once now and counts it with the periodic ones; returns the health it implies. */
  async check(app: AppManifest, c: ContainerStatus): Promise<HealthStatus> {
    const result = await runCheck(this.runtime, app, c, this.clock);
    return this.monitor?.record(app, c, result) ?? (result === "healthy" ? "healthy" : "starting");
  }

  /** A fresh view for read-only observation: host-side checks cost no podman process. */
  async probe(app: AppManifest, c: ContainerStatus): Promise<HealthStatus> {
    const health = this.view(app, c);
    if (c.state !== "running" || health !== null || app.container.healthcheck?.kind === "cmd")
      return health;
    if (!app.container.healthcheck) return null;
    const result = await runCheck(this.runtime, app, c, this.clock);
    return result === "unknown" ? null : result;
  }

  /**
   * The first dependency of an app that is not running and healthy, described,
   * or null. A dependency whose health is not known yet is checked now.
   */
  async unmetDependency(app: AppManifest): Promise<string | null> {
    for (const dep of app.dependsOn) {
      const depApp = this.apps().find((a) => a.id === dep);
      if (!depApp) return `${dep} (its manifest is invalid)`;
      const s = this.states.get(dep);
      const running = s.container?.state === "running";
      if (running && depApp.container.healthcheck && s.health === null)
        this.states.setHealth(dep, await this.check(depApp, s.container!));
      const healthy = !depApp.container.healthcheck || s.health === "healthy";
      if (!running || !healthy)
        return `${dep} (${s.phase}${running && !healthy ? `, health ${s.health ?? "unknown"}` : ""})`;
    }
    return null;
  }

  private changed(id: string, health: HealthStatus, previous: HealthStatus): void {
    this.states.healthChanged(id, health, previous);
    if (health === "unhealthy") this.wake(`${id} is unhealthy`);
    if (health === "healthy" && previous !== "healthy") this.healthy(id);
  }

  /** An app turned healthy: its dependents waiting out a back-off are retried at once. */
  healthy(id: string): void {
    if (this.states.releaseDependents(this.apps(), id))
      this.wake(`${id} is healthy again; its dependents are retried`);
  }

  private wake(reason: string): void {
    this.bus.publish({ type: "wake", reason, at: this.states.iso() });
  }
}
