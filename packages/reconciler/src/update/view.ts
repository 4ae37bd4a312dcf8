import type { Core } from "../core.js";
import type { AppStatus, UpdateView } from "../api/index.js";

/** Where an app's updates stand: updating, then an available newer image, then a rollback not yet made good. */
export async function updateView(
  core: Pick<Core, "available" | "updates">,
  status: AppStatus,
): Promise<UpdateView | null> {
  if (status.phase === "updating") return { state: "updating", at: status.since };
  const available = core.available.get(status.id);
  if (available) return { state: "available", latest: available.latest, at: available.at };
  const last = await core.updates.last(status.id);
  if (last?.kind === "rolled-back")
    return { state: "rolled-back", reason: last.reason, at: last.at };
  return null;
}
