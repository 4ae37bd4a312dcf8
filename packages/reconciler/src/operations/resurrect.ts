import type { Core } from "../core.js";
import type { Lifecycle } from "./lifecycle.js";
import { recoverAfterCrash, type RecoveryReport } from "./recovery.js";
import type { SnapshotState } from "../state/snapshot-state.js";
import type { ReconcileReport } from "../types.js";

export interface ResurrectReport {
  manifests: { restored: string[]; unchanged: string[] };
  report: ReconcileReport;
  /** The containers that were running and are not archy apps, started again. */
  recovery: RecoveryReport;
}

/**
 * `archy resurrect`: writes the snapshot's manifests (those that differ),
 * persists its desired states through the reconciler (so a running daemon
 * follows them at once), runs a pass, and starts the unmanaged containers
 * that were running. A second run changes nothing.
 */
export async function resurrect(
  core: Core,
  lifecycle: Lifecycle,
  pass: () => Promise<ReconcileReport>,
  state: SnapshotState,
): Promise<ResurrectReport> {
  const manifests = await core.manifests.restore(
    state.apps.map((a) => ({ id: a.id, file: a.manifest.file, source: a.manifest.source })),
  );
  const desired = Object.fromEntries(state.apps.map((a) => [a.id, a.desired]));
  await lifecycle.setDesiredStates(desired);
  const report = await pass();
  const recovery = await recoverAfterCrash({
    runtime: core.runtime,
    snapshot: { ...state, containers: state.containers.filter((c) => c.app === null) },
    desired,
    concurrency: core.concurrency,
    logger: core.log,
  });
  return { manifests, report, recovery };
}
