import { ownContainer } from "../state/app-state.js";
import type { Core } from "../core.js";
import { errorCode, errorText, ReconcilerError } from "../errors.js";
import { runPreStartHooks } from "../pass/hooks.js";
import { completeRemoval } from "./removals.js";
import type { AppManifest } from "../manifest/index.js";
import { wantedHash } from "../pass/observe.js";
import { plan as planPass } from "../pass/planner.js";
import { containerName, redactText } from "../manifest/spec.js";
import type { Desired, LifecycleHandle, ObservedApp, Phase } from "../types.js";

/**
 * The owner's operations (SPEC section 5, "Lifecycle phases"): each persists
 * the intent, publishes its transitional phase at once and answers with it;
 * the work runs in the app's queue. A failure reverts the phase, with the
 * error recorded.
 */
export class Lifecycle {
  constructor(private readonly core: Core) {}

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
    const previous = core.states.begin(id, transitional);
    const status = core.states.status(app, await core.desired.get(id));
    const done = core.queue
      .run(id, async () => {
        try {
          await work(app);
        } catch (error) {
          const text = redactText(errorText(error), app.container.env);
          const code = errorCode(error);
          core.log.error(
            { app: id, op: transitional, error: text, ...(code ? { code } : {}) },
            `${id}: ${transitional} failed`,
          );
          core.states.setPhase(id, previous.phase, previous.stopReason, text, code);
        } finally {
          core.states.end(id);
        }
        return core.states.status(app, await core.desired.get(id));
      })
      .finally(() => core.health.sync());
    return { status, done };
  }

  /**
   * Brings one app to what the owner asked, now: the planner decides from a
   * fresh look at its container (one inspect), with the owner's request
   * overriding restart policy and back-off; the executor carries it out.
   */
  private async converge(app: AppManifest, op: "start" | "restart" | "stop"): Promise<void> {
    const { core } = this;
    if (op !== "stop") {
      await runPreStartHooks(app, core.hookTimeoutMs);
      const blocked = await core.health.unmetDependency(app);
      if (blocked)
        throw new ReconcilerError("EDEPENDENCY", `${app.id} waits for ${blocked}`, { app: app.id });
    }
    const container = await core.runtime.getContainerStatus(containerName(app.id));
    const needsHash = op !== "stop" && container !== null;
    const observed: Record<string, ObservedApp> = {
      [app.id]: {
        container,
        wantedHash: needsHash
          ? await wantedHash(app, await core.runtime.imageId(app.container.image))
          : null,
        health: container ? core.health.view(app, container) : null,
      },
    };
    // Its dependencies as last seen (running and healthy: checked above).
    const deps = core.manifests.valid().filter((a) => app.dependsOn.includes(a.id));
    for (const dep of deps) {
      const s = core.states.get(dep.id);
      observed[dep.id] = { container: s.container, wantedHash: null, health: s.health };
    }
    const plan = planPass({
      apps: [...deps, app],
      observed,
      desired: { [app.id]: op === "stop" ? "stopped" : "running" },
      now: core.clock.now(),
      history: { [app.id]: core.states.history(app.id) },
      ...(op === "stop" ? {} : { requested: { [app.id]: op } }),
    });
    const action = plan.actions.find((a) => a.app === app.id);
    if (action) return core.executor.carryOut(app, action, { by: "owner" });
    const skip = plan.skipped.find((s) => s.app === app.id);
    const own = ownContainer(app, container);
    core.states.setContainer(app.id, own);
    if (op === "stop") {
      core.states.setHealth(app.id, null);
      return core.states.setPhase(app.id, "stopped", "user");
    }
    if (skip?.failure) throw new ReconcilerError("ENAMETAKEN", skip.reason, { app: app.id });
    if (own?.state !== "running")
      throw new ReconcilerError("ESTARTFAILED", skip?.reason ?? `${app.id} is not running`, {
        app: app.id,
      });
    core.states.setPhase(app.id, "running", null);
    core.states.setError(app.id, null); // the owner's start succeeded: an earlier failure is over
  }
}
