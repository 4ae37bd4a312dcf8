import { ownContainer } from "../state/app-state.js";
import type { Core } from "../core.js";
import { errorCode, errorText, ReconcilerError } from "../errors.js";
import { runPreStartHooks } from "../pass/hooks.js";
import { completeRemoval } from "./removals.js";
import type { AppManifest } from "../manifest/index.js";
import { redactText } from "../manifest/spec.js";
import type { Desired, LifecycleHandle, Phase } from "../types.js";
import { decideNow, observeOne, type OneAppParts } from "../pass/one-app.js";
import { applyUpdate, type UpdateOptions } from "../update/apply.js";
import { updateTarget } from "../update/target.js";

/** What the owner's operations use. */
export type LifecycleParts = OneAppParts &
  Pick<
    Core,
    | "bus"
    | "executor"
    | "hookTimeoutMs"
    | "log"
    | "queue"
    | "updates"
    | "recoverUpdates"
    | "available"
    | "pullsRefused"
  >;

/**
 * The owner's operations (SPEC section 5, "Lifecycle phases"): each persists
 * the intent, publishes its transitional phase at once and answers with it;
 * the work runs in the app's queue. A failure reverts the phase, with the
 * error recorded.
 */
export class Lifecycle {
  constructor(private readonly core: LifecycleParts) {}

  /** Desired = running, persisted; starts the app in the background. */
  async start(id: string): Promise<LifecycleHandle> {
    await this.core.manifests.require(id);
    await this.setDesired(id, "running");
    this.core.states.clearBackoff(id);
    return this.operate(id, "starting", (app) => this.converge(app, "start"));
  }

  /** Desired = stopped, persisted; stops the app in the background. It stays stopped until start. */
  async stop(id: string): Promise<LifecycleHandle> {
    await this.core.manifests.require(id);
    await this.setDesired(id, "stopped");
    return this.operate(id, "stopping", (app) => this.converge(app, "stop"));
  }

  /** Desired = running; stops (if running) and starts again, waiting for readiness. */
  async restart(id: string): Promise<LifecycleHandle> {
    await this.core.manifests.require(id);
    await this.setDesired(id, "running");
    this.core.states.clearBackoff(id);
    return this.operate(id, "restarting", (app) => this.converge(app, "restart"));
  }

  /**
   * Pulls the app's image and, when it changed, replaces the container
   * through the gate (update/apply.ts); a failed gate rolls back and is the
   * operation's failure. Desired = running. A `to` that names no image is
   * refused before anything changes (EBADREF).
   */
  async update(id: string, opts: UpdateOptions = {}): Promise<LifecycleHandle> {
    const current = await this.core.manifests.require(id);
    if (opts.to !== undefined) updateTarget(current.container.image, opts.to, id);
    await this.setDesired(id, "running");
    return this.operate(id, "updating", async (app) => {
      await this.core.recoverUpdates();
      await runPreStartHooks(app, this.core.hookTimeoutMs);
      await applyUpdate(this.core, app, opts);
    });
  }

  /**
   * Adds a manifest to the manifests folder (validated first, together with
   * the others) and converges it in the background with the `installing` phase.
   */
  async install(text: string, fileName?: string): Promise<LifecycleHandle> {
    const id = await this.core.manifests.install(text, fileName);
    await this.setDesired(id, "running");
    return this.operate(id, "installing", (app) => this.converge(app, "start"));
  }

  /**
   * Stops and removes the app's container (its named volumes too with purge),
   * its manifest and its desired state. The removal is persisted before the
   * answer: a daemon that dies before it ends leaves it to the next pass.
   */
  async remove(id: string, opts: { purge?: boolean } = {}): Promise<LifecycleHandle> {
    const { core } = this;
    const purge = opts.purge === true;
    await core.manifests.require(id);
    await core.desired.beginRemoval(id, { purge });
    return this.operate(id, "removing", (app) => completeRemoval(core, app, purge));
  }

  /** Persists an intent, publishing it when it changes. */
  async setDesired(id: string, desired: Desired): Promise<void> {
    await this.setDesiredStates({ [id]: desired });
  }

  /** Persists several intents at once (resurrect), publishing each that changes. */
  async setDesiredStates(entries: Record<string, Desired>): Promise<void> {
    const before = { ...(await this.core.desired.load()) };
    await this.core.desired.setMany(entries);
    for (const [app, desired] of Object.entries(entries))
      if ((before[app] ?? "running") !== desired)
        this.core.bus.publish({ type: "desired", app, desired, at: this.core.states.iso() });
  }

  private async operate(
    id: string,
    transitional: Phase,
    work: (app: AppManifest) => Promise<void>,
  ): Promise<LifecycleHandle> {
    const { core } = this;
    const app = await core.manifests.require(id);
    core.states.begin(id, transitional);
    const status = core.states.status(app, await core.desired.get(id));
    const done = core.queue
      .run(id, async () => {
        let failure: { error: string; code?: string } | undefined;
        try {
          await work(app);
        } catch (error) {
          const text = redactText(errorText(error), app.container.env);
          const code = errorCode(error);
          core.log.error(
            { app: id, op: transitional, error: text, ...(code ? { code } : {}) },
            `${id}: ${transitional} failed`,
          );
          failure = { error: text, ...(code ? { code } : {}) };
        } finally {
          core.states.end(id, failure);
        }
        // The manifest as it is now: an update --to changed its image.
        const now = core.manifests.valid().find((a) => a.id === id) ?? app;
        return core.states.status(now, await core.desired.get(id));
      })
      .finally(() => core.health.sync());
    return { status, done };
  }

  /**
   * Brings one app to what the owner asked, now: one look at its container,
   * the planner's decision for it (`decideNow`) with the owner's request
   * overriding restart policy and back-off, the executor carries it out.
   */
  private async converge(app: AppManifest, op: "start" | "restart" | "stop"): Promise<void> {
    const { core } = this;
    if (op !== "stop") {
      await runPreStartHooks(app, core.hookTimeoutMs);
      const blocked = await core.health.unmetDependency(app);
      if (blocked)
        throw new ReconcilerError("EDEPENDENCY", `${app.id} waits for ${blocked}`, { app: app.id });
    }
    const desired: Desired = op === "stop" ? "stopped" : "running";
    const observed = await observeOne(core, app, { hash: op !== "stop" });
    const decision = await decideNow(core, app, observed, desired, op === "stop" ? undefined : op);
    if (decision.kind === "act")
      return core.executor.carryOut(app, decision.action, { by: "owner" });
    const own = ownContainer(app, observed.container);
    core.states.setContainer(app.id, own);
    const skip = decision.kind === "skip" ? decision.skip : null;
    if (skip?.failure)
      throw new ReconcilerError(observed.configError ? "ESTARTFAILED" : "ENAMETAKEN", skip.reason, {
        app: app.id,
      });
    if (op !== "stop" && own?.state !== "running")
      throw new ReconcilerError("ESTARTFAILED", skip?.reason ?? `${app.id} is not running`, {
        app: app.id,
      });
    core.states.settle(app, observed, desired, skip, "owner");
  }
}
