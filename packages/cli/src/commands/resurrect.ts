import { resolve } from "node:path";
import type { ResurrectReport } from "@archy/reconciler";
import { DaemonClient } from "../client.js";
import type { Context } from "../context.js";
import { EXIT } from "../cli-error.js";
import { localReconciler } from "../local.js";
import { withStateLock } from "../state-lock.js";
import { printReport, reportExitCode } from "../views.js";
import { defaultSnapshot, load } from "./snapshot.js";

/**
 * Restores the manifests and desired states of a snapshot, then starts what
 * was running: through the daemon when one runs (so it follows the restored
 * intents at once), else here, holding the state folder. Idempotent.
 */
export async function run(ctx: Context, file?: string): Promise<number> {
  const path = file ? resolve(file) : defaultSnapshot(ctx);
  const { state } = await load(path);
  const daemon = await DaemonClient.connect(ctx.socketPath);
  const result = daemon
    ? await daemon.request<ResurrectReport>("POST", "/v1/resurrect", { snapshot: state })
    : await withStateLock(ctx, () => localReconciler(ctx).resurrect(state));
  const { manifests, report, recovery } = result;
  if (ctx.json) ctx.out.document({ snapshot: path, ...result });
  else {
    ctx.out.info(
      `manifests: ${manifests.restored.length} restored${manifests.restored.length ? ` (${manifests.restored.join(", ")})` : ""}, ${manifests.unchanged.length} unchanged`,
    );
    printReport(ctx.out, report);
    for (const n of recovery.recovered) ctx.out.info(`started ${n}`);
    for (const f of recovery.failed) ctx.out.error(`${f.name}: ${f.error}`);
  }
  const code = reportExitCode(report);
  return code === EXIT.ok && recovery.failed.length ? EXIT.failed : code;
}
