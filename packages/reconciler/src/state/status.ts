import type { AppManifest } from "../manifest/index.js";
import type { AppStatus, Desired } from "../types.js";
import type { AppState } from "./app-state.js";

/** The app as `archy ps` and the API show it, from what AppStates keeps of it. */
export function statusOf(
  app: AppManifest,
  s: Readonly<AppState>,
  desired: Desired,
  nextRetryAt: number | null,
  iso: (ms: number) => string,
): AppStatus {
  const c = s.container;
  return {
    id: app.id,
    name: app.name,
    version: app.version,
    image: app.container.image,
    dependsOn: [...app.dependsOn],
    desired,
    phase: s.phase,
    health: s.health,
    restarts: s.restarts,
    stopReason: s.stopReason,
    lastError: s.lastError,
    lastErrorCode: s.lastErrorCode,
    since: iso(s.since),
    nextRetryAt: nextRetryAt === null ? null : iso(nextRetryAt),
    container: c
      ? {
          id: c.id,
          name: c.name,
          state: c.state,
          startedAt: c.startedAt,
          exitCode: c.exitCode,
          imageId: c.imageId,
        }
      : null,
  };
}
