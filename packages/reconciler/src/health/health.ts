import {
  systemClock,
  type Clock,
  type ContainerRuntime,
  type ContainerStatus,
  type HealthStatus,
  type TimerHandle,
} from "@archy/runtime-podman";
import type { AppManifest, HealthCheck } from "../manifest/index.js";
import { probeHttp, probeTcp, type CheckResult } from "./probe.js";

export { probeHttp, probeTcp, type CheckResult } from "./probe.js";

/** A check podman cannot run this many times `retries` in a row counts as failing after all. */
const UNKNOWN_LIMIT = 3;

/**
 * Where a host-side probe reaches the container's `port`: its published port
 * on the host when there is one, the port itself on the host network, else
 * the container's own address.
 */
export async function probeTarget(
  runtime: ContainerRuntime,
  app: AppManifest,
  status: ContainerStatus,
  port: number,
): Promise<{ host: string; port: number } | null> {
  const published =
    status.ports.find((p) => p.containerPort === port && p.protocol === "tcp") ??
    app.container.ports.find((p) => p.containerPort === port && p.protocol === "tcp");
  if (published) {
    const ip = published.hostIp;
    return {
      host: !ip || ip === "0.0.0.0" ? "127.0.0.1" : ip === "::" ? "::1" : ip,
      port: published.hostPort,
    };
  }
  if (app.container.network === "host") return { host: "127.0.0.1", port };
  const address = await runtime.containerAddress(status.name);
  return address ? { host: address, port } : null;
}

function withTimeout<T>(clock: Clock, p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: TimerHandle;
  return Promise.race([
    p,
    new Promise<T>((resolve) => (timer = clock.setTimeout(() => resolve(fallback), ms))),
  ]).finally(() => clock.clearTimeout(timer));
}

/** Runs an app's declared check once: `cmd` in the container through podman, `http`/`tcp` from the host. */
export async function runCheck(
  runtime: ContainerRuntime,
  app: AppManifest,
  status: ContainerStatus,
  clock: Clock = systemClock,
): Promise<CheckResult> {
  const hc = app.container.healthcheck as HealthCheck;
  if (hc.kind === "cmd") {
    // podman's own timeout is in the check (exit 1); this one guards a hung podman.
    return withTimeout(
      clock,
      runtime.runHealthcheck(status.name).catch((): CheckResult => "unknown"),
      hc.timeoutMs + 10_000,
      "unknown",
    );
  }
  let target;
  try {
    target = await probeTarget(runtime, app, status, hc.port);
  } catch {
    return "unknown"; // podman did not tell the container's address
  }
  if (!target) return "unhealthy";
  return hc.kind === "http"
    ? probeHttp(target.host, target.port, hc.path, hc.timeoutMs)
    : probeTcp(target.host, target.port, hc.timeoutMs);
}

interface Entry {
  app: AppManifest;
  status: ContainerStatus;
  startedAtMs: number;
  failures: number;
  /** Checks in a row podman could not run. */
  unknowns: number;
  health: HealthStatus;
  timer: TimerHandle | null;
  inFlight: boolean;
}

/**
 * Runs the declared health checks of running apps on their interval: one
 * check in flight per app, each with its timeout. Failures inside the start
 * period do not count; `retries` consecutive failures make the app unhealthy.
 */
export class HealthMonitor {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly clock: Clock,
    private readonly onChange: (app: string, health: HealthStatus, previous: HealthStatus) => void,
  ) {}

  /** The current view of an app's container; null when not monitored or for another container. */
  health(app: string, containerId: string): HealthStatus {
    const e = this.entries.get(app);
    return e && e.status.id === containerId ? e.health : null;
  }

  /** Records a result obtained elsewhere (the start wait) for this container. */
  record(app: AppManifest, status: ContainerStatus, result: CheckResult): HealthStatus {
    const e = this.entryFor(app, status);
    return this.apply(e, result);
  }

  /** Monitors exactly these running apps (with a declared check); others are dropped. */
  sync(targets: { app: AppManifest; status: ContainerStatus }[]): void {
    if (this.stopped) return;
    const keep = new Set<string>();
    for (const { app, status } of targets) {
      if (!app.container.healthcheck || status.state !== "running") continue;
      keep.add(app.id);
      const e = this.entryFor(app, status);
      if (!e.timer && !e.inFlight)
        this.schedule(e, e.health === null ? 0 : app.container.healthcheck.intervalMs);
    }
    for (const [id, e] of this.entries) {
      if (keep.has(id)) continue;
      if (e.timer) this.clock.clearTimeout(e.timer);
      this.entries.delete(id);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) this.clock.clearTimeout(e.timer);
    this.entries.clear();
  }

  private entryFor(app: AppManifest, status: ContainerStatus): Entry {
    let e = this.entries.get(app.id);
    if (!e || e.status.id !== status.id || e.status.startedAt !== status.startedAt) {
      if (e?.timer) this.clock.clearTimeout(e.timer);
      e = {
        app,
        status,
        startedAtMs: status.startedAt ? Date.parse(status.startedAt) : this.clock.now(),
        failures: 0,
        unknowns: 0,
        health: null,
        timer: null,
        inFlight: false,
      };
      this.entries.set(app.id, e);
    }
    e.app = app;
    return e;
  }

  private schedule(e: Entry, delay: number): void {
    e.timer = this.clock.setTimeout(() => {
      e.timer = null;
      void this.tick(e);
    }, delay);
  }

  private async tick(e: Entry): Promise<void> {
    if (this.stopped || this.entries.get(e.app.id) !== e) return;
    e.inFlight = true;
    let result: CheckResult;
    try {
      result = await runCheck(this.runtime, e.app, e.status, this.clock);
    } finally {
      e.inFlight = false;
    }
    if (this.stopped || this.entries.get(e.app.id) !== e) return;
    this.apply(e, result);
    if (!e.timer) this.schedule(e, e.app.container.healthcheck!.intervalMs);
  }

  private apply(e: Entry, result: CheckResult): HealthStatus {
    const hc = e.app.container.healthcheck!;
    const previous = e.health;
    if (result === "unknown") {
      // No verdict: a podman that fails never makes an app unhealthy, unless it fails for long.
      if (++e.unknowns < UNKNOWN_LIMIT * hc.retries) return e.health;
      e.unknowns = 0;
    } else e.unknowns = 0;
    if (result === "healthy") {
      e.failures = 0;
      e.health = "healthy";
    } else if (this.clock.now() - e.startedAtMs < hc.startPeriodMs) {
      e.health = previous === "healthy" ? "healthy" : "starting";
    } else {
      e.failures++;
      if (e.failures >= hc.retries) e.health = "unhealthy";
      else if (previous === null) e.health = "starting";
    }
    if (e.health !== previous) this.onChange(e.app.id, e.health, previous);
    return e.health;
  }
}
