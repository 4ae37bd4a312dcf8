import pLimit from "p-limit";
import type { ContainerStatus } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import { errorCode, errorText } from "../errors.js";
import { applyEdit } from "../update/edit.js";
import { runPreStartHooks, type HookError } from "./hooks.js";
import type { AppManifest, ManifestError } from "../manifest/index.js";
import { markOomKills } from "./oom.js";
import {
  observe,
  observeApp,
  orphansAmong,
  resolveImageId,
  imageIdFor,
  containerOf,
  type Observation,
} from "./observe.js";
import { decideApp, plan as planPass, skipOf, type PlanInput } from "./planner.js";
import { decideNow } from "./one-app.js";
import { finishPendingRemovals } from "../operations/removals.js";
import { LABEL_APP } from "../manifest/spec.js";
import {
  emptyReport,
  type Desired,
  type ObservedApp,
  type Plan,
  type ReconcileReport,
} from "../types.js";

/** How the error of a pass whose observation of podman failed begins. */
export const OBSERVE_FAILED = "cannot observe podman";

export interface PassOptions {
  removeOrphans?: boolean;
}

/** What one pass works from: every app's desired state and observation, and what podman reported. */
interface PassInput {
  apps: AppManifest[];
  desired: Record<string, Desired>;
  observed: Record<string, ObservedApp>;
  containers: ContainerStatus[];
  /** Apps whose pre-start hook failed in this pass. */
  hookFailures: Map<string, HookError>;
  /** Each app's version (AppStates.version) when it was observed: a later one makes the plan stale. */
  versions: Record<string, number>;
}

/**
 * One reconcile pass: observe (one `ps`, one `images`), run the pre-start
 * hooks and hash, record what was seen, plan, execute in dependency order,
 * remove orphans when asked. Never throws for an app's sake: every failure is
 * in the report.
 */
export async function runPass(core: Core, opts: PassOptions = {}): Promise<ReconcileReport> {
  const started = core.clock.now();
  const report = emptyReport(core.states.iso(started));
  if (core.desired.mayHavePendingRemovals()) await finishPendingRemovals(core);
  try {
    await core.recoverUpdates();
  } catch (error) {
    // An app whose update a crash cut may have its old container renamed: no pass before it is whole.
    report.error = `cannot finish or undo an update a crash cut: ${errorText(error)}`;
    core.log.error({ err: report.error }, "pass skipped");
    report.durationMs = core.clock.now() - started;
    return report;
  }
  const seen = await loadAndObserve(core, report);
  if (seen) {
    const input = await prepare(core, seen.observation, seen.versions);
    core.last.observed = input.observed;
    // An app acted on since it was observed (an operation, a died event) is newer than this view.
    for (const app of input.apps)
      if (!isStale(core, input, app.id))
        core.states.observed(app, input.observed[app.id]!, desiredOf(input.desired, app.id));
    const plan = planPass({
      ...planInput(core, input),
      removeOrphans: opts.removeOrphans ?? false,
    });
    await executePlan(core, plan, input, report);
    const removed = new Set(await removeOrphans(core, plan, report));
    // What is left: an orphan removed now is no longer one.
    core.last.orphans = plan.orphans.filter((o) => !removed.has(o.name));
    report.orphans = core.last.orphans.map((o) => ({
      name: o.name,
      app: o.labels[LABEL_APP] ?? "",
    }));
    if (report.actions.length > 0)
      // What the pass changed is part of the running set a snapshot must hold.
      core.last.containers = await core.runtime.listContainers().catch(() => core.last.containers);
    core.health.sync();
  }
  report.durationMs = core.clock.now() - started;
  core.bus.publish({ type: "pass", report, at: core.states.iso() });
  return report;
}

/**
 * Reads the manifests and observes podman; null (with the reason in the
 * report) when either fails. Each app's version (AppStates.version) is taken
 * just before the observation: whatever acts on an app after it makes the
 * pass's view of that app stale.
 */
async function loadAndObserve(
  core: Core,
  report: ReconcileReport,
): Promise<{ observation: Observation; versions: Record<string, number> } | null> {
  try {
    await core.manifests.reload();
  } catch (error) {
    report.error = `cannot read manifests: ${errorText(error)}`;
    return null;
  }
  report.manifestErrors = core.manifests.manifestErrors();
  const apps = core.manifests.valid();
  const versions = Object.fromEntries(apps.map((a) => [a.id, core.states.version(a.id)]));
  try {
    const observation = await observe(core.runtime, core);
    report.observed = true;
    core.last.containers = observation.containers;
    const ofApps = observation.containers.filter((c) => c.labels[LABEL_APP] !== undefined);
    report.exits = ofApps.flatMap((c) =>
      c.state === "exited" && c.finishedAt !== null
        ? [{ id: c.id, name: c.name, at: c.finishedAt }]
        : [],
    );
    report.starts = ofApps.flatMap((c) =>
      c.state === "running" && c.startedAt !== null
        ? [{ id: c.id, name: c.name, at: c.startedAt }]
        : [],
    );
    return { observation, versions };
  } catch (error) {
    report.error = `${OBSERVE_FAILED}: ${errorText(error)}`;
    const code = errorCode(error);
    if (code !== undefined) report.errorCode = code;
    core.log.error({ err: report.error }, "observation failed; nothing changed");
    return null;
  }
}

