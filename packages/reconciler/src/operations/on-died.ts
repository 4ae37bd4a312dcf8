import type { ContainerEvent, ContainerStatus } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import { errorText } from "../errors.js";
import { LABEL_APP } from "../manifest/spec.js";
import { isTransitional } from "../types.js";
import { skipOf } from "../pass/planner.js";
import { decideNow, observeWith, type OneAppParts } from "../pass/one-app.js";
import { diedOfOom } from "../pass/oom.js";

/** What acting on a `died` event uses. */
export type DiedParts = OneAppParts &
  Pick<Core, "queue" | "executor" | "log" | "last" | "oomKills">;

/**
 * A container of an app died: the event is the observation. The planner
 * decides for that app alone from it (`decideNow`: its restart policy, its
 * back-off, its config hash with the image id of the last pass), and a start
 * is carried out at once, without a `podman ps` first. Resolves true once the
 * decision is made and the app needs no full pass; false when it does
 * (pre-start hooks to run, an operation in progress, a container archy has
 * not seen, no observation yet). The start itself goes on in the app's
 * queue; a back-off it decides is retried on the back-off's own timer.
 */
export async function onDied(parts: DiedParts, event: ContainerEvent): Promise<boolean> {
  const { states } = parts;
  const id = event.labels[LABEL_APP];
  const app = parts.manifests.valid().find((a) => a.id === id);
  const known = id === undefined ? null : states.get(id).container;
  const last = id === undefined ? undefined : parts.last.observed[id];
  if (!app || !known || known.id !== event.id || !last || states.busy(app.id)) return false;
  if (app.hooks.preStart.length > 0) return false;
  // archy's own work on the app (a pass's restart or recreate stops it) sees the outcome itself.
  if (isTransitional(states.get(app.id).phase)) return false;
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
  // Killed (SIGKILL) with a memory limit: maybe for it, which only an inspect says. Without
  // one the restart goes out first (a pass that finds it exited still asks).
  if (event.exitCode === 137 && app.container.resources?.memoryBytes !== undefined)
    exited.oomKilled = await diedOfOom(parts, app.id, known);
  const desired = await parts.desired.get(app.id);
  const observed = await observeWith(parts, app, exited, last.imageId ?? null);
  observed.health = null;
  states.touch(app.id); // newer than what a pass in flight observed
  states.observed(app, observed, desired);
  const decision = await decideNow(parts, app, observed, desired);
  if (decision.kind !== "act") {
    states.settle(app, observed, desired, skipOf(decision));
    return true;
  }
  const version = states.version(app.id);
  void parts.queue
    .run(app.id, async () => {
      // An operation, or a pass that acted first, decides instead.
      const now = states.get(app.id).container;
      if (states.version(app.id) !== version || now?.id !== event.id || now.state !== "exited")
        return;
      states.touch(app.id);
      const result = await parts.executor.run(app, decision.action, { imageId: last.imageId });
      states.touch(app.id); // a pass that observed while it ran saw it half done
      if (!result.ok)
        parts.log.warn(
          { app: app.id, error: result.error },
          `${app.id}: ${decision.action.kind} failed`,
        );
    })
    .catch((error: unknown) =>
      parts.log.error({ app: app.id, err: errorText(error) }, "acting on a died event failed"),
    );
  return true;
}
