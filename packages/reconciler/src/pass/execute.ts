import { join } from "node:path";
import {
  ContainerNotFoundError,
  type Clock,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerStatus,
} from "@archy/runtime-podman";
import type { AppHealth } from "../health/app-health.js";
import type { AppStates, PhaseActor } from "../state/app-state.js";
import { errorCode, errorText, StartFailedError } from "../errors.js";
import type { AppManifest } from "../manifest/index.js";
import { wantedHash } from "./observe.js";
import { containerName, LABEL_HASH, toContainerSpec } from "../manifest/spec.js";
import { StatusPoll } from "./status-poll.js";
import type { StrayReaper } from "./stray-conmon.js";
import type { ActionResult, Logger, PlannedAction, StopReason } from "../types.js";

/** podman's refusal of a create whose name another container holds. */
const NAME_IN_USE = /name "[^"]+" is already in use/;
/** podman's answer about a container whose storage a killed `podman rm` already took. */
const STORAGE_GONE = /getting container from store "[0-9a-f]+": container not known/;

export interface ExecutorOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  states: AppStates;
  health: AppHealth;
  log: Logger;
  /** How long a started container without a health check must stay running to count as started. */
  settleMs: number;
  /** Ends what podman left running for a container it removed (see stray-conmon.ts). */
  reapStray?: StrayReaper;
  /** Every container list a settle's status poll took (see StatusPoll). */
  onList?: (containers: ContainerStatus[]) => void;
  /** Why pulls are refused now (the disk is low), or null. */
  pullsRefused?: () => string | null;
}

/**
 * Runs podman work under a concurrency limit: a pass's slot is held only
 * while podman works, never while an app settles or turns healthy.
 */
export type Slot = <T>(work: () => Promise<T>) => Promise<T>;

/** The result of an action not carried out yet (not ok, no time). */
export const pendingResult = (action: PlannedAction): ActionResult => ({
  app: action.app,
  kind: action.kind,
  reason: action.reason,
  container: action.container,
  ok: false,
  durationMs: 0,
});

/** No limit (a lifecycle operation). */
const direct: Slot = (work) => work();

/** How an action is carried out. */
export interface CarryOptions {
  by: Actor;
  slot?: Slot;
  /** The image's id as the pass observed it (saves asking podman); null or undefined: ask. */
  imageId?: string | null;
}

/**
 * Who carries out the action: a pass, or the owner's operation. A pass never
 * replaces the transitional phase of an operation that began meanwhile (its
 * work waits in the app's queue); the operation sets its own phases.
 */
export type Actor = PhaseActor;

/**
 * Carries out planned actions for one app: ensure the image, create, start,
 * wait until it settles (or turns healthy), stop, recreate. Every outcome is
 * recorded through AppStates; nothing here decides what to do.
 */
export class Executor {
  private readonly runtime: ContainerRuntime;
  private readonly clock: Clock;
  private readonly states: AppStates;
  private readonly poll: StatusPoll;
  /** podman work in flight inside slots (status polls wait for none). */
  private working = 0;

  constructor(private readonly opts: ExecutorOptions) {
    this.runtime = opts.runtime;
    this.clock = opts.clock;
    this.states = opts.states;
    this.poll = new StatusPoll(opts.runtime, opts.clock, {
      busy: () => this.working > 0,
      ...(opts.onList ? { onList: opts.onList } : {}),
    });
  }

  /** Carries out one action; never throws: a failure is in the result and in the app's state. */
  async run(
    app: AppManifest,
    action: PlannedAction,
    opts: Omit<CarryOptions, "by"> = {},
  ): Promise<ActionResult> {
    const t0 = this.clock.now();
    const result = pendingResult(action);
    this.opts.log.info(
      { app: app.id, action: action.kind, reason: action.reason },
      `${app.id}: ${action.kind} (${action.reason})`,
    );
    try {
      await this.carryOut(app, action, { ...opts, by: "pass" });
      result.ok = true;
    } catch (error) {
      result.error = await this.failed(app, action, error);
    }
    result.durationMs = this.clock.now() - t0;
    return result;
  }