/** Pre-start hooks (apps desired running, not under an operation), then each app's wanted hash: bounded, in parallel. */
async function prepare(
  core: Core,
  observation: Observation,
  versions: Record<string, number>,
): Promise<PassInput> {
  const apps = core.manifests.valid();
  const desired = await core.desired.load();
  const limit = pLimit(core.concurrency);
  const hookFailures = new Map<string, HookError>();
  const observed: Record<string, ObservedApp> = {};
  await Promise.all(
    apps.map((app) =>
      limit(async () => {
        if (
          desiredOf(desired, app.id) === "running" &&
          app.hooks.preStart.length > 0 &&
          !core.states.busy(app.id)
        )
          await runPreStartHooks(app, core.hookTimeoutMs).catch((e: HookError) =>
            hookFailures.set(app.id, e),
          );
        const imageId = await resolveImageId(core.runtime, observation.images, app.container.image);
        observed[app.id] = await observeApp(app, observation.containers, imageId, (a, c) =>
          core.health.view(a, c),
        );
        const rejected = await core.updates.rejection(app.id);
        if (rejected) observed[app.id]!.rejectedEdit = rejected;
      }),
    ),
  );
  return { apps, desired, observed, containers: observation.containers, hookFailures, versions };
}

function planInput(
  core: Core,
  input: Pick<PassInput, "apps" | "observed" | "desired" | "containers">,
): PlanInput {
  return {
    apps: input.apps,
    observed: input.observed,
    desired: input.desired,
    now: core.clock.now(),
    history: Object.fromEntries(input.apps.map((a) => [a.id, core.states.history(a.id)])),
    containers: input.containers,
    invalidIds: core.manifests.invalidIds(),
  };
}

/** Why a pass leaves an app that was acted on after the pass observed it. */
const ACTED_MEANWHILE = "an operation or a died event came meanwhile";

/**
 * Whether an operation, a died event or a retry acted on the app since the
 * pass observed it: the pass's view of it is older than AppStates', so it
 * neither records, settles nor acts on it (the next pass looks again).
 */
const isStale = (core: Core, input: Pick<PassInput, "versions">, id: string) =>
  core.states.version(id) !== input.versions[id];

const desiredOf = (desired: Record<string, Desired>, id: string): Desired =>
  desired[id] ?? "running";

/**
 * Carries out a plan: each app once its dependencies are done, bounded; the
 * last word on each app goes to AppStates and the report.
 */
