import { ContainerNotFoundError } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import { errorText } from "../errors.js";
import type { AppManifest } from "../manifest/index.js";
import { containerName, LABEL_APP } from "../manifest/spec.js";

/**
 * The work of `archy remove` once its intent is persisted: stop and remove
 * the container (its named volumes too with purge), the manifest, then the
 * intent itself. Each step can be done again: a daemon that dies half-way
 * leaves the rest to the next pass.
 */
/** What removing an app uses. */
export type RemovalParts = Pick<
  Core,
  "desired" | "executor" | "log" | "manifests" | "queue" | "runtime" | "states"
>;

export async function completeRemoval(
  core: RemovalParts,
  app: AppManifest,
  purge: boolean,
): Promise<void> {
  await core.executor.removeExisting(app);
  if (purge)
    for (const v of app.container.volumes)
      if (!v.source.startsWith("/")) await core.runtime.removeVolume(v.source);
  await core.manifests.remove(app);
  await core.desired.forget(app.id);
  core.states.removed(app.id);
}

/**
 * Finishes every removal the owner was told of and a dead daemon did not
 * finish (SPEC: an acknowledged intent is never lost), in the app's queue so
 * that it never overlaps an operation on it. Run before a pass observes.
 * A failure is logged and the removal stays pending for the next pass.
 */
export async function finishPendingRemovals(core: RemovalParts): Promise<void> {
  const pending = await core.desired.pendingRemovals();
  const ids = Object.keys(pending);
  if (ids.length === 0) return;
  try {
    await core.manifests.ensureLoaded();
  } catch (error) {
    // The pass reports manifests it cannot read; the removals wait for the next one.
    core.log.error({ error: errorText(error) }, `pending removals wait: ${errorText(error)}`);
    return;
  }
  await Promise.all(
    ids.map((id) =>
      core.queue.run(id, async () => {
        const removal = (await core.desired.pendingRemovals())[id];
        if (!removal) return; // finished or cancelled meanwhile
        core.log.info({ app: id }, `${id}: finishing the removal the owner asked for`);
        try {
          const app = core.manifests.valid().find((a) => a.id === id);
          if (app) await completeRemoval(core, app, removal.purge);
          else {
            // No valid manifest left: only its own container goes (a foreign one keeps the name).
            const name = containerName(id);
            const c = await core.runtime.getContainerStatus(name);
            if (c?.labels[LABEL_APP] === id)
              await core.runtime.removeContainer(name, { force: true }).catch((error: unknown) => {
                if (!ContainerNotFoundError.isInstance(error)) throw error;
              });
            await core.desired.forget(id);
          }
        } catch (error) {
          core.log.error(
            { app: id, error: errorText(error) },
            `${id}: the removal failed; it is tried again at the next pass`,
          );
        }
      }),
    ),
  );
}
