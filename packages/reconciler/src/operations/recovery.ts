import type { ContainerRuntime } from "@archy/runtime-podman";
import type { SnapshotState } from "../state/snapshot-state.js";
import type { Logger } from "../types.js";
import type { Desired } from "../types.js";

export interface RecoveryReport {
  /** Started by the recovery. */
  recovered: string[];
  alreadyRunning: string[];
  skipped: { name: string; reason: string }[];
  failed: { name: string; error: string }[];
}

export interface RecoverOptions {
  runtime: ContainerRuntime;
  snapshot: SnapshotState;
  /** The owner's intents by app id; an app desired stopped is never started. */
  desired: Record<string, Desired>;
  /** How many `podman start` processes run side by side, each with a share of the names; default 4. */
  concurrency?: number;
  logger?: Logger;
}

/**
 * After a crash or a reboot: starts every container that was running when
 * the snapshot was taken and is not running now, managed by archy or not,
 * except apps the owner stopped: all of them in one `startContainers` call,
 * whose `concurrency` podman processes side by side each start a share of
 * them (podman starts the names of one process one after the other).
 */
export async function recoverAfterCrash(opts: RecoverOptions): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], alreadyRunning: [], skipped: [], failed: [] };
  const current = new Map((await opts.runtime.listContainers()).map((c) => [c.name, c]));
  const toStart: string[] = [];
  for (const c of opts.snapshot.containers.filter((s) => s.state === "running")) {
    if (c.app !== null && opts.desired[c.app] === "stopped") {
      report.skipped.push({ name: c.name, reason: `app ${c.app} is stopped by the owner` });
      continue;
    }
    const now = current.get(c.name);
    if (!now) {
      if (c.app !== null)
        report.skipped.push({
          name: c.name,
          reason: "the container is gone; the reconcile pass creates it again",
        });
      else report.failed.push({ name: c.name, error: "the container no longer exists" });
    } else if (now.state === "running") report.alreadyRunning.push(c.name);
    else toStart.push(c.name);
  }
  if (toStart.length > 0) {
    const { started, failed } = await opts.runtime
      .startContainers(toStart, { parallel: opts.concurrency ?? 4 })
      .catch((error) => {
        // Every call failed as a whole (podman unavailable, timed out): none is known started.
        const message = error instanceof Error ? error.message : String(error);
        return { started: [], failed: toStart.map((name) => ({ name, error: message })) };
      });
    for (const name of started) {
      report.recovered.push(name);
      opts.logger?.info({ container: name }, `recovered ${name}`);
    }
    for (const f of failed) {
      report.failed.push(f);
      opts.logger?.warn({ container: f.name, error: f.error }, `could not recover ${f.name}`);
    }
  }
  for (const list of [report.recovered, report.alreadyRunning]) list.sort();
  return report;
}