  /** Carries out one action and throws its failure (lifecycle operations report it themselves). */
  async carryOut(app: AppManifest, action: PlannedAction, opts: CarryOptions): Promise<void> {
    const name = action.container;
    const { by } = opts;
    const slot = this.counted(opts.slot ?? direct);
    switch (action.kind) {
      case "stop": {
        this.states.progress(app.id, "stopping", by);
        const seen = await slot(async () => {
          await this.stop(app);
          return this.runtime.getContainerStatus(name);
        });
        return this.states.stopped(app.id, seen, by);
      }
      case "create":
        return this.createAndStart(app, by, slot, opts.imageId);
      case "start":
        // An owner's operation keeps its own transitional phase.
        this.states.progress(app.id, "starting", "pass");
        this.states.countRestart(app.id);
        await slot(() => this.runtime.startContainer(name));
        return this.waitReady(app, by);
      case "restart":
        this.states.progress(app.id, "restarting", by);
        this.states.countRestart(app.id);
        await slot(async () => {
          await this.stop(app);
          await this.runtime.startContainer(name);
        });
        // An unhealthy app's restart counts as a failed start for back-off even when it works.
        return this.waitReady(app, by, action.countsAsFailure === true);
      case "recreate":
        this.states.progress(app.id, "restarting", by);
        await slot(() => this.removeExisting(app));
        return this.createAndStart(app, by, slot, opts.imageId);
      case "remove-orphan": // not an app's action: the pass removes orphans itself
        return;
    }
  }

  /** The slot, counting the podman work in flight within it. */
  private counted(slot: Slot): Slot {
    return (work) =>
      slot(async () => {
        this.working++;
        try {
          return await work();
        } finally {
          this.working--;
        }
      });
  }

  /** Records a failed action in the app's state; returns the error as shown. */
  private async failed(app: AppManifest, action: PlannedAction, error: unknown): Promise<string> {
    let text = errorText(error);
    if (action.kind === "stop") text = this.states.stopFailed(app, text);
    else {
      const stopReason: StopReason = StartFailedError.isInstance(error)
        ? error.stopReason
        : "crash";
      text = this.states.failed(app, stopReason, text, errorCode(error));
    }
    const seen = await this.runtime.getContainerStatus(action.container).catch(() => undefined);
    if (seen !== undefined) this.states.setContainer(app.id, seen);
    this.states.exitSeen(app.id);
    return text;
  }

  private stop(app: AppManifest): Promise<{ killed: boolean }> {
    return this.runtime.stopContainer(containerName(app.id), {
      timeoutSeconds: Math.ceil(app.container.stopTimeoutMs / 1000),
    });
  }

  /** Stops and removes the app's container, if there is one. */
  async removeExisting(app: AppManifest): Promise<void> {
    const name = containerName(app.id);
    let current;
    try {
      current = await this.runtime.getContainerStatus(name);
    } catch (error) {
      // A podman killed during `rm` can leave the container in its records but not in its
      // storage: every inspect fails "container not known", and only `rm --force` clears it.
      if (!STORAGE_GONE.test(errorText(error))) throw error;
      this.opts.log.warn(
        { app: app.id, container: name, error: errorText(error) },
        `${app.id}: ${name} is in podman's records but not in its storage (left by a killed podman rm); removing it`,
      );
      return this.runtime.removeContainer(name, { force: true });
    }
    if (!current) return;
    if (current.state === "running") await this.stop(app);
    await this.runtime.removeContainer(name, { force: true });
    const reaped = (await this.opts.reapStray?.(current.id)) ?? [];
    if (reaped.length > 0)
      this.opts.log.warn(
        { app: app.id, container: current.id, pids: reaped },
        `${app.id}: killed the conmon podman left running for the removed container ${current.id.slice(0, 12)} (it held the app's ports)`,
      );
  }

