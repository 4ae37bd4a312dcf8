import { readFile, rename, unlink, writeFile, mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { randomBytes } from "node:crypto";
import pLimit from "p-limit";
import type {
  ContainerRuntime,
  ContainerStatus,
  HealthStatus,
  ImageInfo,
} from "@archy/runtime-podman";
import { backoffDelay } from "./backoff.js";
import { DesiredStateStore } from "./desired.js";
import { ManifestInvalidError, ReconcilerError, UnknownAppError } from "./errors.js";
import { HealthMonitor, runCheck } from "./health.js";
import type { HookError } from "./hooks.js";
import { runPreStartHooks } from "./hooks.js";
import {
  checkAcrossFiles,
  loadManifests,
  parseManifest,
  type AppManifest,
  type ManifestCache,
  type ManifestError,
} from "./manifest.js";
import { dependencyOrder, plan as planPass, type PlanInput } from "./planner.js";
import { KeyedQueue } from "./queue.js";
import {
  configHash,
  containerName,
  LABEL_APP,
  LABEL_HASH,
  redactText,
  toContainerSpec,
} from "./spec.js";
import {
  isTransitional,
  type AppHistory,
  type Desired,
  type ObservedApp,
  type Phase,
  type Plan,
  type PlannedAction,
  type StopReason,
} from "./types.js";

export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ReconcilerOptions {
  runtime: ContainerRuntime;
  /** Folder of `*.yaml` manifests, re-read on every pass. */
  manifestsDir?: string;
  /** Or a fixed list of apps. */
  apps?: AppManifest[];
  /** Holds `desired.json`; created 0700. */
  stateDir: string;
  /** Apps started in parallel at most; default 4. */
  concurrency?: number;
  /** Default Date.now. */
  now?: () => number;
  /** Timeout of each pre-start hook; default 60 s. */
  hookTimeoutMs?: number;
  /** How long a started container without a health check must stay running to count as started; default 1 s. */
  startSettleMs?: number;
  logger?: Logger;
}

export interface AppStatus {
  id: string;
  name: string;
  version: string;
  image: string;
  dependsOn: string[];
  desired: Desired;
  phase: Phase;
  health: HealthStatus;
  /** Starts archy made after the app stopped running (crash, unhealthy, owner restart). */
  restarts: number;
  /** Why an app that is not running is not; null when it runs. */
  stopReason: StopReason | null;
  lastError: string | null;
  /** When the phase last changed (ISO). */
  since: string;
  /** The next start attempt under back-off (ISO). */
  nextRetryAt: string | null;
  container: {
    id: string;
    name: string;
    state: ContainerStatus["state"];
    startedAt: string | null;
    exitCode: number | null;
    imageId: string | null;
  } | null;
}

export type ReconcilerEvent =
  | {
      type: "phase";
      app: string;
      phase: Phase;
      previous: Phase;
      stopReason: StopReason | null;
      error?: string;
      at: string;
    }
  | { type: "health"; app: string; health: HealthStatus; previous: HealthStatus; at: string }
  | { type: "desired"; app: string; desired: Desired; at: string }
  | { type: "wake"; reason: string; at: string }
  | { type: "pass"; report: ReconcileReport; at: string };

export interface ActionResult {
  app: string;
  kind: PlannedAction["kind"];
  reason: string;
  container: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

export interface ReconcileReport {
  startedAt: string;
  durationMs: number;
  /** False when podman could not be observed: nothing was changed. */
  observed: boolean;
  error?: string;
  /** The `code` of the error that stopped the pass (for example EPODMANUNAVAILABLE), when it has one. */
  errorCode?: string;
  actions: ActionResult[];
  failures: { app: string; error: string }[];
  skipped: { app: string; reason: string; stopReason: StopReason | null }[];
  converged: string[];
  orphans: { name: string; app: string }[];
  manifestErrors: ManifestError[];
}

/** A report with nothing in it yet (not observed). */
export function emptyReport(startedAt: string): ReconcileReport {
  return {
    startedAt,
    durationMs: 0,
    observed: false,
    actions: [],
    failures: [],
    skipped: [],
    converged: [],
    orphans: [],
    manifestErrors: [],
  };
}

export interface LifecycleHandle {
  /** The app with its transitional phase, as published. */
  status: AppStatus;
  /** Resolves with the final status when the operation ends (failed operations resolve too, with lastError). */
  done: Promise<AppStatus>;
}

export interface SnapshotState {
  apps: {
    id: string;
    desired: Desired;
    phase: Phase;
    manifest: { file: string; source: string };
    container: {
      name: string;
      id: string;
      state: string;
      image: string;
      startedAt: string | null;
    } | null;
  }[];
  /** Every container seen running at the last successful observation, managed or not. */
  containers: { name: string; id: string; image: string; state: string; app: string | null }[];
}

interface AppState {
  phase: Phase;
  since: number;
  stopReason: StopReason | null;
  lastError: string | null;
  restarts: number;
  health: HealthStatus;
  container: ContainerStatus | null;
  opsInFlight: number;
}

class StartFailedError extends ReconcilerError {
  override readonly name = "StartFailedError";
  constructor(
    app: string,
    message: string,
    readonly stopReason: StopReason,
  ) {
    super(stopReason === "health" ? "EUNHEALTHY" : "ESTARTFAILED", message, { app });
  }
}

/** Identifies one exit of one container. */
const exitKey = (c: ContainerStatus) =>
  `${c.id}:${c.startedAt ?? ""}:${c.finishedAt ?? ""}:${c.exitCode ?? ""}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Reconciles apps toward their desired state through a ContainerRuntime.
 * One pass: observe (2 podman processes), run hooks, hash, plan, execute.
 */
export class Reconciler {
  readonly runtime: ContainerRuntime;
  readonly stateDir: string;
  readonly manifestsDir: string | undefined;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly hookTimeoutMs: number;
  private readonly settleMs: number;
  private readonly log: Logger;
  private readonly desired: DesiredStateStore;
  private readonly queue = new KeyedQueue();
  private readonly listeners = new Set<(e: ReconcilerEvent) => void>();
  private readonly states = new Map<string, AppState>();
  private readonly histories = new Map<string, AppHistory>();
  private fixedApps: AppManifest[] | undefined;
  private apps: AppManifest[] = [];
  private invalidIds: string[] = [];
  private manifestErrors: ManifestError[] = [];
  private loaded = false;
  private readonly manifestCache: ManifestCache = new Map();
  private lastContainers: ContainerStatus[] | null = null;
  private lastOrphans: ContainerStatus[] = [];
  private passInFlight: Promise<ReconcileReport> | null = null;
  private monitor: HealthMonitor | null = null;

  constructor(opts: ReconcilerOptions) {
    if (!opts.manifestsDir && !opts.apps)
      throw new TypeError("Reconciler needs manifestsDir or apps");
    this.runtime = opts.runtime;
    this.stateDir = opts.stateDir;
    this.manifestsDir = opts.manifestsDir;
    this.fixedApps = opts.apps;
    this.now = opts.now ?? Date.now;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.hookTimeoutMs = opts.hookTimeoutMs ?? 60_000;
    this.settleMs = opts.startSettleMs ?? 1_000;
    this.log = opts.logger ?? silent;
    this.desired = new DesiredStateStore(opts.stateDir);
  }

  // ---- subscriptions ------------------------------------------------------

  subscribe(listener: (e: ReconcilerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(e: ReconcilerEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (error) {
        this.log.error({ err: errorText(error) }, "an event listener threw");
      }
    }
  }

  private iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  // ---- manifests ----------------------------------------------------------

  /** Re-reads the manifests folder (or the fixed app list). */
  async reload(): Promise<{ apps: AppManifest[]; errors: ManifestError[] }> {
    if (this.fixedApps) {
      const result = checkAcrossFiles(
        this.fixedApps.map((app) => ({ app, errors: [], file: app.file })),
      );
      this.apps = result.apps;
      this.invalidIds = result.invalidIds;
      this.manifestErrors = result.errors;
    } else {
      const result = await loadManifests(this.manifestsDir!, this.manifestCache);
      this.apps = result.apps;
      this.invalidIds = result.invalidIds;
      this.manifestErrors = result.errors;
    }
    const order = dependencyOrder(this.apps);
    this.apps.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    this.loaded = true;
    for (const e of this.manifestErrors)
      this.log.warn({ file: e.file, line: e.line, column: e.column, path: e.path }, e.message);
    return { apps: this.apps, errors: this.manifestErrors };
  }

  private async ensureLoaded(): Promise<void> {
    if (!this.loaded) await this.reload();
  }

  /** The valid apps as last loaded. */
  getApps(): AppManifest[] {
    return [...this.apps];
  }

  getManifestErrors(): ManifestError[] {
    return [...this.manifestErrors];
  }

  private async requireApp(id: string): Promise<AppManifest> {
    await this.ensureLoaded();
    let app = this.apps.find((a) => a.id === id);
    if (!app && this.manifestsDir) {
      await this.reload();
      app = this.apps.find((a) => a.id === id);
    }
    if (!app) throw new UnknownAppError(id);
    return app;
  }

  // ---- state ---------------------------------------------------------------

  private stateOf(id: string): AppState {
    let s = this.states.get(id);
    if (!s) {
      s = {
        phase: "missing",
        since: this.now(),
        stopReason: null,
        lastError: null,
        restarts: 0,
        health: null,
        container: null,
        opsInFlight: 0,
      };
      this.states.set(id, s);
    }
    return s;
  }

  private historyOf(id: string): AppHistory {
    let h = this.histories.get(id);
    if (!h) {
      h = { failures: 0, nextRetryAt: null, healthySince: null };
      this.histories.set(id, h);
    }
    return h;
  }

  private setPhase(id: string, phase: Phase, stopReason: StopReason | null, error?: string): void {
    const s = this.stateOf(id);
    if (error !== undefined) s.lastError = error;
    if (s.phase === phase && s.stopReason === stopReason) return;
    const previous = s.phase;
    s.phase = phase;
    s.stopReason = stopReason;
    s.since = this.now();
    this.log.info(
      { app: id, phase, previous, stopReason, ...(error ? { error } : {}) },
      `${id}: ${previous} -> ${phase}`,
    );
    this.publish({
      type: "phase",
      app: id,
      phase,
      previous,
      stopReason,
      ...(error ? { error } : {}),
      at: this.iso(),
    });
  }

  private setHealth(id: string, health: HealthStatus): void {
    const s = this.stateOf(id);
    if (s.health === health) return;
    const previous = s.health;
    s.health = health;
    this.publish({ type: "health", app: id, health, previous, at: this.iso() });
  }

  private async desiredMap(): Promise<Record<string, Desired>> {
    return this.desired.load();
  }

  /** Every app's status, in dependency order. */
  async status(): Promise<AppStatus[]> {
    await this.ensureLoaded();
    const desired = await this.desiredMap();
    return this.apps.map((app) => this.statusOf(app, desired[app.id] ?? "running"));
  }

  async appStatus(id: string): Promise<AppStatus> {
    const app = await this.requireApp(id);
    return this.statusOf(app, await this.desired.get(id));
  }

  /** Containers labelled for apps with no manifest, at the last observation. */
  orphans(): ContainerStatus[] {
    return [...this.lastOrphans];
  }

  private statusOf(app: AppManifest, desired: Desired): AppStatus {
    const s = this.stateOf(app.id);
    const h = this.historyOf(app.id);
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
      since: this.iso(s.since),
      nextRetryAt:
        h.nextRetryAt !== null && h.nextRetryAt > this.now() ? this.iso(h.nextRetryAt) : null,
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

  /** The earliest time a backed-off app may be retried; null when none waits. */
  nextWakeAt(): number | null {
    let min: number | null = null;
    for (const [, h] of this.histories)
      if (
        h.nextRetryAt !== null &&
        h.nextRetryAt > this.now() &&
        (min === null || h.nextRetryAt < min)
      )
        min = h.nextRetryAt;
    return min;
  }

  // ---- health monitoring ------------------------------------------------------

  /** Starts running declared health checks on their interval until `signal` aborts. */
  startHealthMonitor(signal?: AbortSignal): void {
    if (this.monitor) return;
    this.monitor = new HealthMonitor(this.runtime, this.now, (app, health, previous) => {
      this.setHealth(app, health);
      const s = this.stateOf(app);
      if (!isTransitional(s.phase) && s.container?.state === "running") {
        if (health === "unhealthy") this.setPhase(app, "unhealthy", "health");
        else if (previous === "unhealthy" && health === "healthy")
          this.setPhase(app, "running", null);
      }
      if (health === "unhealthy")
        this.publish({ type: "wake", reason: `${app} is unhealthy`, at: this.iso() });
      if (health === "healthy" && previous !== "healthy") this.releaseDependents(app);
    });
    this.syncMonitor();
    signal?.addEventListener("abort", () => this.stopHealthMonitor(), { once: true });
  }

  stopHealthMonitor(): void {
    this.monitor?.stop();
    this.monitor = null;
  }

  private syncMonitor(): void {
    if (!this.monitor) return;
    this.monitor.sync(
      this.apps.flatMap((app) => {
        const c = this.stateOf(app.id).container;
        return c && c.state === "running" && c.labels[LABEL_APP] === app.id
          ? [{ app, status: c }]
          : [];
      }),
    );
  }

  /** A dependency became healthy: its dependents waiting out a back-off are retried at once. */
  private releaseDependents(id: string): void {
    let released = false;
    for (const app of this.apps) {
      if (!app.dependsOn.includes(id)) continue;
      const h = this.historyOf(app.id);
      if (h.nextRetryAt !== null && h.nextRetryAt > this.now()) {
        h.nextRetryAt = null;
        released = true;
      }
    }
    if (released)
      this.publish({
        type: "wake",
        reason: `${id} is healthy again; its dependents are retried`,
        at: this.iso(),
      });
  }

  // ---- observation -------------------------------------------------------------

  private imageIdFrom(images: ImageInfo[], ref: string): string | null {
    const candidates = ref.includes("/")
      ? [ref]
      : [ref, `localhost/${ref}`, `docker.io/library/${ref}`];
    const withTag = candidates.flatMap((c) =>
      /:[^/]+$/.test(c) || c.includes("@") ? [c] : [c, `${c}:latest`],
    );
    return images.find((i) => i.names.some((n) => withTag.includes(n)))?.id ?? null;
  }

  private async readConfigFiles(app: AppManifest): Promise<Record<string, Buffer | null>> {
    const out: Record<string, Buffer | null> = {};
    for (const f of app.configFiles) out[f] = await readFile(f).catch(() => null);
    return out;
  }

  private async wantedHash(app: AppManifest, imageId: string | null): Promise<string | null> {
    return imageId === null ? null : configHash(app, imageId, await this.readConfigFiles(app));
  }

  // ---- passes -------------------------------------------------------------------

  /**
   * Observes without acting (one `podman ps`): phases, containers and orphans
   * as podman reports them. No hook runs, nothing changes. For read-only views.
   */
  async refresh(): Promise<void> {
    await this.reload();
    const desired = await this.desiredMap();
    const containers = await this.runtime.listContainers();
    this.lastContainers = containers;
    const known = new Set([...this.apps.map((a) => a.id), ...this.invalidIds]);
    this.lastOrphans = containers.filter(
      (c) => c.labels[LABEL_APP] !== undefined && !known.has(c.labels[LABEL_APP]!),
    );
    for (const app of this.apps) {
      const c = containers.find((x) => x.name === containerName(app.id)) ?? null;
      let health = c ? this.healthView(app, c) : null;
      // Host-side checks cost no podman process: probe once for a fresh view.
      if (
        c?.state === "running" &&
        health === null &&
        app.container.healthcheck &&
        app.container.healthcheck.kind !== "cmd"
      ) {
        health = (await runCheck(this.runtime, app, c)) === "healthy" ? "healthy" : "unhealthy";
      }
      const obs: ObservedApp = { container: c, wantedHash: null, health };
      const s = this.stateOf(app.id);
      s.container = c && c.labels[LABEL_APP] === app.id ? c : null;
      if (s.opsInFlight === 0) this.setHealth(app.id, obs.health);
      this.derivePhase(app, obs, desired[app.id] ?? "running", null);
    }
  }

  /** What a pass would do now; changes nothing (no hooks run, no podman call but the 2 observations). */
  async plan(
    opts: { removeOrphans?: boolean } = {},
  ): Promise<{ plan: Plan; manifestErrors: ManifestError[] }> {
    await this.reload();
    const desired = await this.desiredMap();
    const [containers, images] = await Promise.all([
      this.runtime.listContainers(),
      this.runtime.listImages(),
    ]);
    const observed: Record<string, ObservedApp> = {};
    for (const app of this.apps) {
      const c = containers.find((x) => x.name === containerName(app.id)) ?? null;
      observed[app.id] = {
        container: c,
        wantedHash: await this.wantedHash(app, this.imageIdFrom(images, app.container.image)),
        health: c ? this.healthView(app, c) : null,
      };
    }
    const plan = planPass({
      ...this.planInputBase(desired, observed, containers),
      removeOrphans: opts.removeOrphans ?? false,
    });
    return { plan, manifestErrors: this.manifestErrors };
  }

  private planInputBase(
    desired: Record<string, Desired>,
    observed: Record<string, ObservedApp>,
    containers: ContainerStatus[],
  ): PlanInput {
    return {
      apps: this.apps,
      observed,
      desired,
      now: this.now(),
      history: Object.fromEntries(this.apps.map((a) => [a.id, this.historyOf(a.id)])),
      containers,
      invalidIds: this.invalidIds,
    };
  }

  /** archy's health view of a container: the monitor's, else podman's own for cmd checks. */
  private healthView(app: AppManifest, c: ContainerStatus): HealthStatus {
    if (!app.container.healthcheck || c.state !== "running") return null;
    const fromMonitor = this.monitor?.health(app.id, c.id) ?? null;
    if (fromMonitor !== null) return fromMonitor;
    // podman keeps the result of the last `healthcheck run` (with its own retries).
    if (app.container.healthcheck.kind === "cmd" && c.health !== null) return c.health;
    const s = this.stateOf(app.id);
    return s.container?.id === c.id && s.container.startedAt === c.startedAt ? s.health : null;
  }

  /**
   * One reconcile pass over every app. Never throws for an app's sake: each
   * failure is recorded in the report. Concurrent calls share one pass.
   */
  reconcileAll(opts: { removeOrphans?: boolean } = {}): Promise<ReconcileReport> {
    if (this.passInFlight) return this.passInFlight;
    const pass = this.runPass(opts).finally(() => {
      this.passInFlight = null;
    });
    this.passInFlight = pass;
    return pass;
  }

  /** A pass limited to one app (and what it needs). */
  async reconcileApp(id: string): Promise<ReconcileReport> {
    await this.requireApp(id);
    return this.runPass({ only: id });
  }

  private async runPass(opts: {
    removeOrphans?: boolean;
    only?: string;
  }): Promise<ReconcileReport> {
    const started = this.now();
    const report = emptyReport(this.iso(started));
    const finish = () => {
      report.durationMs = this.now() - started;
      this.publish({ type: "pass", report, at: this.iso() });
      return report;
    };
    try {
      await this.reload();
    } catch (error) {
      report.error = `cannot read manifests: ${errorText(error)}`;
      return finish();
    }
    report.manifestErrors = this.manifestErrors;
    const desired = await this.desiredMap();

    let containers: ContainerStatus[];
    let images: ImageInfo[];
    try {
      [containers, images] = await Promise.all([
        this.runtime.listContainers(),
        this.runtime.listImages(),
      ]);
    } catch (error) {
      report.error = `cannot observe podman: ${errorText(error)}`;
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === "string") report.errorCode = code;
      this.log.error({ err: report.error }, "observation failed; nothing changed");
      return finish();
    }
    report.observed = true;
    this.lastContainers = containers;

    const apps = opts.only ? this.apps.filter((a) => a.id === opts.only) : this.apps;
    const limit = pLimit(this.concurrency);
    const hookFailures = new Map<string, HookError>();
    const observed: Record<string, ObservedApp> = {};

    // Hooks (for apps desired running) and hashes, in parallel, bounded.
    await Promise.all(
      apps.map((app) =>
        limit(async () => {
          const c = containers.find((x) => x.name === containerName(app.id)) ?? null;
          if (
            (desired[app.id] ?? "running") === "running" &&
            app.hooks.preStart.length > 0 &&
            this.stateOf(app.id).opsInFlight === 0
          ) {
            try {
              await runPreStartHooks(app, this.hookTimeoutMs);
            } catch (error) {
              hookFailures.set(app.id, error as HookError);
            }
          }
          let imageId = this.imageIdFrom(images, app.container.image);
          if (
            imageId === null &&
            !app.container.image.startsWith("localhost/") &&
            app.container.image.includes("/") === false
          ) {
            imageId = await this.runtime.imageId(app.container.image).catch(() => null);
          }
          observed[app.id] = {
            container: c,
            wantedHash: await this.wantedHash(app, imageId),
            health: c ? this.healthView(app, c) : null,
          };
        }),
      ),
    );

    // Back-off: an unexpected exit counts once as a failure; running healthy long enough resets it.
    for (const app of apps) {
      const c = observed[app.id]?.container;
      const h = this.historyOf(app.id);
      const ours = c?.labels[LABEL_APP] === app.id;
      if (
        ours &&
        c?.state === "exited" &&
        (desired[app.id] ?? "running") === "running" &&
        this.stateOf(app.id).opsInFlight === 0
      ) {
        if (h.countedExit !== exitKey(c)) {
          h.countedExit = exitKey(c);
          h.failures++;
          h.healthySince = null;
          const delay = backoffDelay(h.failures, app.restart.backoff);
          h.nextRetryAt = delay > 0 ? this.now() + delay : null;
          this.stateOf(app.id).lastError = `${c.name} exited with code ${c.exitCode ?? "?"}`;
        }
      }
      const healthyNow =
        c?.state === "running" &&
        observed[app.id]?.health !== "unhealthy" &&
        observed[app.id]?.health !== "starting";
      if (!healthyNow) h.healthySince = null;
      else {
        h.healthySince ??= this.now();
        if (h.failures > 0 && this.now() - h.healthySince >= app.restart.backoff.resetMs) {
          h.failures = 0;
          h.nextRetryAt = null;
        }
      }
    }

    const plan = planPass({
      ...this.planInputBase(desired, observed, containers),
      apps,
      removeOrphans: opts.removeOrphans ?? false,
    });
    this.lastOrphans = plan.orphans;
    report.orphans = plan.orphans.map((o) => ({ name: o.name, app: o.labels[LABEL_APP] ?? "" }));

    // Record what was observed for every app not under an operation.
    for (const app of apps) {
      const s = this.stateOf(app.id);
      const c = observed[app.id]!.container;
      s.container = c && c.labels[LABEL_APP] === app.id ? c : null;
      if (s.opsInFlight === 0) this.setHealth(app.id, observed[app.id]!.health);
    }

    const actionsByApp = new Map(
      plan.actions.filter((a) => a.kind !== "remove-orphan").map((a) => [a.app, a]),
    );
    const skipsByApp = new Map(plan.skipped.map((s) => [s.app, s]));
    const done = new Map<string, Promise<void>>();
    const byId = new Map(apps.map((a) => [a.id, a]));

    const runApp = async (app: AppManifest): Promise<void> => {
      // Dependencies first (they are earlier in plan.order).
      await Promise.all(app.dependsOn.flatMap((d) => done.get(d) ?? []));
      await limit(async () => {
        const s = this.stateOf(app.id);
        if (s.opsInFlight > 0) {
          report.skipped.push({
            app: app.id,
            reason: "an operation is in progress",
            stopReason: null,
          });
          return;
        }
        let action = actionsByApp.get(app.id);
        const planned = skipsByApp.get(app.id);
        if (
          !action &&
          planned?.stopReason === "backoff" &&
          this.historyOf(app.id).nextRetryAt === null
        ) {
          // Released from its back-off during this pass (a dependency came back): plan it again.
          const again = planPass(this.planInputBase(desired, observed, containers));
          action = again.actions.find((a) => a.app === app.id);
          if (action) skipsByApp.delete(app.id);
        }
        const hookError = hookFailures.get(app.id);
        const wantsStart = action && action.kind !== "stop";
        if (hookError && (wantsStart || s.container?.state !== "running")) {
          this.recordFailure(app, "hook", hookError.message, report);
          return;
        }
        if (hookError) {
          // Running app, failing hook: the container is left as it is.
          report.failures.push({ app: app.id, error: hookError.message });
          this.stateOf(app.id).lastError = hookError.message;
        }
        if (wantsStart) {
          const blocked = await this.unmetDependency(app, byId);
          if (blocked) {
            const reason = `waiting for ${blocked}`;
            report.skipped.push({ app: app.id, reason, stopReason: "dependency" });
            this.derivePhase(app, observed[app.id]!, desired[app.id] ?? "running", "dependency");
            return;
          }
        }
        if (action) {
          await this.queue.run(app.id, () => this.execute(app, action, report));
          return;
        }
        const skip = skipsByApp.get(app.id);
        if (skip) {
          report.skipped.push({ app: skip.app, reason: skip.reason, stopReason: skip.stopReason });
          if (skip.failure) {
            report.failures.push({ app: app.id, error: skip.reason });
            this.setPhase(app.id, "failed", null, skip.reason);
            return;
          }
        } else report.converged.push(app.id);
        this.derivePhase(
          app,
          observed[app.id]!,
          desired[app.id] ?? "running",
          skip?.stopReason ?? null,
        );
      });
    };
    for (const id of plan.order) {
      const app = byId.get(id);
      if (app) done.set(id, runApp(app));
    }
    await Promise.all(done.values());

    for (const orphan of plan.actions.filter((a) => a.kind === "remove-orphan")) {
      const t0 = this.now();
      try {
        await this.runtime.removeContainer(orphan.container, { force: true });
        report.actions.push({
          app: orphan.app,
          kind: orphan.kind,
          reason: orphan.reason,
          container: orphan.container,
          ok: true,
          durationMs: this.now() - t0,
        });
      } catch (error) {
        report.actions.push({
          app: orphan.app,
          kind: orphan.kind,
          reason: orphan.reason,
          container: orphan.container,
          ok: false,
          durationMs: this.now() - t0,
          error: errorText(error),
        });
        report.failures.push({ app: orphan.app, error: errorText(error) });
      }
    }
    if (report.actions.length > 0) {
      // What the pass changed is part of the running set a snapshot must hold.
      this.lastContainers = await this.runtime.listContainers().catch(() => this.lastContainers);
    }
    this.syncMonitor();
    return finish();
  }

  /** The first dependency of an app that is not running and healthy, or null. A health not yet known is checked now. */
  private async unmetDependency(
    app: AppManifest,
    byId: Map<string, AppManifest>,
  ): Promise<string | null> {
    for (const dep of app.dependsOn) {
      const depApp = byId.get(dep) ?? this.apps.find((a) => a.id === dep);
      if (!depApp) return `${dep} (its manifest is invalid)`;
      const s = this.stateOf(dep);
      const running = s.container?.state === "running";
      if (running && depApp.container.healthcheck && s.health === null) {
        const result = await runCheck(this.runtime, depApp, s.container!);
        this.setHealth(
          dep,
          this.monitor?.record(depApp, s.container!, result) ??
            (result === "healthy" ? "healthy" : "starting"),
        );
      }
      const healthy = !depApp.container.healthcheck || s.health === "healthy";
      if (!running || !healthy)
        return `${dep} (${s.phase}${running && !healthy ? `, health ${s.health ?? "unknown"}` : ""})`;
    }
    return null;
  }

  /** Sets the phase an observation implies (not while an operation runs). */
  private derivePhase(
    app: AppManifest,
    obs: ObservedApp,
    desired: Desired,
    skipReason: StopReason | null,
  ): void {
    const s = this.stateOf(app.id);
    if (s.opsInFlight > 0 || isTransitional(s.phase)) return;
    const c = obs.container && obs.container.labels[LABEL_APP] === app.id ? obs.container : null;
    const h = this.historyOf(app.id);
    const backingOff = h.nextRetryAt !== null && h.nextRetryAt > this.now();
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
        if (s.lastError && s.phase === "running") s.lastError = null;
        return this.setPhase(app.id, "running", null);
      case "exited": {
        const reason: StopReason = skipReason ?? (backingOff ? "backoff" : "crash"); // the planner's reason when it has one
        return this.setPhase(app.id, backingOff ? "backoff" : "exited", reason);
      }
      case "created":
      case "paused":
      case "unknown":
        return this.setPhase(app.id, c.state, skipReason ?? "crash");
      default:
        return this.setPhase(app.id, c.state === "stopping" ? "stopping" : "removing", null);
    }
  }

  /** A failed start, crash or unhealthy restart: counted for back-off. */
  private recordFailure(
    app: AppManifest,
    stopReason: StopReason,
    error: string,
    report?: ReconcileReport,
  ): void {
    const h = this.historyOf(app.id);
    h.failures++;
    h.healthySince = null;
    const delay = backoffDelay(h.failures, app.restart.backoff);
    h.nextRetryAt = delay > 0 ? this.now() + delay : null;
    const text = redactText(error, app.container.env);
    report?.failures.push({ app: app.id, error: text });
    this.log.warn(
      { app: app.id, failures: h.failures, retryInMs: delay, error: text },
      `${app.id} failed`,
    );
    if (this.stateOf(app.id).opsInFlight === 0)
      this.setPhase(
        app.id,
        delay > 0 ? "backoff" : "failed",
        delay > 0 ? "backoff" : stopReason,
        text,
      );
    else this.stateOf(app.id).lastError = text;
  }

  // ---- execution ---------------------------------------------------------------

  private async execute(
    app: AppManifest,
    action: PlannedAction,
    report: ReconcileReport,
  ): Promise<void> {
    const t0 = this.now();
    const name = action.container;
    const s = this.stateOf(app.id);
    const result: ActionResult = {
      app: app.id,
      kind: action.kind,
      reason: action.reason,
      container: name,
      ok: false,
      durationMs: 0,
    };
    this.log.info(
      { app: app.id, action: action.kind, reason: action.reason },
      `${app.id}: ${action.kind} (${action.reason})`,
    );
    try {
      switch (action.kind) {
        case "stop":
          this.setPhase(app.id, "stopping", null);
          await this.runtime.stopContainer(name, {
            timeoutSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
          });
          s.container = await this.runtime.getContainerStatus(name);
          this.setPhase(app.id, "stopped", "user");
          break;
        case "create":
          await this.createAndStart(app);
          break;
        case "start":
          this.setPhase(app.id, "starting", null);
          s.restarts++;
          await this.runtime.startContainer(name);
          await this.waitReady(app);
          break;
        case "restart": {
          const h = this.historyOf(app.id);
          h.failures++;
          this.setPhase(app.id, "restarting", null);
          s.restarts++;
          await this.runtime.stopContainer(name, {
            timeoutSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
          });
          await this.runtime.startContainer(name);
          await this.waitReady(app);
          break;
        }
        case "recreate":
          this.setPhase(app.id, "restarting", null);
          await this.removeExisting(app);
          await this.createAndStart(app);
          break;
        case "remove-orphan":
          break;
      }
      result.ok = true;
    } catch (error) {
      result.error = redactText(errorText(error), app.container.env);
      const stopReason =
        error instanceof StartFailedError
          ? error.stopReason
          : action.kind === "stop"
            ? "user"
            : "crash";
      if (action.kind === "stop") {
        report.failures.push({ app: app.id, error: result.error });
        this.setPhase(app.id, "failed", "user", result.error);
      } else {
        // A restart already counted its failure.
        if (action.kind === "restart") this.historyOf(app.id).failures--;
        this.recordFailure(app, stopReason, result.error, report);
      }
      s.container = await this.runtime.getContainerStatus(name).catch(() => s.container);
      // The exit this failure saw is counted; the next pass must not count it again.
      if (s.container?.state === "exited")
        this.historyOf(app.id).countedExit = exitKey(s.container);
    }
    result.durationMs = this.now() - t0;
    report.actions.push(result);
  }

  private async removeExisting(app: AppManifest): Promise<void> {
    const name = containerName(app.id);
    const current = await this.runtime.getContainerStatus(name);
    if (!current) return;
    if (current.state === "running")
      await this.runtime.stopContainer(name, {
        timeoutSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
      });
    await this.runtime.removeContainer(name, { force: true });
  }

  /** Makes sure the image exists (build or pull per the manifest) and returns its id. */
  private async ensureImage(app: AppManifest): Promise<string> {
    const ref = app.container.image;
    const c = app.container;
    let id = await this.runtime.imageId(ref);
    if (c.build) {
      if (id === null) {
        this.setPhase(app.id, "installing", null);
        await this.runtime.buildImage({
          context: c.build.context,
          tag: ref,
          ...(c.build.containerfile
            ? { containerfile: join(c.build.context, c.build.containerfile) }
            : {}),
        });
        id = await this.runtime.imageId(ref);
      }
    } else if (c.pull === "always" || (c.pull === "missing" && id === null)) {
      this.setPhase(app.id, "installing", null);
      await this.runtime.pullImage(ref);
      id = await this.runtime.imageId(ref);
    }
    if (id === null)
      throw new StartFailedError(
        app.id,
        `image ${ref} is absent${c.pull === "never" && !c.build ? " and pull is never" : ""}`,
        "crash",
      );
    return id;
  }

  private async createAndStart(app: AppManifest): Promise<void> {
    const imageId = await this.ensureImage(app);
    const hash = await this.wantedHash(app, imageId);
    const spec = toContainerSpec(app);
    spec.labels = { ...spec.labels, [LABEL_HASH]: hash! };
    this.setPhase(app.id, "starting", null);
    await this.runtime.createContainer(spec);
    await this.runtime.startContainer(spec.name);
    await this.waitReady(app);
  }

  /**
   * A start counts only if the container is still running after it, and
   * healthy within start_period + retries x interval when a check is declared.
   */
  private async waitReady(app: AppManifest): Promise<void> {
    const name = containerName(app.id);
    const hc = app.container.healthcheck;
    const t0 = performance.now(); // real elapsed time: the injectable clock may stand still
    const deadline = hc
      ? hc.startPeriodMs + hc.retries * hc.intervalMs + hc.timeoutMs
      : this.settleMs;
    const s = this.stateOf(app.id);
    for (let first = true; ; first = false) {
      await sleep(hc ? (first ? 100 : Math.min(hc.intervalMs, 500)) : this.settleMs);
      const status = await this.runtime.getContainerStatus(name);
      s.container = status;
      if (!status || status.state !== "running") {
        const code = status?.exitCode;
        throw new StartFailedError(
          app.id,
          `${name} ${status ? `exited${code !== null && code !== undefined ? ` with code ${code}` : ""}` : "disappeared"} ${Math.round(performance.now() - t0)} ms after it was started`,
          "crash",
        );
      }
      if (!hc) break;
      const result = await runCheck(this.runtime, app, status);
      const health =
        this.monitor?.record(app, status, result) ??
        (result === "healthy" ? "healthy" : "starting");
      if (result === "healthy") {
        this.setHealth(app.id, health);
        break;
      }
      if (performance.now() - t0 > deadline) {
        this.setHealth(app.id, "unhealthy");
        throw new StartFailedError(
          app.id,
          `${name} did not become healthy within ${deadline} ms`,
          "health",
        );
      }
    }
    const h = this.historyOf(app.id);
    h.healthySince = this.now();
    h.nextRetryAt = null;
    s.lastError = null;
    if (!hc) this.setHealth(app.id, null);
    this.setPhase(app.id, "running", null);
    this.releaseDependents(app.id);
  }

  // ---- lifecycle operations -------------------------------------------------------

  private operate(
    id: string,
    transitional: Phase,
    work: (app: AppManifest) => Promise<void>,
  ): Promise<LifecycleHandle> {
    return (async () => {
      const app = await this.requireApp(id);
      const s = this.stateOf(id);
      const previous = { phase: s.phase, stopReason: s.stopReason };
      s.opsInFlight++;
      this.setPhase(id, transitional, null);
      const status = this.statusOf(app, await this.desired.get(id));
      const done = this.queue
        .run(id, async () => {
          try {
            await work(app);
          } catch (error) {
            const text = redactText(errorText(error), app.container.env);
            this.log.error(
              { app: id, op: transitional, error: text },
              `${id}: ${transitional} failed`,
            );
            this.setPhase(id, previous.phase, previous.stopReason, text);
          } finally {
            s.opsInFlight--;
          }
          return this.statusOf(app, await this.desired.get(id));
        })
        .finally(() => this.syncMonitor());
      return { status, done };
    })();
  }

  private async setDesired(id: string, desired: Desired): Promise<void> {
    const before = await this.desired.get(id);
    await this.desired.set(id, desired);
    if (before !== desired) this.publish({ type: "desired", app: id, desired, at: this.iso() });
  }

  /** An owner's start or restart is a fresh start: no back-off. */
  private clearBackoff(id: string): void {
    const h = this.historyOf(id);
    h.failures = 0;
    h.nextRetryAt = null;
  }

  /** Desired = running, persisted; starts the app in the background. */
  async start(id: string): Promise<LifecycleHandle> {
    await this.requireApp(id);
    await this.setDesired(id, "running");
    this.clearBackoff(id);
    return this.operate(id, "starting", (app) => this.converge(app, false));
  }

  /** Desired = stopped, persisted; stops the app in the background. It stays stopped until start. */
  async stop(id: string): Promise<LifecycleHandle> {
    await this.requireApp(id);
    await this.setDesired(id, "stopped");
    return this.operate(id, "stopping", async (app) => {
      const name = containerName(app.id);
      const c = await this.runtime.getContainerStatus(name);
      if (c && c.labels[LABEL_APP] === app.id && (c.state === "running" || c.state === "paused")) {
        await this.runtime.stopContainer(name, {
          timeoutSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
        });
      }
      this.stateOf(app.id).container = await this.runtime.getContainerStatus(name);
      this.setHealth(app.id, null);
      this.setPhase(app.id, "stopped", "user");
    });
  }

  /** Desired = running; stops (if running) and starts again, waiting for readiness. */
  async restart(id: string): Promise<LifecycleHandle> {
    await this.requireApp(id);
    await this.setDesired(id, "running");
    this.clearBackoff(id);
    return this.operate(id, "restarting", async (app) => this.converge(app, true));
  }

  /** Brings one app to running now: hooks, image, create or start or recreate, readiness. */
  private async converge(app: AppManifest, restart: boolean): Promise<void> {
    await runPreStartHooks(app, this.hookTimeoutMs);
    const name = containerName(app.id);
    const byId = new Map(this.apps.map((a) => [a.id, a]));
    const blocked = await this.unmetDependency(app, byId);
    if (blocked)
      throw new ReconcilerError("EDEPENDENCY", `${app.id} waits for ${blocked}`, { app: app.id });
    const c = await this.runtime.getContainerStatus(name);
    if (c && c.labels[LABEL_APP] !== app.id)
      throw new ReconcilerError(
        "ENAMETAKEN",
        `the name ${name} is taken by a container archy did not create`,
        { app: app.id },
      );
    const s = this.stateOf(app.id);
    if (!c) return this.createAndStart(app);
    const imageId = await this.runtime.imageId(app.container.image);
    const wanted = await this.wantedHash(app, imageId);
    if (
      (wanted !== null && c.labels[LABEL_HASH] !== wanted) ||
      c.state === "created" ||
      c.state === "paused" ||
      c.state === "unknown"
    ) {
      await this.removeExisting(app);
      return this.createAndStart(app);
    }
    if (c.state === "running" && !restart) {
      s.container = c;
      this.setPhase(app.id, "running", null);
      return;
    }
    if (c.state === "running")
      await this.runtime.stopContainer(name, {
        timeoutSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
      });
    s.restarts++;
    await this.runtime.startContainer(name);
    await this.waitReady(app);
  }

  /**
   * Adds a manifest to the manifests folder (validated first, together with
   * the others) and converges it in the background with the `installing` phase.
   */
  async install(text: string, fileName?: string): Promise<LifecycleHandle> {
    if (!this.manifestsDir) throw new TypeError("install needs a manifestsDir");
    const parsed = parseManifest(text, fileName ?? "manifest.yaml");
    if (!parsed.app) throw new ManifestInvalidError(parsed.errors);
    await this.reload();
    const target = join(this.manifestsDir, `${parsed.app.id}.yaml`);
    const others = this.apps.filter((a) => a.id !== parsed.app!.id && a.file !== target);
    const check = checkAcrossFiles([
      ...others.map((app) => ({ app, errors: [], file: app.file })),
      { ...parsed, app: { ...parsed.app, file: target } },
    ]);
    const mine = check.errors.filter((e) => e.app === parsed.app!.id);
    if (mine.length) throw new ManifestInvalidError(mine);
    await mkdir(this.manifestsDir, { recursive: true });
    const tmp = join(this.manifestsDir, `.${parsed.app.id}.${randomBytes(4).toString("hex")}.tmp`);
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, target);
    await this.reload();
    await this.setDesired(parsed.app.id, "running");
    return this.operate(parsed.app.id, "installing", (app) => this.converge(app, false));
  }

  /** Stops and removes the app's container (its named volumes too with purge), its manifest and its desired state. */
  async remove(id: string, opts: { purge?: boolean } = {}): Promise<LifecycleHandle> {
    const app = await this.requireApp(id);
    return this.operate(id, "removing", async () => {
      await this.removeExisting(app);
      if (opts.purge)
        for (const v of app.container.volumes)
          if (!v.source.startsWith("/")) await this.runtime.removeVolume(v.source);
      if (this.manifestsDir)
        await unlink(app.file).catch((e: NodeJS.ErrnoException) =>
          e.code === "ENOENT" ? undefined : Promise.reject(e),
        );
      await this.desired.forget(id);
      this.stateOf(id).container = null;
      this.setPhase(id, "stopped", "removed");
      await this.reload();
    });
  }

  /** Waits for every queued operation to finish. */
  async idle(): Promise<void> {
    await this.queue.idle();
    if (this.passInFlight) await this.passInFlight;
  }

  // ---- snapshots ---------------------------------------------------------------------

  /** What the daemon persists: manifests, desired states, last observation, running containers. */
  async snapshotState(): Promise<SnapshotState> {
    await this.ensureLoaded();
    const desired = await this.desiredMap();
    return {
      apps: this.apps.map((app) => {
        const s = this.stateOf(app.id);
        const c = s.container;
        return {
          id: app.id,
          desired: desired[app.id] ?? "running",
          phase: s.phase,
          manifest: { file: basename(app.file), source: app.source },
          container: c
            ? { name: c.name, id: c.id, state: c.state, image: c.image, startedAt: c.startedAt }
            : null,
        };
      }),
      containers: (this.lastContainers ?? [])
        .filter((c) => c.state === "running")
        .map((c) => ({
          name: c.name,
          id: c.id,
          image: c.image,
          state: c.state,
          app: c.labels[LABEL_APP] ?? null,
        })),
    };
  }

  /** Whether an observation has succeeded yet (a snapshot before it would lose the running set). */
  hasObserved(): boolean {
    return this.lastContainers !== null;
  }

  /** Sets desired states in bulk (resurrect). */
  async setDesiredStates(entries: Record<string, Desired>): Promise<void> {
    await this.desired.setMany(entries);
  }
}
