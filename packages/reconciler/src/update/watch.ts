// The daemon's update checks (`--update-check-interval`): each round asks the
// registries about the apps whose `update.policy` is `notify` or `auto`. A
// newer image that is not blocked becomes the app's `available` update (an
// `update` event, once per digest); `auto` applies it through the gate when
// the app's window is open. A blocked image is never applied by a check.
import type { Core } from "../core.js";
import { inWindow } from "../manifest/window.js";
import type { LifecycleHandle } from "../types.js";
import { checkUpdates, type DigestLookup, type UpdateCheck } from "./check.js";

export interface WatchParts {
  core: Pick<Core, "manifests" | "runtime" | "updates" | "clock" | "bus" | "log" | "available">;
  lookup: DigestLookup;
  /** The lifecycle operation `update` (the gate). */
  update: (id: string) => Promise<LifecycleHandle>;
}

/** One round of checks; resolves once the `auto` updates it began have ended. */
export async function checkForUpdates({
  core,
  lookup,
  update,
}: WatchParts): Promise<UpdateCheck[]> {
  const apps = core.manifests
    .valid()
    .filter((a) => a.update.policy !== "manual" && a.container.build === null);
  const checks = await checkUpdates(apps, core.runtime, lookup);
  const at = new Date(core.clock.now()).toISOString();
  for (const check of checks) {
    const app = apps.find((a) => a.id === check.app)!;
    if (check.status === "up-to-date") core.available.delete(app.id);
    if (check.status !== "update-available" || check.latest === null) continue;
    const blocked = (await core.updates.blocked(app.id)).some((b) => b.digest === check.latest);
    if (blocked) {
      core.available.delete(app.id);
      continue;
    }
    if (core.available.get(app.id)?.latest !== check.latest) {
      core.available.set(app.id, { latest: check.latest, at });
      core.bus.publish({
        type: "update",
        app: app.id,
        state: "available",
        image: check.image,
        latest: check.latest,
        at,
      });
      core.log.info(
        { app: app.id, latest: check.latest },
        `${app.id}: a newer ${check.image} is available`,
      );
    }
    const window = app.update.window;
    if (app.update.policy === "auto" && (!window || inWindow(window, new Date(core.clock.now())))) {
      const final = await (await update(app.id)).done;
      if (final.lastError)
        core.log.warn(
          { app: app.id, error: final.lastError },
          `${app.id}: the automatic update did not go live`,
        );
    }
  }
  return checks;
}
