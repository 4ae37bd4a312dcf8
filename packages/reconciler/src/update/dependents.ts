// After an app's container was replaced (an update or an edit that passed
// its gate) or its old one started again (a stop-first rollback), the apps
// that depend on it, directly or not, are restarted in dependency order: they
// may hold connections to, or the address of, a container that is gone.
import type { Core } from "../core.js";
import { errorText } from "../errors.js";
import { containerName } from "../manifest/spec.js";
import { dependencyOrder } from "../pass/planner.js";

export type DependentsParts = Pick<
  Core,
  "manifests" | "queue" | "states" | "executor" | "runtime" | "log"
>;

/** Restarts the running dependents of `id`, in dependency order; resolves the ids restarted. */
export async function restartDependents(parts: DependentsParts, id: string): Promise<string[]> {
  const apps = parts.manifests.valid();
  const affected = new Set([id]);
  for (let grew = true; grew;) {
    grew = false;
    for (const a of apps)
      if (!affected.has(a.id) && a.dependsOn.some((d) => affected.has(d))) {
        affected.add(a.id);
        grew = true;
      }
  }
  const restarted: string[] = [];
  for (const depId of dependencyOrder(apps)) {
    const dep = apps.find((a) => a.id === depId)!;
    if (depId === id || !affected.has(depId)) continue;
    const name = containerName(depId);
    if ((await parts.runtime.getContainerStatus(name))?.state !== "running") continue;
    await parts.queue.run(depId, async () => {
      parts.states.begin(depId, "restarting");
      let failure: { error: string } | undefined;
      try {
        await parts.executor.carryOut(
          dep,
          {
            app: depId,
            kind: "restart",
            container: name,
            reason: `its dependency ${id} was replaced`,
          },
          { by: "owner" },
        );
      } catch (error) {
        failure = { error: errorText(error) };
      } finally {
        parts.states.end(depId, failure);
      }
    });
    parts.log.info({ app: depId, dependency: id }, `${depId}: restarted after ${id} was replaced`);
    restarted.push(depId);
  }
  return restarted;
}
