import type { ContainerEvent, ContainerStatus } from "@archy/runtime-podman";
import { createCore, type Core, type ReconcilerOptions } from "./core.js";
import { Lifecycle } from "./operations/lifecycle.js";
import { onDied } from "./operations/on-died.js";
import { retryAlone } from "./operations/retry.js";
import type { AppManifest, ManifestError } from "./manifest/index.js";
import { planOnly, refresh, runPass, type PassOptions } from "./pass/pass.js";
import { recoverAfterCrash, type RecoveryReport } from "./operations/recovery.js";
import { resurrect, type ResurrectReport } from "./operations/resurrect.js";
import { snapshotStateOf, type SnapshotState } from "./state/snapshot-state.js";
import type { DigestLookup, UpdateCheck } from "./update/check.js";
import type { UpdateOptions } from "./update/apply.js";
import { updateView } from "./update/view.js";
import { checkForUpdates } from "./update/watch.js";
import type {
  AppStatus,
  LifecycleHandle,
  Plan,
  ReconcileReport,
  ReconcilerEvent,
} from "./types.js";

export type { ReconcilerOptions } from "./core.js";

/**
 * Reconciles apps toward their desired state through a ContainerRuntime: the
 * facade over the rooms of the pass (observe, plan, execute, app state), the
 * owner's lifecycle operations and the snapshot projection.
 */
export class Reconciler {
  readonly runtime: Core["runtime"];
  readonly stateDir: string;
  readonly manifestsDir: string | undefined;
  private readonly core: Core;
  private readonly lifecycle: Lifecycle;
  private passInFlight: Promise<ReconcileReport> | null = null;

  constructor(opts: ReconcilerOptions) {
    this.core = createCore(opts);
    this.lifecycle = new Lifecycle(this.core);
    this.runtime = opts.runtime;
    this.stateDir = opts.stateDir;
    this.manifestsDir = opts.manifestsDir;
  }

  subscribe(listener: (e: ReconcilerEvent) => void): () => void {
    return this.core.bus.subscribe(listener);
  }

  // ---- passes --------------------------------------------------------------------

  /**
   * One reconcile pass over every app. Never throws for an app's sake: each
   * failure is recorded in the report. Concurrent calls share one pass.
   */
  reconcileAll(opts: PassOptions = {}): Promise<ReconcileReport> {
    this.passInFlight ??= runPass(this.core, opts).finally(() => {
      this.passInFlight = null;
    });
    return this.passInFlight;
  }

  /** What a pass would do now; changes nothing (no hooks run, no podman call but the 2 observations). */
  plan(opts: PassOptions = {}): Promise<{ plan: Plan; manifestErrors: ManifestError[] }> {
    return planOnly(this.core, opts);
  }

  /** Observes without acting (one `podman ps`): phases, containers and orphans. For read-only views. */
  refresh(): Promise<void> {
    return refresh(this.core);
  }

  /**
   * A container of an app died: acted on at once from the event, without a
   * full pass when none is needed. Resolves whether a pass is still needed.
   */
  async onDied(event: ContainerEvent): Promise<boolean> {
    return onDied(this.core, event);
  }

  /** When a podman call last failed because of podman itself; null when none did. */
  podmanTroubleAt(): number | null {
    return this.core.podmanTroubleAt();
  }

  /** The earliest time a backed-off app may be retried; null when none waits. */
  nextWakeAt(): number | null {
    return this.core.states.nextWakeAt();
  }

  /** Starts running declared health checks on their interval until `signal` aborts. */
  startHealthMonitor(signal?: AbortSignal): void {
    this.core.health.start(signal);
  }

  stopHealthMonitor(): void {
    this.core.health.stop();
  }

  /**
   * While the loop runs: an app whose back-off ends is retried alone, on its
   * own timer (its hooks, one inspect, its decision), not through a full pass.
   */
  startRetries(): void {
    this.core.states.backoff.arm((id) => void retryAlone(this.core, id));
  }

  stopRetries(): void {
    this.core.states.backoff.disarm();
  }

  // ---- what is known -----------------------------------------------------------------

  /** Re-reads the manifests folder (or the fixed app list). */
  reload(): Promise<{ apps: AppManifest[]; errors: ManifestError[] }> {
    return this.core.manifests.reload();
  }

  /** The valid apps as last loaded. */
  getApps(): AppManifest[] {
    return [...this.core.manifests.valid()];
  }

  getManifestErrors(): ManifestError[] {
    return [...this.core.manifests.manifestErrors()];
  }

