import type { ContainerStatus } from "@archy/runtime-podman";
import type { Core } from "../core.js";
import type { AppManifest } from "../manifest/index.js";
import { containerName } from "../manifest/spec.js";
import { observed as observedApp } from "./observe.js";
import { decideApp, type AppDecision } from "./planner.js";
import type { Desired, ObservedApp } from "../types.js";

/** What observing and deciding for one app outside a pass needs. */
export type OneAppParts = Pick<
  Core,
  "runtime" | "clock" | "states" | "health" | "desired" | "manifests"
>;

/**
 * One app observed now: one inspect of its container and (unless `hash` is
 * false: a stop needs none) its image's id, for the hash it should carry:
 * `imageId` when the caller knows it (the last pass saw it), else one look
 * at the image.
 */
export async function observeOne(
  parts: OneAppParts,
  app: AppManifest,
  opts: { hash: boolean; imageId?: string | null },
): Promise<ObservedApp> {
  const container = await parts.runtime.getContainerStatus(containerName(app.id));
  const imageId = opts.hash && container !== null ? (opts.imageId ?? undefined) : null;
  return observeWith(parts, app, container, imageId);
}

/**
 * One app as a given container shows it (a `died` event's, or an inspect's).
 * `imageId`: the image id when known, null when no hash is wanted, undefined to ask podman.
 */
export async function observeWith(
  parts: OneAppParts,
  app: AppManifest,
  container: ContainerStatus | null,
  imageId: string | null | undefined,
): Promise<ObservedApp> {
  const id = imageId === undefined ? await parts.runtime.imageId(app.container.image) : imageId;
  // Without an image id there is no hash (and no config file is read): nothing looks changed.
  return observedApp(app, container, id, (a, c) => parts.health.view(a, c));
}

/**
 * The decision for one app now, through the planner's one decision function
 * (`decideApp`, as a pass decides): its dependencies as last seen, each
 * running when the planner would have it run.
 */
export async function decideNow(
  parts: OneAppParts,
  app: AppManifest,
  observed: ObservedApp,
  desired: Desired,
  requested?: "start" | "restart",
): Promise<AppDecision> {
  const all = await parts.desired.load();
  const now = parts.clock.now();
  let blockedBy: { id: string; why: string } | null = null;
  for (const dep of app.dependsOn) {
    const depApp = parts.manifests.valid().find((a) => a.id === dep);
    if (!depApp) {
      blockedBy = { id: dep, why: "its manifest is invalid" };
      break;
    }
    const s = parts.states.get(dep);
    const depDesired = all[dep] ?? "running";
    const runs = decideApp({
      app: depApp,
      observed: { container: s.container, wantedHash: null, health: s.health },
      desired: depDesired,
      now,
      history: parts.states.history(dep),
    }).runs;
    if (!runs) {
      blockedBy = {
        id: dep,
        why: depDesired === "stopped" ? "stopped by the owner" : "not running",
      };
      break;
    }
  }
  return decideApp({
    app,
    observed,
    desired,
    now,
    history: parts.states.history(app.id),
    ...(requested ? { requested } : {}),
    blockedBy,
  });
}