  /** Makes sure the image exists (build or pull per the manifest) and returns its id. */
  private async ensureImage(
    app: AppManifest,
    by: Actor,
    known: string | null | undefined,
  ): Promise<string> {
    const ref = app.container.image;
    const c = app.container;
    // An id the pass saw is trusted; an image it did not see may have been built since.
    let id = known ?? (await this.runtime.imageId(ref));
    if (c.build) {
      if (id === null) {
        this.states.progress(app.id, "installing", by);
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
      const refused = this.opts.pullsRefused?.() ?? null;
      // Low on disk: no pull; an image that is here already does (pull: always).
      if (refused !== null && id === null)
        throw new StartFailedError(app.id, `not pulling ${ref}: ${refused}`, "crash");
      if (refused === null) {
        this.states.progress(app.id, "installing", by);
        await this.runtime.pullImage(ref);
        id = await this.runtime.imageId(ref);
      }
    }
    if (id === null)
      throw new StartFailedError(
        app.id,
        `image ${ref} is absent${c.pull === "never" && !c.build ? " and pull is never" : ""}`,
        "crash",
      );
    return id;
  }

  /** Ensures the image, then creates and starts the container in one podman process (`run -d`). */
  private async createAndStart(
    app: AppManifest,
    by: Actor,
    slot: Slot,
    knownImageId: string | null | undefined,
  ): Promise<void> {
    const spec = toContainerSpec(app);
    await slot(async () => {
      const imageId = await this.ensureImage(app, by, knownImageId);
      spec.labels = { ...spec.labels, [LABEL_HASH]: (await wantedHash(app, imageId))! };
      this.states.progress(app.id, "starting", by);
      await this.runFreeingName(app, spec);
    });
    await this.waitReady(app, by);
  }

  /**
   * `podman run -d`. When podman says the name is in use but lists no
   * container of that name, the holder is one a kill left half-created
   * (podman died between reserving the name in its storage and recording
   * the container): it is invisible to `ps -a` and `inspect` and would refuse
   * every create for ever. It is removed (`rm --force` removes such storage
   * containers) and the run tried once more. A container podman does list is
   * never touched here: the planner decides about it.
   */
  private async runFreeingName(app: AppManifest, spec: ContainerSpec): Promise<void> {
    try {
      await this.runtime.runContainer(spec);
      return;
    } catch (error) {
      if (!NAME_IN_USE.test(errorText(error))) throw error;
      if ((await this.runtime.getContainerStatus(spec.name)) !== null) throw error;
      this.opts.log.warn(
        { app: app.id, container: spec.name, error: errorText(error) },
        `${app.id}: the name ${spec.name} is held by a container podman does not list (left half-created by a kill); removing it`,
      );
    }
    try {
      await this.runtime.removeContainer(spec.name, { force: true });
    } catch (error) {
      if (!ContainerNotFoundError.isInstance(error)) throw error;
      // Freed meanwhile: the run below takes the name.
    }
    await this.runtime.runContainer(spec);
  }

  /**
   * A start counts only if the container is still running after it, and
   * healthy within start_period + retries x interval when a check is declared.
   */
  private async waitReady(app: AppManifest, by: Actor, countFailure = false): Promise<void> {
    const name = containerName(app.id);
    const hc = app.container.healthcheck;
    const t0 = this.clock.now();
    const deadline = hc
      ? hc.startPeriodMs + hc.retries * hc.intervalMs + hc.timeoutMs
      : this.opts.settleMs;
    for (let first = true; ; first = false) {
      // One shared `podman ps` answers for every app waiting at about that time.
      const status = await this.poll.status(
        name,
        hc ? (first ? 100 : Math.min(hc.intervalMs, 500)) : deadline,
      );
      this.states.setContainer(app.id, status);
      if (!status || status.state !== "running") {
        const code = status?.exitCode;
        // Killed (SIGKILL) as it started: for memory, when an inspect says so.
        const oom =
          code === 137 &&
          (await this.runtime.getContainerStatus(name).catch(() => null))?.oomKilled === true;
        if (oom) this.states.oomKilled(app.id);
        throw new StartFailedError(
          app.id,
          `${name} ${oom ? "was killed for memory (OOM)" : status ? `exited${code !== null && code !== undefined ? ` with code ${code}` : ""}` : "disappeared"} ${this.clock.now() - t0} ms after it was started`,
          oom ? "oom" : "crash",
        );
      }
      if (!hc) break;
      const health = await this.opts.health.check(app, status);
      if (health === "healthy") {
        this.states.setHealth(app.id, health);
        break;
      }
      if (this.clock.now() - t0 > deadline) {
        this.states.setHealth(app.id, "unhealthy");
        throw new StartFailedError(
          app.id,
          `${name} did not become healthy within ${deadline} ms`,
          "health",
        );
      }
    }
    if (countFailure) this.states.countFailure(app);
    this.states.started(app, by);
    this.opts.health.healthy(app.id);
  }
}