  /** Every app's status, in dependency order. */
  async status(): Promise<AppStatus[]> {
    await this.core.manifests.ensureLoaded();
    const desired = await this.core.desired.load();
    return Promise.all(
      this.core.manifests
        .valid()
        .map((app) => this.withUpdate(this.core.states.status(app, desired[app.id] ?? "running"))),
    );
  }

  async appStatus(id: string): Promise<AppStatus> {
    const app = await this.core.manifests.require(id);
    return this.withUpdate(this.core.states.status(app, await this.core.desired.get(id)));
  }

  /** The status with where its updates stand (see UpdateView). */
  private async withUpdate(status: AppStatus): Promise<AppStatus> {
    status.update = await updateView(this.core, status);
    return status;
  }

  /**
   * One round of the daemon's update checks (update/watch.ts): apps with
   * policy notify or auto; auto ones are updated inside their window.
   */
  checkForUpdates(lookup: DigestLookup): Promise<UpdateCheck[]> {
    return checkForUpdates({ core: this.core, lookup, update: (id) => this.update(id) });
  }

  /** Containers labelled for apps with no manifest, at the last observation. */
  orphans(): ContainerStatus[] {
    return [...this.core.last.orphans];
  }

  /** Problems with archy's own state the owner should know of (a corrupt desired.json moved aside, a low disk). */
  async notices(): Promise<string[]> {
    await this.core.desired.load();
    const notice = this.core.desired.notice();
    return [
      ...(notice ? [notice] : []),
      ...(this.core.pullsRefused ? [`pulls are refused: ${this.core.pullsRefused}`] : []),
    ];
  }

  /**
   * Refuses pulls (a start that needs an image it has not, an update) while
   * `reason` is given: the daemon found the disk low. Null lets them go again.
   */
  refusePulls(reason: string | null): void {
    this.core.pullsRefused = reason;
  }

  // ---- the owner's operations ----------------------------------------------------------

  start(id: string): Promise<LifecycleHandle> {
    return this.lifecycle.start(id);
  }

  stop(id: string): Promise<LifecycleHandle> {
    return this.lifecycle.stop(id);
  }

  restart(id: string): Promise<LifecycleHandle> {
    return this.lifecycle.restart(id);
  }

  /** A newer image through the gate, rolled back when it fails (update/apply.ts). */
  update(id: string, opts: UpdateOptions = {}): Promise<LifecycleHandle> {
    return this.lifecycle.update(id, opts);
  }

  /** Clears the images an app's failed gates blocked; resolves how many were. */
  async unblockUpdates(id: string): Promise<number> {
    await this.core.manifests.require(id);
    return this.core.updates.unblock(id);
  }

  install(text: string, fileName?: string): Promise<LifecycleHandle> {
    return this.lifecycle.install(text, fileName);
  }

  remove(id: string, opts: { purge?: boolean } = {}): Promise<LifecycleHandle> {
    return this.lifecycle.remove(id, opts);
  }

  /** Restores a snapshot's manifests and desired states, then converges (see `resurrect`). */
  resurrect(state: SnapshotState): Promise<ResurrectReport> {
    // A pass already in flight read the manifests before the restore: a fresh one follows it.
    const freshPass = async () => {
      await this.passInFlight;
      return this.reconcileAll();
    };
    return resurrect(this.core, this.lifecycle, freshPass, state);
  }

  /**
   * After a crash or a reboot, before the first pass: starts every container
   * that was running at snapshot time and is not now, managed or not, except
   * apps the owner stopped.
   */
  async recover(snapshot: SnapshotState): Promise<RecoveryReport> {
    return recoverAfterCrash({
      runtime: this.core.runtime,
      snapshot,
      // An app whose removal is pending stays down: the first pass finishes removing it.
      desired: {
        ...(await this.core.desired.load()),
        ...Object.fromEntries(
          Object.keys(await this.core.desired.pendingRemovals()).map((id) => [
            id,
            "stopped" as const,
          ]),
        ),
      },
      concurrency: this.core.concurrency,
      logger: this.core.log,
    });
  }

  /** Waits for every queued operation and the pass in flight to finish. */
  async idle(): Promise<void> {
    await this.core.queue.idle();
    if (this.passInFlight) await this.passInFlight;
  }

  // ---- snapshots ---------------------------------------------------------------------------

  /** What the daemon persists: manifests, desired states, last observation, running containers. */
  snapshotState(): Promise<SnapshotState> {
    return snapshotStateOf(this.core);
  }

  /** Whether an observation has succeeded yet (a snapshot before it would lose the running set). */
  hasObserved(): boolean {
    return this.core.last.containers !== null;
  }
}
