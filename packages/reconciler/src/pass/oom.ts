// Killed for memory (stop reason `oom`). podman says so only in an inspect
// (`oomKilled`; a `ps` does not), so archy asks once per exit by SIGKILL
// (137) and remembers the answer per container until it runs again: a pass
// that changes nothing stays at two podman processes. Each exit found so is
// announced once (the `oom` event).
import type { ContainerStatus } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import { LABEL_APP } from "../manifest/spec.js";

/** Container id → whether its current exit by SIGKILL was for memory. */
export type OomKills = Map<string, boolean>;

export type OomParts = Pick<Core, "runtime" | "oomKills" | "states">;

/** The containers of a `ps` that ended by SIGKILL get `oomKilled`, from an inspect the first time. */
export async function markOomKills(parts: OomParts, containers: ContainerStatus[]): Promise<void> {
  const { runtime, oomKills: known } = parts;
  const suspects = new Set<string>();
  for (const c of containers) {
    const app = c.labels[LABEL_APP];
    if (c.state !== "exited" || c.exitCode !== 137 || app === undefined) continue;
    suspects.add(c.id);
    if (!known.has(c.id)) {
      const oom = (await runtime.getContainerStatus(c.name).catch(() => null))?.oomKilled === true;
      known.set(c.id, oom);
      if (oom) parts.states.oomKilled(app);
    }
    c.oomKilled = known.get(c.id)!;
  }
  // A container that runs again (or is gone) has a new exit to ask about.
  for (const id of known.keys()) if (!suspects.has(id)) known.delete(id);
}

/** A `died` event's exit by SIGKILL: whether it was for memory (one inspect), remembered and announced. */
export async function diedOfOom(
  parts: OomParts,
  app: string,
  known: ContainerStatus,
): Promise<boolean> {
  const seen = await parts.runtime.getContainerStatus(known.name).catch(() => null);
  const oom = seen?.id === known.id && seen.state === "exited" && seen.oomKilled === true;
  parts.oomKills.set(known.id, oom);
  if (oom) parts.states.oomKilled(app);
  return oom;
}