async function executePlan(
  core: Core,
  plan: Plan,
  input: PassInput,
  report: ReconcileReport,
): Promise<void> {
  const limit = pLimit(core.concurrency);
  const byId = new Map(input.apps.map((a) => [a.id, a]));
  const actions = new Map(
    plan.actions.filter((a) => a.kind !== "remove-orphan").map((a) => [a.app, a]),
  );
  const skips = new Map(plan.skipped.map((s) => [s.app, s]));
  const done = new Map<string, Promise<void>>();

  const actOn = async (app: AppManifest): Promise<void> => {
    const desired = desiredOf(input.desired, app.id);
    const obs = input.observed[app.id]!;
    const stale = () => {
      if (!isStale(core, input, app.id)) return false;
      report.skipped.push({ app: app.id, reason: ACTED_MEANWHILE, stopReason: null });
      return true;
    };
    if (stale()) return;
    if (core.states.busy(app.id)) {
      report.skipped.push({ app: app.id, reason: "an operation is in progress", stopReason: null });
      return;
    }
    let action = actions.get(app.id);
    if (!action && skips.get(app.id)?.stopReason === "backoff" && !core.states.backingOff(app.id)) {
      // Released from its back-off during this pass (a dependency came back): decided again.
      const again = await decideNow(core, app, obs, desired);
      if (again.kind === "act") {
        action = again.action;
        skips.delete(app.id);
      }
    }
    const wantsStart = action !== undefined && action.kind !== "stop";
    const hookError = input.hookFailures.get(app.id);
    if (hookError) {
      const text = hookError.message;
      report.failures.push({ app: app.id, error: text });
      if (wantsStart || core.states.get(app.id).container?.state !== "running")
        return void core.states.failed(app, "hook", text);
      core.states.setError(app.id, text); // running app, failing hook: the container is left as it is
    }
    if (wantsStart) {
      const blocked = await core.health.unmetDependency(app);
      if (blocked) {
        if (stale()) return;
        report.skipped.push({
          app: app.id,
          reason: `waiting for ${blocked}`,
          stopReason: "dependency",
        });
        return core.states.settle(app, obs, desired, {
          app: app.id,
          reason: `waiting for ${blocked}`,
          stopReason: "dependency",
        });
      }
    }
    if (action) {
      const result = await core.queue.run(app.id, async () =>
        isStale(core, input, app.id)
          ? null
          : action.gated && obs.imageId
            ? applyEdit(core, app, action, obs.imageId, obs.wantedHash)
            : core.executor.run(app, action, { slot: limit, imageId: obs.imageId }),
      );
      if (!result) {
        // An operation or a died event came first (the work waited in the app's queue).
        report.skipped.push({ app: app.id, reason: ACTED_MEANWHILE, stopReason: null });
        return;
      }
      report.actions.push(result);
      if (!result.ok) report.failures.push({ app: app.id, error: result.error ?? "failed" });
      return;
    }
    if (stale()) return;
    const skip = skips.get(app.id) ?? null;
    if (!skip) report.converged.push(app.id);
    else {
      report.skipped.push({ app: skip.app, reason: skip.reason, stopReason: skip.stopReason });
      if (skip.failure) report.failures.push({ app: app.id, error: skip.reason });
    }
    core.states.settle(app, obs, desired, skip);
  };

  for (const id of plan.order) {
    const app = byId.get(id);
    if (!app) continue;
    // Dependencies first: they are earlier in plan.order.
    const deps = app.dependsOn.flatMap((d) => done.get(d) ?? []);
    done.set(
      id,
      Promise.all(deps).then(() => actOn(app)),
    );
  }
  await Promise.all(done.values());
}

/** Removes the orphans the plan names (only with --remove-orphans); returns the containers removed. */
async function removeOrphans(core: Core, plan: Plan, report: ReconcileReport): Promise<string[]> {
  const removed: string[] = [];
  for (const orphan of plan.actions.filter((a) => a.kind === "remove-orphan")) {
    const t0 = core.clock.now();
    const { kind, app, reason, container } = orphan;
    try {
      await core.runtime.removeContainer(container, { force: true });
      removed.push(container);
      report.actions.push({
        app,
        kind,
        reason,
        container,
        ok: true,
        durationMs: core.clock.now() - t0,
      });
    } catch (e) {
      const error = errorText(e);
      report.actions.push({
        app,
        kind,
        reason,
        container,
        ok: false,
        durationMs: core.clock.now() - t0,
        error,
      });
      report.failures.push({ app, error });
    }
  }
  return removed;
}

/**
 * Observes without acting (one `podman ps`): phases, containers and orphans
 * as podman reports them. No hook runs, nothing changes. For read-only views.
 */
export async function refresh(core: Core): Promise<void> {
  await core.manifests.reload();
  const desired = await core.desired.load();
  const containers = await core.runtime.listContainers();
  await markOomKills(core, containers);
  core.last.containers = containers;
  const apps = core.manifests.valid();
  core.last.orphans = orphansAmong(containers, [
    ...apps.map((a) => a.id),
    ...core.manifests.invalidIds(),
  ]);
  for (const app of apps) {
    const c = containerOf(containers, app);
    const obs: ObservedApp = {
      container: c,
      wantedHash: null,
      health: c ? await core.health.probe(app, c) : null,
    };
    core.states.seen(app, obs);
    const decision = decideApp({
      app,
      observed: obs,
      desired: desiredOf(desired, app.id),
      now: core.clock.now(),
      history: core.states.history(app.id),
    });
    core.states.settle(app, obs, desiredOf(desired, app.id), skipOf(decision));
  }
}

/** What a pass would do now; changes nothing (no hooks run, no podman call but the 2 observations). */
export async function planOnly(
  core: Core,
  opts: PassOptions = {},
): Promise<{ plan: Plan; manifestErrors: ManifestError[] }> {
  await core.manifests.reload();
  const desired = await core.desired.load();
  const { containers, images } = await observe(core.runtime, core);
  const apps = core.manifests.valid();
  const observed: Record<string, ObservedApp> = {};
  for (const app of apps)
    observed[app.id] = await observeApp(
      app,
      containers,
      imageIdFor(images, app.container.image),
      (a, c) => core.health.view(a, c),
    );
  const plan = planPass({
    ...planInput(core, { apps, desired, observed, containers }),
    removeOrphans: opts.removeOrphans ?? false,
  });
  return { plan, manifestErrors: core.manifests.manifestErrors() };
}
