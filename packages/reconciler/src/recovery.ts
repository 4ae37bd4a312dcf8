import pLimit from "p-limit";
import type { ContainerRuntime } from "@archy/runtime-podman";
import type { SnapshotState } from "./snapshot-state.js";
import type { Logger } from "./types.js";
import type { Desired } from "./types.js";

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
  concurrency?: number;
  logger?: Logger;
}

/**
 * After a crash or a reboot: starts, in parallel (bounded), every container
 * that was running when the snapshot was taken and is not running now,
 * managed by archy or not, except apps the owner stopped.
 */
export async function recoverAfterCrash(opts: RecoverOptions): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], alreadyRunning: [], skipped: [], failed: [] };
  const current = new Map((await opts.runtime.listContainers()).map((c) => [c.name, c]));
  const limit = pLimit(Math.max(1, opts.concurrency ?? 4));
  await Promise.all(
    opts.snapshot.containers
      .filter((c) => c.state === "running")
      .map((c) =>
        limit(async () => {
          if (c.app !== null && opts.desired[c.app] === "stopped") {
            report.skipped.push({ name: c.name, reason: `app ${c.app} is stopped by the owner` });
            return;
          }
          const now = current.get(c.name);
          if (!now) {
            if (c.app !== null)
              report.skipped.push({
                name: c.name,
                reason: "the container is gone; the reconcile pass creates it again",
              });
            else report.failed.push({ name: c.name, error: "the container no longer exists" });
            return;
          }
          if (now.state === "running") {
            report.alreadyRunning.push(c.name);
            return;
          }
          try {
            await opts.runtime.startContainer(c.name);
            report.recovered.push(c.name);
            opts.logger?.info({ container: c.name }, `recovered ${c.name}`);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            report.failed.push({ name: c.name, error: message });
            opts.logger?.warn({ container: c.name, error: message }, `could not recover ${c.name}`);
          }
        }),
      ),
  );
  for (const list of [report.recovered, report.alreadyRunning]) list.sort();
  return report;
}
