import type { ContainerStatus } from "@archy/runtime-podman";
import type { AppManifest } from "../manifest/index.js";
import { formatBytes } from "../manifest/size.js";
import { containerName, LABEL_APP, LABEL_HASH } from "../manifest/spec.js";
import { STUCK_GRACE_MS } from "../state/marks.js";
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

/** What one app's decision is made from. */
export interface AppDecisionInput {
  app: AppManifest;
  observed: ObservedApp;
  desired: Desired;
  now: number;
  /** Absent means no failures. */
  history?: AppHistory;
  /** The owner's operation asked for just now (see PlanInput.requested). */
  requested?: "start" | "restart";
  /** The first dependency that will not be running, and why; null or absent when none. */
  blockedBy?: { id: string; why: string } | null;
}

/**
 * One app's decision: an action to carry out, a skip with the stop reason
 * the app carries while skipped, or converged (nothing to do). `runs`: the
 * app runs (or is being started) after it, which its dependents rely on.
 */
export type AppDecision = (
  { kind: "act"; action: PlannedAction } | { kind: "skip"; skip: PlanSkip } | { kind: "converged" }
) & { runs: boolean };

/** The skip of a decision; null when it acts or is converged. */
/** How an OOM kill reads, with the limit it went past when the manifest sets one. */
function killedForMemory(app: AppManifest): string {
  const limit = app.container.resources?.memoryBytes;
  return limit === undefined
    ? "killed for memory (OOM)"
    : `killed for memory (OOM: over its ${formatBytes(limit)} limit)`;
}

export const skipOf = (d: AppDecision): PlanSkip | null => (d.kind === "skip" ? d.skip : null);

const STARTS = new Set<PlannedAction["kind"]>(["create", "start", "recreate", "restart"]);

/**
 * The reconcile decision table of SPEC section 4 for one app: the one
 * function a pass (through `plan`), an owner's operation and a `died` event
 * decide with. Pure: nothing is read or written.
 */
