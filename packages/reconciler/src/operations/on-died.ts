import type { ContainerEvent, ContainerStatus } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import { errorText } from "../errors.js";
import { wantedHash } from "../pass/observe.js";
import { plan as planPass } from "../pass/planner.js";
import { LABEL_APP } from "../manifest/spec.js";
import { isTransitional, type ObservedApp } from "../types.js";

/**
 * A container of an app died: the event is the observation. The planner
 * decides for that app alone from it (its restart policy, its back-off, its
 * config hash with the image id of the last pass), and a start is carried
 * out at once, without a `podman ps` first. Resolves true once the decision
 * is made and the app needs no full pass; false when it does (pre-start
 * hooks to run, an operation in progress, a container archy has not seen,
 * no observation yet). The start itself goes on in the app's queue.
 */
export async function onDied(core: Core, event: ContainerEvent): Promise<boolean> {
  const id = event.labels[LABEL_APP];
  const app = core.manifests.valid().find((a) => a.id === id);
  const known = id === undefined ? null : core.states.get(id).container;
  const last = id === undefined ? undefined : core.last.observed[id];
  if (!app || !known || known.id !== event.id || !last || core.states.busy(app.id)) return false;
  if (app.hooks.preStart.length > 0) return false;
  // archy's own work on the app (a pass's restart or recreate stops it) sees the outcome itself.
  if (isTransitional(core.states.get(app.id).phase)) return false;
  // A death older than the run archy knows of (an owner's restart already started it again):
  // not this run's; a pass looks at what is true now.
  if (known.startedAt !== null && Date.parse(event.time) <= Date.parse(known.startedAt))
    return false;

  const exited: ContainerStatus = {
    ...known,
    state: "exited",
    exitCode: event.exitCode,
    finishedAt: event.time,
    health: null,
  };
  const desired = await core.desired.get(app.id);
  const observed: ObservedApp = {
    container: exited,
    imageId: last.imageId,
    wantedHash: await wantedHash(app, last.imageId ?? null),
    health: null,
  };
  core.states.observed(app, observed, desired);
  // Its dependencies as last seen.
  const deps = core.manifests.valid().filter((a) => app.dependsOn.includes(a.id));
  const input: Record<string, ObservedApp> = { [app.id]: observed };
  for (const dep of deps) {
    const s = core.states.get(dep.id);
    input[dep.id] = { container: s.container, wantedHash: null, health: s.health };
  }
  const plan = planPass({
    apps: [...deps, app],
    observed: input,
    desired: { [app.id]: desired },
    now: core.clock.now(),
    history: { [app.id]: core.states.history(app.id) },
  });
  const action = plan.actions.find((a) => a.app === app.id);
  if (!action) {
    const skip = plan.skipped.find((s) => s.app === app.id);
    core.states.derivePhase(app, observed, desired, skip?.stopReason ?? null);
    return true;
  }
  const opsBegun = core.states.opsBegun(app.id);
  void core.queue
    .run(app.id, async () => {
      // An operation, or a pass that acted first, decides instead.
      const now = core.states.get(app.id).container;
      if (
        core.states.opsBegun(app.id) !== opsBegun ||
        now?.id !== event.id ||
        now.state !== "exited"
      )
        return;
      core.states.overtake(app.id);
      const result = await core.executor.run(app, action, { imageId: last.imageId });
      if (!result.ok)
        core.log.warn({ app: app.id, error: result.error }, `${app.id}: ${action.kind} failed`);
    })
    .catch((error: unknown) =>
      core.log.error({ app: app.id, err: errorText(error) }, "acting on a died event failed"),
    );
  return true;
}
