import type { ContainerStatus } from "@archy/runtime-podman";
import type { AppManifest } from "../manifest/index.js";
import { containerName, LABEL_APP, LABEL_HASH } from "../manifest/spec.js";
import type { AppHistory, Desired, ObservedApp, Plan, PlannedAction, PlanSkip } from "../types.js";

export interface PlanInput {
  apps: AppManifest[];
  /** By app id; an app absent here is observed as missing. */
  observed: Record<string, ObservedApp>;
  /** By app id; absent means running. */
  desired: Record<string, Desired>;
  now: number;
  /** By app id; absent means no failures. */
  history: Record<string, AppHistory>;
  /** Every container podman reports, for orphans. */
  containers?: ContainerStatus[];
  /** Ids whose manifests exist but are invalid: their containers are not orphans. */
  invalidIds?: string[];
  removeOrphans?: boolean;
  /**
   * Operations the owner asked for just now (`archy start` / `archy restart`):
   * they start an exited app whatever its restart policy and back-off, and a
   * restart restarts a running app.
   */
  requested?: Record<string, "start" | "restart">;
}

/** Apps sorted so that every app comes after its dependencies (ties by id). */
export function dependencyOrder(apps: AppManifest[]): string[] {
  const ids = new Set(apps.map((a) => a.id));
  const byId = new Map(apps.map((a) => [a.id, a]));
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (id: string, path: Set<string>) => {
    if (done.has(id) || path.has(id)) return; // cycles are rejected when manifests load
    path.add(id);
    for (const dep of [...(byId.get(id)?.dependsOn ?? [])].sort())
      if (ids.has(dep)) visit(dep, path);
    path.delete(id);
    done.add(id);
    out.push(id);
  };
  for (const id of [...ids].sort()) visit(id, new Set());
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** How much longer than the app's stop timeout podman may stay stopping or removing it. */
export const STUCK_GRACE_MS = 5_000;

/**
 * The reconcile decision table of SPEC section 4, for every app. Pure: the
 * same input always gives the same plan, and nothing is read or written.
 */
export function plan(input: PlanInput): Plan {
  const { now } = input;
  const order = dependencyOrder(input.apps);
  const byId = new Map(input.apps.map((a) => [a.id, a]));
  const actions: PlannedAction[] = [];
  const skipped: PlanSkip[] = [];
  const converged: string[] = [];
  /** Apps that run (or are being started) after this plan: what their dependents may rely on. */
  const willRun = new Set<string>();
  const STARTS = new Set(["create", "start", "recreate", "restart"]);

  for (const id of order) {
    const before = {
      actions: actions.length,
      skipped: skipped.length,
      converged: converged.length,
    };
    decide(id);
    const app = byId.get(id)!;
    const mine = actions.length > before.actions ? actions[actions.length - 1] : undefined;
    const blockedBy = app.dependsOn.find((d) => !willRun.has(d));
    if (mine && STARTS.has(mine.kind) && blockedBy !== undefined) {
      actions.pop();
      const why = !byId.has(blockedBy)
        ? "its manifest is invalid"
        : (input.desired[blockedBy] ?? "running") === "stopped"
          ? "stopped by the owner"
          : "not running";
      skipped.push({
        app: id,
        reason: `waiting for ${blockedBy} (${why})`,
        stopReason: "dependency",
      });
      continue;
    }
    const runs =
      (input.desired[id] ?? "running") === "running" &&
      ((mine !== undefined && STARTS.has(mine.kind)) ||
        converged.length > before.converged ||
        (skipped.length > before.skipped &&
          skipped[skipped.length - 1]!.stopReason === null &&
          !skipped[skipped.length - 1]!.failure));
    if (runs) willRun.add(id);
  }

  function decide(id: string): void {
    const app = byId.get(id)!;
    const name = containerName(id);
    const obs = input.observed[id] ?? { container: null, wantedHash: null, health: null };
    const c = obs.container;
    const desired = input.desired[id] ?? "running";
    const history = input.history[id];
    const act = (kind: PlannedAction["kind"], reason: string, countsAsFailure = false) =>
      actions.push({
        kind,
        app: id,
        reason,
        container: name,
        ...(countsAsFailure ? { countsAsFailure } : {}),
      });
    const skip = (reason: string, stopReason: PlanSkip["stopReason"], failure = false) =>
      skipped.push({ app: id, reason, stopReason, ...(failure ? { failure } : {}) });
    const requested = input.requested?.[id];
    const backingOff = !requested && history?.nextRetryAt != null && now < history.nextRetryAt;
    const backoffReason = () =>
      `back-off until ${iso(history!.nextRetryAt!)} after ${history!.failures} failure${history!.failures === 1 ? "" : "s"}`;

    if (c && c.labels[LABEL_APP] !== id) {
      skip(
        `the name ${name} is taken by a container archy did not create (${c.id.slice(0, 12)}); rename or remove it`,
        null,
        true,
      );
      return;
    }

    // podman marks a container stopping or removing while it works on it; a kill of that
    // podman leaves the mark for ever, and only a new stop or rm clears it.
    const busy = history?.podmanBusy;
    const stuckMs = c && busy?.container === c.id && busy.state === c.state ? now - busy.since : 0;
    const stuck = stuckMs > app.container.stopTimeoutMs + STUCK_GRACE_MS;
    const stuckReason = () =>
      `${c!.state} for ${Math.round(stuckMs / 1000)} s: the podman doing it is gone`;

    if (desired === "stopped") {
      if (c && (c.state === "running" || c.state === "paused")) act("stop", "stopped by the owner");
      else if (c?.state === "stopping" && stuck) act("stop", stuckReason());
      else {
        skip("stopped by the owner", "user");
        converged.push(id);
      }
      return;
    }

    const hashDiffers =
      obs.wantedHash !== null && c !== null && c.labels[LABEL_HASH] !== obs.wantedHash;
    const hashReason = () =>
      `config changed (hash ${(c?.labels[LABEL_HASH] ?? "none").slice(0, 12)} -> ${obs.wantedHash!.slice(0, 12)})`;

    if (!c) {
      if (backingOff) skip(backoffReason(), "backoff");
      else act("create", "container missing");
      return;
    }

    switch (c.state) {
      case "running":
        if (hashDiffers) act("recreate", hashReason());
        else if (requested === "restart") act("restart", "restart requested by the owner");
        else if (requested === "start")
          converged.push(id); // already running: nothing to start
        else if (obs.health === "unhealthy") {
          if (backingOff) skip(`unhealthy; ${backoffReason()}`, "backoff");
          else act("restart", "unhealthy past its retries", true);
        } else if (obs.health === "starting") {
          skip("not ready yet (health check starting)", null);
        } else converged.push(id);
        break;
      case "exited": {
        const code = c.exitCode ?? 0;
        if (requested)
          act(hashDiffers ? "recreate" : "start", `${requested} requested by the owner`);
        else if (app.restart.policy === "no")
          skip(`exited (code ${code}); restart policy is no`, code === 0 ? "removed" : "crash");
        else if (app.restart.policy === "on-failure" && code === 0)
          skip("exited with code 0; restart policy is on-failure", "removed");
        else if (backingOff) skip(`exited (code ${code}); ${backoffReason()}`, "backoff");
        else if (hashDiffers) act("recreate", `exited (code ${code}) and ${hashReason()}`);
        else act("start", `exited (code ${code})`);
        break;
      }
      case "created":
      case "paused":
      case "unknown":
        act("recreate", `wedged in state ${c.state}`);
        break;
      case "stopping":
      case "removing":
        if (stuck) act(c.state === "stopping" ? "restart" : "recreate", stuckReason());
        else skip(`podman is busy with it (${c.state}); left for the next pass`, null);
        break;
    }
  }

  const known = new Set([...order, ...(input.invalidIds ?? [])]);
  const orphans = (input.containers ?? []).filter((c) => {
    const app = c.labels[LABEL_APP];
    return app !== undefined && !known.has(app);
  });
  if (input.removeOrphans) {
    for (const o of orphans)
      actions.push({
        kind: "remove-orphan",
        app: o.labels[LABEL_APP]!,
        reason: "no manifest declares this app",
        container: o.name,
      });
  }
  return { actions, skipped, converged, orphans, order };
}