export function decideApp(input: AppDecisionInput): AppDecision {
  const { app, now, history, requested } = input;
  const id = app.id;
  const name = containerName(id);
  const obs = input.observed;
  const c = obs.container;
  const desired = input.desired;
  const act = (kind: PlannedAction["kind"], reason: string, countsAsFailure = false) => {
    const action: PlannedAction = {
      kind,
      app: id,
      reason,
      container: name,
      ...(countsAsFailure ? { countsAsFailure } : {}),
    };
    if (!STARTS.has(kind) || !input.blockedBy)
      return { kind: "act" as const, action, runs: desired === "running" };
    return skip(`waiting for ${input.blockedBy.id} (${input.blockedBy.why})`, "dependency");
  };
  function skip(reason: string, stopReason: PlanSkip["stopReason"], failure = false): AppDecision {
    return {
      kind: "skip",
      skip: { app: id, reason, stopReason, ...(failure ? { failure } : {}) },
      runs: desired === "running" && stopReason === null && !failure,
    };
  }
  const converged = (): AppDecision => ({ kind: "converged", runs: desired === "running" });
  const backingOff = !requested && history?.nextRetryAt != null && now < history.nextRetryAt;
  const backoffReason = () =>
    `back-off until ${iso(history!.nextRetryAt!)} after ${history!.failures} failure${history!.failures === 1 ? "" : "s"}`;

  if (c && c.labels[LABEL_APP] !== id)
    return skip(
      `the name ${name} is taken by a container archy did not create (${c.id.slice(0, 12)}); rename or remove it`,
      null,
      true,
    );

  // podman marks a container stopping or removing while it works on it; a kill of that
  // podman leaves the mark for ever, and only a new stop or rm clears it.
  const busy = history?.podmanBusy;
  const stuckMs = c && busy?.container === c.id && busy.state === c.state ? now - busy.since : 0;
  const stuck = stuckMs > app.container.stopTimeoutMs + STUCK_GRACE_MS;
  const stuckReason = () =>
    `${c!.state} for ${Math.round(stuckMs / 1000)} s: the podman doing it is gone`;

  if (desired === "stopped") {
    if (c && (c.state === "running" || c.state === "paused"))
      return act("stop", "stopped by the owner");
    if (c?.state === "stopping" && stuck) return act("stop", stuckReason());
    return { ...skip("stopped by the owner", "user"), runs: false };
  }

  // A config file that cannot be read: its hash is unknown, and its running container is left alone.
  if (obs.configError) return skip(obs.configError, null, true);

  const hashDiffers =
    obs.wantedHash !== null && c !== null && c.labels[LABEL_HASH] !== obs.wantedHash;
  const hashReason = () =>
    `config changed (hash ${(c?.labels[LABEL_HASH] ?? "none").slice(0, 12)} -> ${obs.wantedHash!.slice(0, 12)})`;

  if (!c) return backingOff ? skip(backoffReason(), "backoff") : act("create", "container missing");

  switch (c.state) {
    case "running":
      if (hashDiffers && obs.rejectedEdit?.hash === obs.wantedHash)
        // It runs (the old container): dependents go on; the owner is told until the manifest changes.
        return {
          kind: "skip",
          skip: {
            app: id,
            reason: `the manifest's last edit was rolled back (${obs.rejectedEdit.reason}); the old container runs until the manifest changes again`,
            stopReason: null,
            failure: true,
          },
          runs: true,
        };
      if (hashDiffers) {
        const decision = act("recreate", hashReason());
        if (decision.kind === "act") decision.action.gated = true;
        return decision;
      }
      if (requested === "restart") return act("restart", "restart requested by the owner");
      if (requested === "start") return converged(); // already running: nothing to start
      if (obs.health === "unhealthy")
        return backingOff
          ? skip(`unhealthy; ${backoffReason()}`, "backoff")
          : act("restart", "unhealthy past its retries", true);
      if (obs.health === "starting") return skip("not ready yet (health check starting)", null);
      return converged();
    case "exited": {
      const code = c.exitCode ?? 0;
      const ended = c.oomKilled ? killedForMemory(app) : `exited (code ${code})`;
      if (requested)
        return act(hashDiffers ? "recreate" : "start", `${requested} requested by the owner`);
      if (app.restart.policy === "no")
        return skip(
          `${ended}; restart policy is no`,
          code === 0 ? "removed" : c.oomKilled ? "oom" : "crash",
        );
      if (app.restart.policy === "on-failure" && code === 0)
        return skip("exited with code 0; restart policy is on-failure", "removed");
      if (backingOff) return skip(`${ended}; ${backoffReason()}`, "backoff");
      if (hashDiffers) return act("recreate", `${ended} and ${hashReason()}`);
      return act("start", ended);
    }
    case "created":
    case "paused":
    case "unknown":
      return act("recreate", `wedged in state ${c.state}`);
    case "stopping":
    case "removing":
      if (stuck) return act(c.state === "stopping" ? "restart" : "recreate", stuckReason());
      return skip(`podman is busy with it (${c.state}); left for the next pass`, null);
  }
}

/**
 * The reconcile decision table of SPEC section 4, for every app, in
 * dependency order: each app through `decideApp`, a start held back while a
 * dependency will not run. Pure: the same input always gives the same plan.
 */
export function plan(input: PlanInput): Plan {
  const order = dependencyOrder(input.apps);
  const byId = new Map(input.apps.map((a) => [a.id, a]));
  const actions: PlannedAction[] = [];
  const skipped: PlanSkip[] = [];
  const converged: string[] = [];
  /** Apps that run (or are being started) after this plan: what their dependents may rely on. */
  const willRun = new Set<string>();

  for (const id of order) {
    const app = byId.get(id)!;
    const blockedBy = app.dependsOn.find((d) => !willRun.has(d));
    const decision = decideApp({
      app,
      observed: input.observed[id] ?? { container: null, wantedHash: null, health: null },
      desired: input.desired[id] ?? "running",
      now: input.now,
      ...(input.history[id] ? { history: input.history[id] } : {}),
      ...(input.requested?.[id] ? { requested: input.requested[id] } : {}),
      blockedBy:
        blockedBy === undefined
          ? null
          : {
              id: blockedBy,
              why: !byId.has(blockedBy)
                ? "its manifest is invalid"
                : (input.desired[blockedBy] ?? "running") === "stopped"
                  ? "stopped by the owner"
                  : "not running",
            },
    });
    if (decision.kind === "act") actions.push(decision.action);
    else if (decision.kind === "skip") skipped.push(decision.skip);
    // Stopped by the owner is converged too: the app is as the owner wants it.
    if (decision.kind === "converged" || skipOf(decision)?.stopReason === "user")
      converged.push(id);
    if (decision.runs) willRun.add(id);
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
